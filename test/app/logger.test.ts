/** The app logger (pino) writes each key once per JSON line, whatever children bound. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { appLogger } from '../../src/app/logger.js';

function capture() {
  const lines: string[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(
        ...chunk
          .toString()
          .split('\n')
          .filter((l) => l !== ''),
      );
      cb();
    },
  });
  return { lines, dest };
}

/** Every key of a JSON line at the top level, in order, as written (duplicates kept). */
function rawKeys(line: string): string[] {
  return [...line.matchAll(/[{,]"([^"]+)":/g)].map((m) => m[1]!);
}

describe('app logger', () => {
  it('a key bound by a child and given again in the call appears once, with the call’s value', () => {
    const { lines, dest } = capture();
    const log = appLogger('debug', dest);
    const boards = log.child({ part: 'boards' }).child({ board: 'x' });
    boards.warn({ board: 'x', reason: 'timeout' }, 'read failed');
    boards.child({ board: 'y' }).info({ n: 1 }, 'moved');
    boards.error('plain message');
    expect(lines).toHaveLength(3);
    for (const l of lines) {
      const keys = rawKeys(l);
      expect(new Set(keys).size, l).toBe(keys.length);
    }
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 40,
      part: 'boards',
      board: 'x',
      reason: 'timeout',
      msg: 'read failed',
    });
    expect(JSON.parse(lines[1]!)).toMatchObject({ board: 'y', n: 1, msg: 'moved' });
    expect(JSON.parse(lines[2]!)).toMatchObject({ board: 'x', msg: 'plain message' });
  });

  it('respects the level', () => {
    const { lines, dest } = capture();
    const log = appLogger('warn', dest).child({ part: 'p' });
    log.info({ a: 1 }, 'hidden');
    log.debug('hidden');
    log.warn('shown');
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['shown']);
  });
});
