/**
 * THE Board contract suite. Every transport runs it: sim (test/boards/sim.test.ts), serial over a
 * pty with the emulated firmware, MQTT over a real broker, Firmata. Call it from a test file:
 *
 *   boardContractSuite('serial (pty + emulated firmware)', async () => ({ board, analogs, pins, ... }));
 *
 * The harness builds a fresh, NOT yet connected Board per test plus a handle on the hardware it
 * talks to (the sim's hardware, the emulated firmware's pins), so the suite can script the values
 * the board must report and break the link from the hardware side. The suite uses real time.
 *
 * What the contract promises (each is an `it` below):
 *  - connect() resolves the identity (boardId = the Board's id, protocol 1, capabilities listing the
 *    configured readers/pins), state becomes 'online' with a 'status' event; connect() again is a no-op.
 *  - read() returns `{value, min_range, max_range, step_size}` per analog reader and `{high}` per pin,
 *    exactly the values the hardware has; an unknown reader rejects with a board error code and
 *    never resolves with an invented value.
 *  - configure() with a streamed entry delivers 'batch' events for that key at the planned rate,
 *    sequence numbers 0,1,2,… with sample times on a 1/hz grid; a new configure() restarts the
 *    sequence at 0; configure([]) stops the stream. A board that cannot stream rejects streamed
 *    entries with BOARD_UNSUPPORTED. Transports do NOT report skipped sequence numbers themselves:
 *    the capture engine derives sequence gaps from `seq`.
 *  - When the link breaks: a 'status' offline event, reads reject with BOARD_DISCONNECTED; after the
 *    link is back, connect() on the same Board succeeds again (the engine retries with backoff).
 *  - close(): state 'closed', pending and later reads reject with BOARD_DISCONNECTED, no more batches.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Board, BoardStatus, StreamBatch } from '../../src/boards/board.js';
import type { AnalogValue, GpioValue } from '../../src/shared/record.js';
import { isWharfError, type WharfErrorCode } from '../../src/shared/errors.js';
import { quiet, sleep, until } from './helpers/wait.js';

export interface BoardHarness {
  /** A fresh Board, not yet connected. */
  board: Board;
  /** At least two analog reader names and one GPIO pin name the board is configured with. */
  analogs: string[];
  pins: string[];
  /** Largest raw analog count (4095 for a 12-bit ADC, 1023 for Firmata). */
  fullScale: number;
  /** Make the hardware report this raw count on the reader until changed. */
  setAnalog(reader: string, raw: number): void | Promise<void>;
  setPin(pin: string, high: boolean): void | Promise<void>;
  /** The hardware side goes away (pty closed, broker kicks the client, cable pulled). */
  breakLink(): Promise<void>;
  /** The hardware side is reachable again (the Board is not told; the suite calls connect()). */
  restoreLink(): Promise<void>;
  /** Tear down everything the harness started. */
  cleanup(): Promise<void>;
  /** Tolerance for sample-time spacing and arrival (ms); default 5. */
  timeToleranceMs?: number;
}

const BOARD_CODES: WharfErrorCode[] = [
  'BOARD_DISCONNECTED',
  'BOARD_TIMEOUT',
  'BOARD_PROTOCOL',
  'BOARD_AUTH',
  'BOARD_UNSUPPORTED',
];

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    const v = await p;
    throw new Error(`expected a rejection, got a value: ${JSON.stringify(v)}`);
  } catch (err) {
    return err;
  }
}

function expectCode(err: unknown, codes: WharfErrorCode[]): void {
  expect(isWharfError(err), `expected a WharfError, got ${String(err)}`).toBe(true);
  expect(codes).toContain((err as { code: WharfErrorCode }).code);
}

