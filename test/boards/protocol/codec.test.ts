import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineFramer } from '../../../src/boards/protocol/line-framer.js';
import { decodeBoardFrame, MAX_FRAME_BYTES } from '../../../src/boards/protocol/messages.js';

describe('frame decoder', () => {
  it('decodes every board frame of the protocol and keeps its fields', () => {
    const batch = fc.record({
      t: fc.constant('b'),
      k: fc.string({ maxLength: 8 }),
      s: fc.nat(),
      t0: fc.double({ noNaN: true, noDefaultInfinity: true }),
      dt: fc.double({ min: 0.01, max: 1e4, noNaN: true }),
      v: fc.array(fc.array(fc.integer({ min: 0, max: 4095 }), { maxLength: 4 }), { maxLength: 10 }),
    });
    fc.assert(
      fc.property(batch, (b) => {
        const d = decodeBoardFrame(JSON.stringify(b));
        expect(d).toEqual({ ok: true, frame: JSON.parse(JSON.stringify(b)) }); // JSON has no -0
      }),
    );
    expect(
      decodeBoardFrame(
        '{"t":"hi","v":1,"bid":"e","fw":"0.1","clk":12.5,"caps":{"hz":1000,"st":1}}',
      ),
    ).toMatchObject({ ok: true, frame: { t: 'hi', bid: 'e', caps: { hz: 1000, st: 1 } } });
    expect(decodeBoardFrame('{"t":"pong","id":3,"g":1.5,"clk":7}')).toEqual({
      ok: true,
      frame: { t: 'pong', id: 3, g: 1.5, clk: 7 },
    });
    expect(decodeBoardFrame('{"t":"future","x":1}')).toEqual({
      ok: true,
      frame: { t: 'unknown', type: 'future' },
    });
  });

  it('never throws on arbitrary text and never invents a frame from a wrong one', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const d = decodeBoardFrame(s);
        if (d.ok) expect(typeof JSON.parse(s)).toBe('object');
      }),
    );
    for (const bad of [
      '',
      'null',
      '[1]',
      '{"x":1}',
      '{"t":"b","k":"0","s":-1,"t0":0,"dt":10,"v":[]}',
      '{"t":"b","k":"0","s":1,"t0":0,"dt":0,"v":[]}',
      '{"t":"val","id":1,"clk":0,"v":["1"]}',
      '{"t":"b","k":"0","s":1,"t0":0,"dt":1,"v":[[1,"x"]]}',
    ]) {
      expect(decodeBoardFrame(bad).ok, bad).toBe(false);
    }
    expect(decodeBoardFrame(`{"t":"x","p":"${'a'.repeat(MAX_FRAME_BYTES)}"}`)).toMatchObject({
      ok: false,
    });
  });
});

describe('line framer', () => {
  it('yields the same lines however the bytes are chunked; \\r\\n accepted', () => {
    const lines = fc.array(
      fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/[\n\r]/.test(s)),
      { maxLength: 20 },
    );
    fc.assert(
      fc.property(
        lines,
        fc.array(fc.nat({ max: 50 }), { maxLength: 30 }),
        fc.boolean(),
        (ls, cuts, crlf) => {
          const bytes = Buffer.from(ls.map((l) => l + (crlf ? '\r\n' : '\n')).join(''));
          const got: string[] = [];
          const f = new LineFramer(
            (l) => got.push(l),
            () => undefined,
          );
          let at = 0;
          for (const c of cuts) {
            f.push(bytes.subarray(at, Math.min(bytes.length, at + c)));
            at = Math.min(bytes.length, at + c);
          }
          f.push(bytes.subarray(at));
          expect(got).toEqual(ls);
        },
      ),
    );
  });

  it('drops an overlong line up to the next newline, reports it once, and keeps memory bounded', () => {
    const got: string[] = [];
    const over: number[] = [];
    const f = new LineFramer(
      (l) => got.push(l),
      (n) => over.push(n),
      16,
    );
    f.push(Buffer.from('ok1\n' + 'y'.repeat(10)));
    for (let i = 0; i < 1000; i++) f.push(Buffer.from('z'.repeat(100)));
    f.push(Buffer.from('tail\nok2\n'));
    expect(got).toEqual(['ok1', 'ok2']);
    expect(over).toEqual([10 + 100_000 + 4]);
  });
});
