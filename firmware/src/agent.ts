/**
 * Frame dispatch for protocol v1 (docs/protocol.md): hello → hi, cfg → ok, plan → ok, read → val,
 * ping → pong, plus the wharf extensions `repl` (give the port back to the Espruino console, for
 * reflashing) and `reboot`. Anything that is not a JSON object with a string `t` is skipped.
 */

var badFrames = 0;
/** Set by the serial link: hands the port back to the console. */
var onRepl: () => void = function () {};

/**
 * `hi`: identity, clock, boot id and the plan it runs (`pl`, `bms`), so a gateway that restarted
 * meanwhile can take over the running plan and the backlog keyed by it. `direct`: written even
 * while the data link is not up (the unsolicited `hi` at boot, before any gateway answered).
 */
function sendHi(id?: number, direct?: boolean): void {
  var o: { [k: string]: unknown } = {
    t: WIRE.hi,
    v: WIRE.v,
    bid: WHARF_CFG.bid,
    fw: WHARF_CFG.fw,
    clk: r3(now()),
    caps: { hz: WHARF_CFG.hz, st: 1, rs: 1 },
    bt: bootId,
  };
  if (id !== undefined) o.id = id;
  if (entries.length) {
    o.pl = planOf();
    o.bms = batchMs;
  }
  if (typeof process !== 'undefined' && process.memory) {
    var m = process.memory();
    o.mem = [m.free, m.total];
  }
  if (direct) linkWrite(JSON.stringify(o));
  else reply(o);
}

function fail(id: number, code: string, msg: string): void {
  reply({ t: WIRE.err, id: id, code: code, msg: msg });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function dispatch(f: any): void {
  var t = f.t;
  var id = f.id;
  if (t === WIRE.ping) {
    pong(id, f.g);
  } else if (t === WIRE.resend) {
    resend(f.k, f.s);
  } else if (t === WIRE.hello) {
    sendHi(id);
  } else if (t === WIRE.read) {
    var ps = resolve(f.m, f.r);
    if (typeof ps === 'string') {
      fail(
        id,
        f.m === WIRE.gpio ? WIRE.unknownPin : WIRE.unknownReader,
        'unknown ' + (ps || 'empty reader list'),
      );
      return;
    }
    var c = now();
    var v = sampleNow(f.m, ps);
    if (v) replyInOrder({ t: WIRE.val, id: id, clk: r3(c), v: v });
    else fail(id, WIRE.readError, 'a pin returned no value');
  } else if (t === WIRE.plan) {
    if (!(f.e instanceof Array)) {
      fail(id, WIRE.badRequest, 'plan needs e: [{k, m, r, hz}]');
      return;
    }
    var er = startPlan(f.e, f.bms);
    if (er) fail(id, er.code, er.msg);
    else reply({ t: WIRE.ok, id: id });
  } else if (t === WIRE.cfg) {
    var res = configure(f) as { [k: string]: unknown };
    replan();
    res.t = WIRE.ok;
    res.id = id;
    reply(res);
  } else if (t === WIRE.repl) {
    stopAll();
    reply({ t: WIRE.ok, id: id });
    setTimeout(onRepl, 50);
  } else if (t === WIRE.reboot) {
    stopAll();
    reply({ t: WIRE.ok, id: id });
    setTimeout(function () {
      if (E.reboot) E.reboot();
    }, 50);
  }
}

/** One incoming frame (a line without its newline). */
function handleLine(line: string): void {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  var f: any = null;
  try {
    f = JSON.parse(line);
  } catch (e) {
    f = null;
  }
  if (!f || typeof f !== 'object' || typeof f.t !== 'string') {
    if (line.length) badFrames++;
    return;
  }
  heard();
  if (typeof f.lt === 'number') linkTimeout = f.lt;
  try {
    dispatch(f);
  } catch (e) {
    fail(f.id, WIRE.badRequest, String(e));
  }
}
