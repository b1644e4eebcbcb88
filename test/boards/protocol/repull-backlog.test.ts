/**
 * A second cable pull while the board drains its backlog (issue 17, hostile re-check): the built
 * serial bundle runs in the emulator on a real pty, the gateway's ProtocolBoard + SerialConnector on
 * the other end. The first pull is long and the board has little memory, so its backlog overflows;
 * when the link comes back the board sends its `backlog_overflow` gap frame first — and exactly that
 * frame is swallowed by a second pull. Whether the second pull outlasts the board's link timeout
 * (the board re-queues what it wrote recently) or not (the gateway asks for a re-send, `rs`), the
 * gateway must end up with every batch the board sent exactly once and the board's own
 * `backlog_overflow` report with its count — never a hole it cannot explain.
 */
import { describe, expect, it } from 'vitest';
import type { BoardGap, StreamBatch } from '../../../src/boards/board.js';
import { ProtocolBoard } from '../../../src/boards/protocol/protocol-board.js';
import { SerialConnector } from '../../../src/boards/serial/serial-link.js';
import { realClock } from '../../../src/shared/clock.js';
import { nullLogger } from '../../../src/shared/logger.js';
import { EmulatedBoard } from '../../../src/emulator/board.js';
import { bundleFor } from '../../../hil/emulator/bundle.js';
import { PtySerial } from '../../../src/emulator/serial-binding.js';
import { constant } from '../../../src/emulator/signals.js';
import { requireTool } from '../../helpers/system-tool.js';
import { PtyPair } from '../helpers/pty.js';
import { sleep, until } from '../helpers/wait.js';
import { uplinkFrames } from '../helpers/uplink-frames.js';

const HZ = 20;
/** lt = 3 s: the board counts the link down after 1 s without a gateway frame. */
const LT_MS = 3000;

interface Overflow {
  k: string;
  n: number;
  t0: number;
  s0: number;
  s1: number;
}

/**
 * `swallow`: the second pull swallows the overflow report itself, and the second outage does not
 * overflow. Otherwise the report gets through, and the second outage (little memory still) evicts
 * it together with more batches: the board then reports one merged loss from the same start.
 */
async function run(secondPullMs: number, swallow = true) {
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const pty = new PtyPair();
    await pty.start();
    cleanups.push(() => pty.cleanup());
    const code = await bundleFor({ transport: 'serial', boardId: 'repull' });
    const serial = await PtySerial.open(pty.b);
    /** batch sequence numbers the board wrote (also into the pulled cable), and its overflow reports */
    const sent = new Set<number>();
    const overflows: Overflow[] = [];
    let armed = false;
    let swallowed: Overflow | undefined;
    let pulledAgainAt = 0;
    let emulator: EmulatedBoard | undefined = undefined;
    emulator = new EmulatedBoard({
      code,
      serial,
      analog: { D34: constant(1.65) },
      onUplink: uplinkFrames((f) => {
        if (f.t === 'b') sent.add(f.s as number);
        if (f.t === 'gap' && f.why === 'backlog_overflow') {
          const o = f as unknown as Overflow;
          if (!overflows.some((x) => x.k === o.k && x.t0 === o.t0 && x.n === o.n))
            overflows.push(o);
          if (armed && !swallow) {
            // right after the report went out
            armed = false;
            swallowed = o;
            setImmediate(() => {
              emulator!.pullLink();
              pulledAgainAt = Date.now();
            });
          } else if (armed) {
            // the second pull, exactly as this frame goes out: it never reaches the gateway
            armed = false;
            swallowed = o;
            emulator!.pullLink();
            pulledAgainAt = Date.now();
            emulator!.setFreeMemory(10_000); // the second outage does not overflow
          }
        }
      }),
    });
    emulator.start();
    cleanups.push(() => emulator!.stop());
    const board = new ProtocolBoard(
      'repull',
      { analogs: [{ name: 'A1', pin: '34' }], pins: [] },
      new SerialConnector({ path: pty.a, baud: 115200 }),
      realClock,
      nullLogger,
      { linkTimeoutMs: LT_MS, pingIntervalMs: 900, reconnectPollMs: 100 },
    );
    cleanups.push(() => board.close());
    const batches: StreamBatch[] = [];
    const gaps: BoardGap[] = [];
    board.on('batch', (b) => batches.push(b));
    board.on('gap', (g) => gaps.push(g));
    await board.connect();
    await board.configure([
      { key: 'a', method: 'Analogs', readers: ['A1'], hz: HZ, mode: 'streamed' },
    ]);
    await until(() => batches.length >= 10, 20_000, '10 batches before the pull');

    // first pull: long, little memory, so the backlog overflows
    emulator.setFreeMemory(200);
    emulator.pullLink();
    await sleep(3000); // deliberate: the outage
    armed = true;
    emulator.restoreLink();
    await until(() => swallowed !== undefined, 20_000, 'the board reporting its overflow');
    await sleep(Math.max(0, pulledAgainAt + secondPullMs - Date.now())); // deliberate: second outage
    emulator.restoreLink();
    const restoredAt = Date.now();
    // every batch the board wrote up to 1.5 s after the restore has arrived or was reported evicted
    await until(() => Date.now() > restoredAt + 1500, 5000, 'live capture after the restore');
    const upTo = Math.max(...sent);
    const evicted = (s: number) => overflows.some((o) => s >= o.s0 && s <= o.s1);
    const got = () => new Set(batches.filter((b) => b.key === 'a').map((b) => b.seq));
    await until(
      () => [...sent].filter((s) => s <= upTo && !evicted(s)).every((s) => got().has(s)),
      20_000,
      'every batch the board sent and did not evict',
    );
    // the board's loss reports come behind the batches they explain may arrive just after them
    // (tens of ms on a busy machine): wait for each (bounded; check() then says which is missing)
    const reportsIn = () =>
      overflows.every((x) =>
        gaps.some((g) => g.reason === 'backlog_overflow' && g.key === 'a' && g.count === x.n),
      );
    for (const end = Date.now() + 20_000; !reportsIn() && Date.now() < end;) await sleep(20);
    const seqs = batches.filter((b) => b.key === 'a').map((b) => b.seq);
    return { seqs, sent, overflows, swallowed: swallowed!, gaps, upTo, evicted, swallow };
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  }
}