export function boardContractSuite(name: string, makeHarness: () => Promise<BoardHarness>): void {
  describe(`Board contract: ${name}`, () => {
    let h: BoardHarness;
    let statuses: BoardStatus[];
    let batches: StreamBatch[];

    beforeEach(async () => {
      h = await makeHarness();
      statuses = [];
      batches = [];
      h.board.on('status', (s) => statuses.push(s));
      h.board.on('batch', (b) => batches.push(b));
      expect(h.analogs.length).toBeGreaterThanOrEqual(2);
      expect(h.pins.length).toBeGreaterThanOrEqual(1);
    });

    afterEach(async () => {
      await h.board.close().catch(() => undefined);
      await h.cleanup();
    });

    it('connect() resolves the identity and goes online', async () => {
      const id = await h.board.connect();
      expect(id.boardId).toBe(h.board.id);
      expect(id.protocol).toBe(1);
      expect(typeof id.firmware).toBe('string');
      expect(id.capabilities.maxHz).toBeGreaterThan(0);
      for (const a of h.analogs) expect(id.capabilities.analogs).toContain(a);
      for (const p of h.pins) expect(id.capabilities.pins).toContain(p);
      expect(h.board.state).toBe('online');
      expect(statuses.map((s) => s.state)).toContain('online');
      expect(statuses.every((s) => typeof s.at === 'number' && s.at > 0)).toBe(true);
      const again = await h.board.connect();
      expect(again.boardId).toBe(id.boardId);
      expect(h.board.state).toBe('online');
    });

    it('a polled Analogs read returns the hardware values with their range', async () => {
      await h.board.connect();
      const [a, b] = h.analogs as [string, string];
      await h.setAnalog(a, 1234 % (h.fullScale + 1));
      await h.setAnalog(b, h.fullScale);
      const data = (await h.board.read('Analogs', [a, b], { timeoutMs: 2000 })) as Record<
        string,
        AnalogValue
      >;
      expect(Object.keys(data).sort()).toEqual([a, b].sort());
      expect(data[a]!.value).toBe(1234 % (h.fullScale + 1));
      expect(data[b]!.value).toBe(h.fullScale);
      for (const v of [data[a]!, data[b]!]) {
        expect(v.max_range).toBeGreaterThan(v.min_range);
        expect(v.step_size).toBeGreaterThan(0);
        expect(v.step_size * h.fullScale).toBeCloseTo(v.max_range - v.min_range, 2);
      }
      await h.setAnalog(a, 7);
      const again = (await h.board.read('Analogs', [a], { timeoutMs: 2000 })) as Record<
        string,
        AnalogValue
      >;
      expect(again[a]!.value).toBe(7);
    });

    it('a polled Gpio read returns {high} per pin as the hardware has it', async () => {
      await h.board.connect();
      const p = h.pins[0]!;
      await h.setPin(p, true);
      expect(
        ((await h.board.read('Gpio', [p], { timeoutMs: 2000 })) as Record<string, GpioValue>)[p],
      ).toEqual({ high: true });
      await h.setPin(p, false);
      expect(
        ((await h.board.read('Gpio', [p], { timeoutMs: 2000 })) as Record<string, GpioValue>)[p],
      ).toEqual({ high: false });
    });

    it('a read of an unknown reader rejects with a board error, never an invented value', async () => {
      await h.board.connect();
      const err = await rejection(
        h.board.read('Analogs', ['no-such-reader-xyz'], { timeoutMs: 2000 }),
      );
      expectCode(err, BOARD_CODES);
      expect(h.board.state).toBe('online');
    });

    it('streamed entries deliver batches at the planned rate with sequence numbers from 0', async () => {
      const id = await h.board.connect();
      const key = 'contract/analogs';
      const entry = {
        key,
        method: 'Analogs' as const,
        readers: h.analogs.slice(0, 2),
        hz: 50,
        mode: 'streamed' as const,
      };
      if (!id.capabilities.streamed) {
        expectCode(await rejection(h.board.configure([entry])), ['BOARD_UNSUPPORTED']);
        return;
      }
      const [a] = h.analogs as [string];
      await h.setAnalog(a, 321);
      const t0 = Date.now();
      await h.board.configure([entry]);
      const samplesOf = (k: string) => batches.filter((b) => b.key === k).flatMap((b) => b.samples);
      await until(() => samplesOf(key).length >= 50, 15_000, '50 streamed samples');
      const mine = batches.filter((b) => b.key === key);
      expect(mine.map((b) => b.seq)).toEqual(mine.map((_, i) => i));
      const samples = mine.flatMap((b) => b.samples);
      // No more samples than 50 Hz allows since configure() (a board must not over-sample).
      expect(samples.length).toBeLessThanOrEqual((Date.now() - t0) / 20 + 2);
      const tol = h.timeToleranceMs ?? 5;
      for (let i = 1; i < samples.length; i++) {
        expect(
          Math.abs(samples[i]!.timeRequested - samples[i - 1]!.timeRequested - 20),
        ).toBeLessThanOrEqual(tol);
      }
      for (const s of samples) {
        expect(s.timeReceived).toBeGreaterThanOrEqual(s.timeRequested - tol);
        expect(s.timeRequested).toBeGreaterThanOrEqual(t0 - tol - 100);
        expect((s.data as Record<string, AnalogValue>)[a]!.value).toBe(321);
      }
      // A new plan restarts the sequence; an empty plan stops the stream.
      batches.length = 0;
      await h.board.configure([{ ...entry, hz: 20 }]);
      await until(() => samplesOf(key).length >= 5, 15_000, '5 samples of the new plan');
      const restarted = batches.filter((b) => b.key === key);
      expect(restarted[0]!.seq).toBe(0);
      const slow = restarted.flatMap((b) => b.samples);
      for (let i = 1; i < slow.length; i++) {
        expect(
          Math.abs(slow[i]!.timeRequested - slow[i - 1]!.timeRequested - 50),
        ).toBeLessThanOrEqual(tol);
      }
      await h.board.configure([]);
      // batches already on their way may still land: wait for 300 ms of quiet, then none may come
      await quiet(() => batches.length, 300, 10_000, 'the stream to stop');
      batches.length = 0;
      await sleep(400); // deliberate: a window in which the stopped stream must deliver nothing
      expect(batches.filter((b) => b.key === key)).toEqual([]);
    });

    it('a streamed Gpio entry reports {high} per pin', async () => {
      const id = await h.board.connect();
      if (!id.capabilities.streamed) return;
      const p = h.pins[0]!;
      await h.setPin(p, true);
      await h.board.configure([
        { key: 'contract/gpio', method: 'Gpio', readers: [p], hz: 20, mode: 'streamed' },
      ]);
      await until(
        () => batches.some((b) => b.key === 'contract/gpio' && b.samples.length > 0),
        10_000,
        'a gpio batch',
      );
      const s = batches.find((b) => b.key === 'contract/gpio')!.samples[0]!;
      expect((s.data as Record<string, GpioValue>)[p]).toEqual({ high: true });
      await h.board.configure([]);
    });

    it('a broken link goes offline, reads fail as disconnected, and connect() works again once it is back', async () => {
      await h.board.connect();
      await h.breakLink();
      await until(() => statuses.some((s) => s.state === 'offline'), 5000, "an 'offline' status");
      expect(h.board.state).not.toBe('online');
      expectCode(await rejection(h.board.read('Analogs', [h.analogs[0]!], { timeoutMs: 1000 })), [
        'BOARD_DISCONNECTED',
      ]);
      await h.restoreLink();
      const end = Date.now() + 8000;
      for (;;) {
        try {
          await h.board.connect();
          break;
        } catch (err) {
          expectCode(err, BOARD_CODES);
          if (Date.now() > end) throw err;
          await sleep(200);
        }
      }
      expect(h.board.state).toBe('online');
      await h.setAnalog(h.analogs[0]!, 99);
      const data = (await h.board.read('Analogs', [h.analogs[0]!], { timeoutMs: 2000 })) as Record<
        string,
        AnalogValue
      >;
      expect(data[h.analogs[0]!]!.value).toBe(99);
    });

    it('close() ends it: pending and later reads reject as disconnected, no more batches', async () => {
      const id = await h.board.connect();
      if (id.capabilities.streamed) {
        await h.board.configure([
          {
            key: 'contract/close',
            method: 'Analogs',
            readers: [h.analogs[0]!],
            hz: 50,
            mode: 'streamed',
          },
        ]);
      }
      const pending = h.board.read('Analogs', [h.analogs[0]!], { timeoutMs: 2000 });
      const closing = h.board.close();
      expectCode(await rejection(pending), ['BOARD_DISCONNECTED']);
      await closing;
      expect(h.board.state).toBe('closed');
      expect(statuses[statuses.length - 1]!.state).toBe('closed');
      expectCode(await rejection(h.board.read('Analogs', [h.analogs[0]!], { timeoutMs: 1000 })), [
        'BOARD_DISCONNECTED',
      ]);
      batches.length = 0;
      await sleep(300); // deliberate: a window in which a closed board must deliver nothing
      expect(batches).toEqual([]);
      expectCode(await rejection(h.board.connect()), ['BOARD_DISCONNECTED']);
    });
  });
}
