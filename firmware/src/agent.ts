/**
 * Frame dispatch for protocol v1 (docs/protocol.md): hello → hi, cfg → ok, plan → ok, read → val,
 * ping → pong, plus the wharf extensions `repl` (give the port back to the Espruino console, for
 * reflashing) and `reboot`. Anything that is not a JSON object with a string `t` is skipped.
 */

var badFrames = 0;
/** Set by the serial link: hands the port back to the console. */
var onRepl: () => void = function () {};

function sendHi(id?: number): void {
  var o: { [k: string]: unknown } = {
    t: 'hi',
    v: 1,
    bid: WHARF_CFG.bid,
    fw: WHARF_CFG.fw,
    clk: r3(now()),
    caps: { hz: WHARF_CFG.hz, st: 1 },
  };
  if (id !== undefined) o.id = id;
  if (typeof process !== 'undefined' && process.memory) {
    var m = process.memory();
    o.mem = [m.free, m.total];
  }
  reply(o);
}

function fail(id: number, code: string, msg: string): void {
  reply({ t: 'err', id: id, code: code, msg: msg });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function dispatch(f: any): void {
  var t = f.t;
  var id = f.id;
  if (t === 'ping') {
    pong(id, f.g);
  } else if (t === 'hello') {
    sendHi(id);
  } else if (t === 'read') {
    var ps = resolve(f.m, f.r);
    if (typeof ps === 'string') {
      fail(
        id,
        f.m === 'G' ? 'unknown_pin' : 'unknown_reader',
        'unknown ' + (ps || 'empty reader list'),
      );
      return;
    }
    var c = now();
    var v = sampleNow(f.m, ps);
    if (v) replyInOrder({ t: 'val', id: id, clk: r3(c), v: v });
    else fail(id, 'read_error', 'a pin returned no value');
  } else if (t === 'plan') {
    if (!(f.e instanceof Array)) {
      fail(id, 'bad_request', 'plan needs e: [{k, m, r, hz}]');
      return;
    }
    var er = startPlan(f.e, f.bms);
    if (er) fail(id, er.code, er.msg);
    else reply({ t: 'ok', id: id });
  } else if (t === 'cfg') {
    var res = configure(f) as { [k: string]: unknown };
    replan();
    res.t = 'ok';
    res.id = id;
    reply(res);
  } else if (t === 'repl') {
    stopAll();
    reply({ t: 'ok', id: id });
    setTimeout(onRepl, 50);
  } else if (t === 'reboot') {
    stopAll();
    reply({ t: 'ok', id: id });
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
    fail(f.id, 'bad_request', String(e));
  }
}
