/**
 * Output path of the agent: frames go straight to the link while it is up; while it is down,
 * batches and gap frames go to a bounded backlog ring that is drained oldest-first on reconnect.
 * When the ring is full the oldest batch is evicted and its loss is reported later with a `gap`
 * frame (`backlog_overflow`, with the sequence numbers it covers: s0..s1).
 *
 * No function is used before the line that defines it (Espruino does not hoist).
 */

/** ms on the board clock (getTime() is seconds since boot). */
function now(): number {
  return getTime() * 1000;
}

/** Round to 1 µs so JSON stays short. */
function r3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * Random per boot: a gateway that sees the same `bt` again (in `hi`, and in every `pong`) knows the
 * board kept running; another one means it restarted, whatever its clock says.
 */
var bootId = Math.floor(Math.random() * 2147483647).toString(36);

/** Writes one frame (a JSON line without newline) to the link; set by the link at start. */
var linkWrite: (line: string) => void = function () {};
var linkUp = false;
/** Board ms of the last frame from the gateway. */
var lastRx = 0;
/**
 * Link timeout (ms) set by the gateway with `lt`; 0 = never. The gateway promises a frame at least
 * every lt/3 ms, so a silence longer than that already means frames may be going nowhere.
 */
var linkTimeout = 0;

interface BacklogItem {
  /** the frame */
  l: string;
  /** entry key, samples, board ms of first/last sample, batch sequence number (-1: not a batch) */
  k: string;
  n: number;
  t0: number;
  t1: number;
  s: number;
  /** variables it costs */
  c: number;
  /** board ms when it was written to the link */
  at?: number;
  /** a `pong` waiting behind the backlog (its clock, taken when the ping came, is in t0) */
  p?: { id: number; g: unknown };
  /** a reply (`val`) waiting behind the backlog: not data, never evicted into a gap */
  r?: boolean;
  /** a `backlog_overflow` gap frame: the sequence numbers it reports evicted */
  s0?: number;
  s1?: number;
}

interface Loss {
  n: number;
  t0: number;
  t1: number;
  s0: number;
  s1: number;
}

var blRing: BacklogItem[] = [];
var blHead = 0;
var blCount = 0;
var blVars = 0;
var blBudget = 0;
var blLost: { [k: string]: Loss } = {};
var blLostKeys: string[] = [];
var blDrain = 0;
/**
 * Frames (batches and gaps) written in the last lt/3 + 1.5 s. When the link then goes down they may
 * never have arrived (or not been stored), so they go back to the front of the backlog; the gateway
 * drops the batches it already has and counts a repeated gap (same k, why, t0, t1, n) once.
 */
var recent: BacklogItem[] = [];

/** Variables a string of `len` chars costs on Espruino (≈12 chars per 14-byte block) plus the item. */
function blCost(len: number): number {
  return Math.ceil(len / 12) + 8;
}

/** Backlog budget: half the free variables right now, or the build's `blv` without process.memory(). */
function blSize(): number {
  var free = 0;
  if (typeof process !== 'undefined' && process.memory) free = process.memory().free;
  var b = free > 0 ? Math.floor(free / 2) : WHARF_CFG.blv;
  return b < 64 ? 64 : b;
}

/** An evicted item's samples become part of the overflow gap (a gap frame's too: never lost silently). */
function blLose(it: BacklogItem): void {
  if (it.p || it.r) return;
  // an evicted overflow report keeps the sequence numbers it covers
  var a = it.s0 !== undefined ? it.s0 : it.s;
  var b = it.s1 !== undefined ? it.s1 : it.s;
  var l = blLost[it.k];
  if (!l) {
    blLost[it.k] = { n: it.n, t0: it.t0, t1: it.t1, s0: a, s1: b };
    blLostKeys.push(it.k);
  } else {
    l.n += it.n;
    l.t1 = it.t1;
    if (a >= 0) {
      if (l.s0 < 0) l.s0 = a;
      l.s1 = b;
    }
  }
}

function blShift(): BacklogItem | undefined {
  if (blCount === 0) return undefined;
  var it = blRing[blHead];
  blRing[blHead] = undefined as unknown as BacklogItem;
  blHead = (blHead + 1) % blRing.length;
  blCount--;
  blVars -= it.c;
  return it;
}

function blPush(it: BacklogItem): void {
  if (blBudget === 0) blBudget = blSize();
  while (blCount > 0 && blVars + it.c > blBudget) {
    var old = blShift();
    if (old) blLose(old);
  }
  if (blCount === blRing.length) {
    // grow the ring (keeps order): rebuild oldest-first
    var next: BacklogItem[] = [];
    for (var i = 0; i < blCount; i++) next.push(blRing[(blHead + i) % blRing.length]);
    for (var j = blCount; j < blCount * 2 + 8; j++) next.push(undefined as unknown as BacklogItem);
    blRing = next;
    blHead = 0;
  }
  blRing[(blHead + blCount) % blRing.length] = it;
  blCount++;
  blVars += it.c;
}

function sendItem(it: BacklogItem): void {
  if (it.p) {
    linkWrite(JSON.stringify({ t: WIRE.pong, id: it.p.id, g: it.p.g, clk: it.t0, bt: bootId }));
    return;
  }
  linkWrite(it.l);
  if (linkTimeout > 0 && !it.r) {
    var t = now();
    it.at = t;
    recent.push(it);
    while (recent.length && (recent[0].at as number) < t - linkTimeout / 3 - 1500) recent.shift();
  }
}

