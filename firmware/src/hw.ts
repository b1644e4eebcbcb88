/**
 * Hardware access: analog readers (name → pin, attenuation) and GPIO pins, only through the
 * Espruino globals analogRead / digitalRead (and ESP32.setAtten when the board has it).
 */

interface Analog {
  p: PinRef;
  /** [name, min V, max V, step V] as reported in `ok` */
  rng: (string | number)[];
}

var analogs: { [name: string]: Analog } = {};
var pins: { [name: string]: PinRef } = {};

/** "34" → 34 (ESP32 pin D34), "D34"/"A0" stay names; Espruino accepts both. */
function pinOf(name: string): PinRef {
  return /^\d+$/.test(name) ? parseInt(name, 10) : name;
}

/** Full-scale volts per ESP32 attenuation (dB → ESP32.setAtten code, volts). */
function attVolts(db: number): number[] {
  if (db === 0) return [0, 1.1];
  if (db === 2.5) return [1, 1.5];
  if (db === 6) return [2, 2.2];
  return [3, 3.3];
}

/** analogRead's 0 ≤ v < 1 → raw 12-bit count; NaN (no ADC on the pin) stays NaN. */
function rawOf(v: number): number {
  var r = Math.floor(v * 4096 + 0.5);
  return r > 4095 ? 4095 : r < 0 ? 0 : r;
}

function readAnalog(p: PinRef): number {
  var v = NaN;
  try {
    v = analogRead(p);
  } catch (e) {
    v = NaN;
  }
  return typeof v === 'number' && v === v ? rawOf(v) : NaN;
}

function readPin(p: PinRef): number {
  var v = NaN;
  try {
    v = digitalRead(p);
  } catch (e) {
    v = NaN;
  }
  return v === 0 || v === 1 ? v : v ? 1 : NaN;
}

/** A pin (m "A"/"G") or a board-side sensor (m "S", sensors.ts) a plan entry reads. */
type Src = PinRef | Sensor;

/**
 * `cfg`: `a` [[name, pin, att dB?], …], `p` [pin, …], `s` [[name, model, …], …] (sensors.ts).
 * Accepts what the hardware can do; the rest comes back in `x` as [[name, code, why?], …].
 */
function configure(f: {
  a?: (string | number)[][];
  p?: string[];
  s?: (string | number)[][];
}): object {
  var okA: (string | number)[][] = [];
  var okP: string[] = [];
  var bad: string[][] = [];
  analogs = {};
  pins = {};
  var a = f.a || [];
  for (var i = 0; i < a.length; i++) {
    var name = String(a[i][0]);
    var p = pinOf(String(a[i][1]));
    var att = attVolts(a[i].length > 2 ? Number(a[i][2]) : 11);
    try {
      if (typeof ESP32 !== 'undefined') ESP32.setAtten(p, att[0]);
    } catch (e) {
      /* pin without ADC: caught by the test read below */
    }
    var probe = readAnalog(p);
    if (probe !== probe) {
      bad.push([name, WIRE.unknownPin]);
      continue;
    }
    var rng = [name, 0, att[1], Math.round((att[1] / 4096) * 1e6) / 1e6];
    analogs[name] = { p: p, rng: rng };
    okA.push(rng);
  }
  var ps = f.p || [];
  for (var j = 0; j < ps.length; j++) {
    var pn = String(ps[j]);
    var pr = pinOf(pn);
    var level = readPin(pr);
    if (level !== level) {
      bad.push([pn, WIRE.unknownPin]);
      continue;
    }
    pins[pn] = pr;
    okP.push(pn);
  }
  var okS: string[] = [];
  configureSensors(f.s || [], okS, bad);
  var res: { a: (string | number)[][]; p: string[]; s?: string[]; x?: string[][] } = {
    a: okA,
    p: okP,
  };
  if (okS.length) res.s = okS;
  if (bad.length) res.x = bad;
  return res;
}

/**
 * Resolves reader names (m "A"), pin names (m "G") or sensor names (m "S") to what they read;
 * returns the unknown name as a string.
 */
function resolve(m: string, names: string[]): Src[] | string {
  var out: Src[] = [];
  if (!names || !names.length) return '';
  for (var i = 0; i < names.length; i++) {
    if (m === WIRE.sensors) {
      var s = sensors[names[i]];
      if (!s) return names[i];
      out.push(s);
    } else if (m === WIRE.analogs) {
      var a = analogs[names[i]];
      if (!a) return names[i];
      out.push(a.p);
    } else {
      var p = pins[names[i]];
      if (p === undefined) return names[i];
      out.push(p);
    }
  }
  return out;
}

/** One sample of the resolved pins (sensors: their values) in order, or null when any read failed. */
function sampleNow(m: string, ps: Src[]): number[] | null {
  var v: number[] = [];
  for (var i = 0; i < ps.length; i++) {
    if (m === WIRE.sensors) {
      var sv = readSensor(ps[i] as Sensor);
      if (!sv) return null;
      v = v.concat(sv);
      continue;
    }
    var x = m === WIRE.analogs ? readAnalog(ps[i] as PinRef) : readPin(ps[i] as PinRef);
    if (x !== x) return null;
    v.push(x);
  }
  return v;
}
