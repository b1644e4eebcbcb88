/**
 * Streamed sampling: one timer per plan entry, scheduled absolutely against getTime() (sample i is
 * due at start + i*period; a late timer never shifts the schedule). Samples are stamped with their
 * scheduled time and sent in batches `b` {k, s, t0, dt, v} every `bms` ms, at 50 samples, or when
 * the line would pass ~900 bytes. Missed ticks and failed reads close the batch and become a `gap`
 * frame (`missed_ticks`, `read_error`), never a made-up value.
 */

interface Hole {
  why: string;
  n: number;
  t0: number;
  t1: number;
}

interface Entry {
  k: string;
  m: string;
  r: string[];
  ps: Src[];
  per: number;
  hz: number;
  next: number;
  tm: number;
  s: number;
  b: number[][];
  t0: number;
  max: number;
  h: Hole | null;
  dead: boolean;
}

var entries: Entry[] = [];
var batchMs = 100;

function flushBatch(e: Entry): void {
  var n = e.b.length;
  if (!n) return;
  var s = e.s++;
  var line = JSON.stringify({ t: WIRE.batch, k: e.k, s: s, t0: r3(e.t0), dt: r3(e.per), v: e.b });
  e.b = [];
  emitData(line, e.k, n, e.t0, e.t0 + (n - 1) * e.per, s);
}

function flushHole(e: Entry): void {
  var h = e.h;
  if (!h) return;
  e.h = null;
  emitData(
    JSON.stringify({ t: WIRE.gap, k: e.k, why: h.why, n: h.n, t0: r3(h.t0), t1: r3(h.t1) }),
    e.k,
    h.n,
    h.t0,
    h.t1,
    -1,
  );
}

/** Records `n` lost samples from t0 to t1; contiguous losses of the same kind are merged. */
function hole(e: Entry, why: string, n: number, t0: number, t1: number): void {
  flushBatch(e);
  if (e.h && e.h.why === why) {
    e.h.n += n;
    e.h.t1 = t1;
  } else {
    flushHole(e);
    e.h = { why: why, n: n, t0: t0, t1: t1 };
  }
  if (t1 - e.h.t0 >= batchMs) flushHole(e);
}

function takeSample(e: Entry, t: number): void {
  var v = sampleNow(e.m, e.ps);
  if (!v) {
    hole(e, WIRE.readError, 1, t, t);
    return;
  }
  flushHole(e);
  if (!e.b.length) e.t0 = t;
  e.b.push(v);
  if (e.b.length >= e.max || e.b.length * e.per >= batchMs) flushBatch(e);
}

function tick(e: Entry): void {
  e.tm = 0;
  if (e.dead) return;
  var late = now() - e.next;
  if (late >= e.per) {
    var miss = Math.floor(late / e.per);
    hole(e, WIRE.missedTicks, miss, e.next, e.next + (miss - 1) * e.per);
    e.next += miss * e.per;
  }
  takeSample(e, e.next);
  e.next += e.per;
  var d = e.next - now();
  e.tm = setTimeout(
    function () {
      tick(e);
    },
    d > 0 ? d : 0,
  );
}

function stopAll(): void {
  for (var i = 0; i < entries.length; i++) {
    var e = entries[i];
    e.dead = true;
    if (e.tm) clearTimeout(e.tm);
    flushBatch(e);
    flushHole(e);
  }
  entries = [];
}

/**
 * After a new `cfg`: the running plan keeps going (same sequence numbers) when all its readers
 * still exist, so a gateway that reconnects and re-sends its config loses nothing; otherwise it stops.
 */
function replan(): void {
  for (var i = 0; i < entries.length; i++) {
    var ps = resolve(entries[i].m, entries[i].r);
    if (typeof ps === 'string') {
      stopAll();
      return;
    }
    entries[i].ps = ps;
  }
}

/** The running plan as the gateway sent it ({k, m, r, hz} per entry), for `hi`. */
function planOf(): PlanEntry[] {
  var out: PlanEntry[] = [];
  for (var i = 0; i < entries.length; i++) {
    var e = entries[i];
    out.push({ k: e.k, m: e.m, r: e.r, hz: e.hz });
  }
  return out;
}

interface PlanEntry {
  k: string;
  m: string;
  r: string[];
  hz: number;
}

/** Validates the whole plan first (a bad plan leaves the running one alone), then replaces it. */
function startPlan(es: PlanEntry[], bms: number): { code: string; msg: string } | null {
  var next: Entry[] = [];
  var t = Math.ceil(now()) + 5;
  for (var i = 0; i < es.length; i++) {
    var pe = es[i];
    if (
      !pe ||
      typeof pe.k !== 'string' ||
      (pe.m !== WIRE.analogs && pe.m !== WIRE.gpio && pe.m !== WIRE.sensors)
    )
      return { code: WIRE.badRequest, msg: 'entry ' + i + ' needs k, m "A"|"G"|"S", r, hz' };
    if (!(pe.hz > 0) || pe.hz > WHARF_CFG.hz)
      return {
        code: WIRE.rate,
        msg: 'entry ' + pe.k + ': hz must be in (0, ' + WHARF_CFG.hz + ']',
      };
    var ps = resolve(pe.m, pe.r);
    if (typeof ps === 'string')
      return {
        code: pe.m === WIRE.gpio ? WIRE.unknownPin : WIRE.unknownReader,
        msg: 'entry ' + pe.k + ': unknown ' + (ps || 'empty reader list'),
      };
    var per = 1000 / pe.hz;
    // ~5 characters per pin value, ~12 per sensor value (decimals)
    var w = 0;
    for (var q = 0; q < ps.length; q++)
      w += pe.m === WIRE.sensors ? 12 * sensorWidth(ps[q] as Sensor) : 5;
    var max = Math.floor(900 / (w + 3));
    next.push({
      k: pe.k,
      m: pe.m,
      r: pe.r,
      ps: ps,
      per: per,
      hz: pe.hz,
      next: t,
      tm: 0,
      s: 0,
      b: [],
      t0: 0,
      max: max > 50 ? 50 : max < 1 ? 1 : max,
      h: null,
      dead: false,
    });
  }
  stopAll();
  batchMs = bms > 0 ? bms : 100;
  entries = next;
  for (var j = 0; j < next.length; j++) {
    var e = next[j];
    e.tm = setTimeout(
      (function (x: Entry) {
        return function () {
          tick(x);
        };
      })(e),
      Math.max(0, t - now()),
    );
  }
  return null;
}
