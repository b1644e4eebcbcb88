/**
 * Board-side sensors (`cfg.s`, docs/protocol.md), read as plan/read method "S":
 *  - pulse [name, "pulse", pin, edge, debounce ms, pull]: edges counted by setWatch; a sample is
 *    [edges since the previous sample, total since the counter started];
 *  - lin [name, "lin", pin, scale, offset, att dB]: volts at the pin → scale·V + offset; a sample
 *    is [value, volts];
 *  - temp [name, "temp"]: the chip's temperature from E.getTemperature; a sample is [°C].
 * What the interpreter or pin cannot do is refused in `x` ([name, code, why]), never faked; a read
 * that yields no number fails the sample (a read_error gap), as for pins.
 */

interface Sensor {
  /** model: WIRE.pulse / WIRE.linear / WIRE.temp */
  m: string;
  p: PinRef;
  /** the definition as sent (a repeated cfg with the same one keeps a pulse counter running) */
  d: string;
  /** pulses: total, total at the previous sample, watch id */
  n: number;
  l: number;
  w: number;
  /** lin: scale, offset, full-scale volts */
  k: number;
  o: number;
  fs: number;
}

var sensors: { [name: string]: Sensor } = {};

/** Round to 1e-6 so JSON stays short. */
function r6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function dropSensor(s: Sensor): void {
  if (s.w) {
    try {
      clearWatch(s.w);
    } catch (e) {
      /* already gone */
    }
  }
  s.w = 0;
}

/** One `cfg.s` item → a running sensor, or [code, why] when the board cannot. */
function makeSensor(d: (string | number)[], old: Sensor | undefined): Sensor | string[] {
  var def = JSON.stringify(d);
  if (old && old.d === def) return old;
  if (old) dropSensor(old);
  var m = String(d[1]);
  var s: Sensor = { m: m, p: pinOf(String(d[2])), d: def, n: 0, l: 0, w: 0, k: 1, o: 0, fs: 3.3 };
  if (m === WIRE.temp) {
    if (typeof E.getTemperature !== 'function')
      return [WIRE.unsupported, 'no E.getTemperature on this interpreter'];
    return s;
  }
  if (m === WIRE.pulse) {
    if (typeof setWatch !== 'function') return [WIRE.unsupported, 'no setWatch'];
    try {
      pinMode(s.p, d[5] === 'up' ? 'input_pullup' : d[5] === 'down' ? 'input_pulldown' : 'input');
      s.w = setWatch(
        function () {
          s.n++;
        },
        s.p,
        { repeat: true, edge: String(d[3] || 'rising'), debounce: Number(d[4]) || 0 },
      );
    } catch (e) {
      return [WIRE.unknownPin, String(e)];
    }
    return s;
  }
  if (m === WIRE.linear) {
    var att = attVolts(d.length > 5 ? Number(d[5]) : 11);
    try {
      if (typeof ESP32 !== 'undefined') ESP32.setAtten(s.p, att[0]);
    } catch (e) {
      /* no ADC: the probe below says so */
    }
    // one read, checked for NaN (two reads of a live, noisy pin differ: that is not a missing ADC)
    var probe = readAnalog(s.p);
    if (probe !== probe) return [WIRE.unknownPin, 'no ADC on this pin'];
    s.k = Number(d[3]);
    s.o = Number(d[4]);
    s.fs = att[1];
    return s;
  }
  return [WIRE.badRequest, 'unknown model ' + m];
}

/** `cfg.s`: replaces the sensors; accepted names go to `ok`, refusals to `x`. */
function configureSensors(list: (string | number)[][], ok: string[], bad: string[][]): void {
  var next: { [name: string]: Sensor } = {};
  for (var i = 0; i < list.length; i++) {
    var name = String(list[i][0]);
    var r = makeSensor(list[i], sensors[name]);
    if (r instanceof Array) bad.push([name, r[0], r[1]]);
    else {
      next[name] = r;
      ok.push(name);
    }
  }
  for (var k in sensors) if (next[k] !== sensors[k]) dropSensor(sensors[k]);
  sensors = next;
}

/** Values a sensor's sample carries. */
function sensorWidth(s: Sensor): number {
  return s.m === WIRE.temp ? 1 : 2;
}

/** One sample of a sensor, or null when the hardware gave no number. */
function readSensor(s: Sensor): number[] | null {
  if (s.m === WIRE.pulse) {
    var n = s.n;
    var d = n - s.l;
    s.l = n;
    return [d, n];
  }
  if (s.m === WIRE.linear) {
    var raw = readAnalog(s.p);
    if (raw !== raw) return null;
    var v = (raw * s.fs) / 4096;
    return [r6(v * s.k + s.o), r6(v)];
  }
  var t = NaN;
  try {
    t = (E.getTemperature as () => number)();
  } catch (e) {
    t = NaN;
  }
  return typeof t === 'number' && isFinite(t) ? [r6(t)] : null;
}