/** Puts the frames written recently back in front of the backlog (the link went down). */
function blRequeue(): void {
  var items = recent;
  recent = [];
  if (!items.length) return;
  var old: BacklogItem[] = [];
  var it = blShift();
  while (it) {
    old.push(it);
    it = blShift();
  }
  blRing = [];
  blHead = 0;
  for (var i = 0; i < items.length; i++) blPush(items[i]);
  for (var j = 0; j < old.length; j++) blPush(old[j]);
}

/**
 * `rs` from the gateway: it missed batches of entry `k` from sequence `s` on (a cable pulled for
 * less than the link timeout swallows frames without the board noticing). Everything of that entry
 * still in the re-send queue from there on goes out again, and its gap frames (a swallowed
 * `backlog_overflow` report explains the hole); the gateway drops what it has.
 */
function resend(k: string, s: number): void {
  var on = false;
  for (var i = 0; i < recent.length; i++) {
    var it = recent[i];
    if (it.k !== k) continue;
    if (!on && it.s >= s) on = true;
    if ((on || it.s < 0) && linkUp) linkWrite(it.l);
  }
}

/**
 * Sends `gap` frames for everything the ring evicted. They go through the re-send queue like any
 * data frame: a link that drops again right away (a second pull) must not swallow the report.
 */
function blSendLost(): void {
  for (var i = 0; i < blLostKeys.length; i++) {
    var k = blLostKeys[i];
    var l = blLost[k];
    var g: { [f: string]: unknown } = {
      t: WIRE.gap,
      k: k,
      why: WIRE.backlogOverflow,
      n: l.n,
      t0: r3(l.t0),
      t1: r3(l.t1),
    };
    if (l.s0 >= 0) {
      g.s0 = l.s0;
      g.s1 = l.s1;
    }
    var line = JSON.stringify(g);
    var it: BacklogItem = {
      l: line,
      k: k,
      n: l.n,
      t0: l.t0,
      t1: l.t1,
      s: -1,
      c: blCost(line.length),
    };
    if (l.s0 >= 0) {
      it.s0 = l.s0;
      it.s1 = l.s1;
    }
    sendItem(it);
  }
  blLost = {};
  blLostKeys = [];
}

/** Drains a few items per turn so sampling keeps running while a long backlog goes out. */
function blPump(): void {
  blDrain = 0;
  if (!linkUp) return;
  blSendLost();
  for (var i = 0; i < 4 && blCount > 0; i++) {
    var it = blShift();
    if (it) sendItem(it);
  }
  if (blCount > 0) blDrain = setTimeout(blPump, 20);
  else blBudget = 0;
}

/** A data frame (batch or gap): straight out when the link is up and nothing is queued. */
function emitData(line: string, k: string, n: number, t0: number, t1: number, s: number): void {
  var it: BacklogItem = { l: line, k: k, n: n, t0: t0, t1: t1, s: s, c: blCost(line.length) };
  if (linkUp && blCount === 0 && blLostKeys.length === 0) {
    sendItem(it);
    return;
  }
  blPush(it);
  if (linkUp && !blDrain) blDrain = setTimeout(blPump, 0);
}

/**
 * Answers that carry the board clock (`pong`, `val`) wait behind a draining backlog, so the gateway
 * sees the board clock advance in order (a clock reading ahead of older batches looks like a reboot).
 */
function pong(id: number, g: unknown): void {
  if (blCount > 0)
    blPush({ l: '', k: '', n: 0, t0: r3(now()), t1: 0, s: -2, c: 6, p: { id: id, g: g } });
  else reply({ t: WIRE.pong, id: id, g: g, clk: r3(now()), bt: bootId });
}

function replyInOrder(o: object): void {
  if (!linkUp) return;
  var l = JSON.stringify(o);
  if (blCount > 0) blPush({ l: l, k: '', n: 0, t0: 0, t1: 0, s: -2, c: blCost(l.length), r: true });
  else linkWrite(l);
}

/** A reply (ok/err/val/pong/hi): only meaningful while the link is up. */
function reply(o: object): void {
  if (linkUp) linkWrite(JSON.stringify(o));
}

/**
 * Link up/down. Down: every frame written in the last lt/3 + 1.5 s goes back to the backlog. A
 * pulled cable may have swallowed them, and a gateway that died may have received them without
 * storing them yet (it makes them durable within its flush interval, 1 s by default); the gateway
 * drops what it already has (sequence numbers, and after a restart the time it had on disk).
 */
function setLink(up: boolean): void {
  if (up === linkUp) return;
  linkUp = up;
  if (up) {
    if ((blCount > 0 || blLostKeys.length > 0) && !blDrain) blDrain = setTimeout(blPump, 0);
  } else {
    blBudget = blSize();
    blRequeue();
  }
}

/** A frame from the gateway arrived: the link is up (again). */
function heard(): void {
  lastRx = now();
  setLink(true);
}

/**
 * With `lt` set the gateway promises a frame at least every lt/3 ms: a longer silence means it is
 * gone, whatever the transport says. Serial has no connection state at all; on MQTT the session to
 * an external broker outlives a gateway that died, and what the board publishes then reaches nobody.
 */
function watchLink(): void {
  setInterval(function () {
    if (linkTimeout > 0 && linkUp && now() - lastRx > linkTimeout / 3) setLink(false);
  }, 100);
}
