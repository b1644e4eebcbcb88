/** A compiled bundle on an emulated board in virtual time, wired in memory to a frame collector. */
import { FakeClock } from '../../src/shared/clock.js';
import { EmulatedBoard, type EmulatedBoardOptions } from '../../src/emulator/board.js';
import { bundleFor } from '../../hil/emulator/bundle.js';
import { MemorySerial } from '../../src/emulator/serial-binding.js';
import { MemoryFrameLink, type Frame } from '../../hil/driver/links.js';
import type { FirmwareSettings } from '../../firmware/tools/build.js';

export interface VirtualBoard {
  clock: FakeClock;
  board: EmulatedBoard;
  link: MemoryFrameLink;
  frames: Frame[];
  /** Sends a request with the next id and runs the board (virtual time, ≤ 2 s) until it answered. */
  ask(frame: Record<string, unknown>): Frame;
  since(i: number, t?: string): Frame[];
}

export async function virtualBoard(
  opts: Partial<EmulatedBoardOptions> = {},
  settings: Partial<FirmwareSettings> = {},
): Promise<VirtualBoard> {
  const code =
    opts.code ??
    (await bundleFor({ transport: 'serial', boardId: 'esp-v', ...settings } as FirmwareSettings));
  const clock = new FakeClock(1_000_000);
  const wire = new MemorySerial();
  const link = new MemoryFrameLink(wire);
  const frames: Frame[] = [];
  link.onFrame((f) => frames.push(f));
  const board = new EmulatedBoard({ ...opts, code, clock, serial: wire }).start();
  clock.advance(1);
  let id = 100;
  return {
    clock,
    board,
    link,
    frames,
    ask(frame) {
      const my = id++;
      link.send({ ...frame, id: my });
      // answers come at once, or (a pong) behind a draining backlog: bounded
      let answer: Frame | undefined;
      for (let waited = 0; waited < 2000 && answer === undefined; waited += 5) {
        clock.advance(5);
        answer = frames.find((f) => f.id === my);
      }
      if (!answer) throw new Error(`board did not answer ${JSON.stringify(frame)}`);
      return answer;
    },
    since(i, t) {
      return frames.slice(i).filter((f) => t === undefined || f.t === t);
    },
  };
}