function check(r: Awaited<ReturnType<typeof run>>): void {
  // each batch once, in order
  expect(new Set(r.seqs).size).toBe(r.seqs.length);
  expect([...r.seqs].sort((a, b) => a - b)).toEqual(r.seqs);
  // every batch the board sent is delivered, unless the board reported it evicted
  for (let s = 0; s <= r.upTo; s++) if (!r.evicted(s)) expect(r.seqs, `batch ${s}`).toContain(s);
  // the swallowed overflow report reached the gateway after all, with the board's count
  const o = r.swallowed;
  const reported = r.gaps.filter((g) => g.reason === 'backlog_overflow' && g.key === 'a');
  expect(
    reported.map((g) => g.count),
    `board reported ${o.n} samples evicted (batches ${o.s0}..${o.s1})`,
  ).toContain(o.n);
  // every loss report the board made reached the gateway with the board's count
  for (const x of r.overflows)
    expect(
      reported.map((g) => g.count),
      `report of ${x.n} (batches ${x.s0}..${x.s1})`,
    ).toContain(x.n);
  for (const g of r.gaps) expect(g.end).toBeGreaterThanOrEqual(g.start);
}

describe.skipIf(!requireTool('socat', 'the re-pull test wires an emulated ESP32 over a pty pair'))(
  'a second pull swallows the backlog_overflow report',
  () => {
    it('longer than the board link timeout: the report is re-queued and delivered', async () => {
      check(await run(1800));
    }, 60_000);

    it('shorter than the link timeout: the re-send (rs) brings the report and the batches back', async () => {
      check(await run(400));
    }, 60_000);

    it('the report gets through, then a second overflowing outage evicts it again with more: the merged report counts too', async () => {
      // the second outage must overflow too; how many batches a 3 s outage makes depends on how
      // fast the emulated board runs on this machine, so a run where it did not is run again with
      // a longer outage (every run is checked in full either way)
      for (let attempt = 1; ; attempt++) {
        const r = await run(3000 * attempt, false);
        check(r);
        if (r.overflows.length > 1) break;
        if (attempt === 3)
          throw new Error('the second outage never overflowed the backlog (3, 6 and 9 s tried)');
      }
    }, 150_000);
  },
);
