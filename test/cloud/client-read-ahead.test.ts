/**
 * `wharf cloud export` reads the download ahead of its file writes (src/cloud/client.ts,
 * chunksOf). A cut export errors the fetch body stream, and an errored stream drops the chunks it
 * still holds: read lazily behind a slow consumer, the server's reason in the last line was lost
 * ("export stopped after …: terminated", seen once in CI on a loaded machine).
 */
import { describe, expect, it } from 'vitest';
import { chunksOf } from '../../src/cloud/client.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A body that delivers `lines` one per macrotask, then is cut (errors) right after the last. */
function cutBody(lines: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(c) {
      let i = 0;
      const next = (): void => {
        if (i < lines.length) {
          c.enqueue(bytes(lines[i++]!));
          setImmediate(next);
        } else c.error(new TypeError('terminated'));
      };
      setImmediate(next);
    },
  });
}

describe('export download read-ahead', () => {
  it('a slow consumer still gets every chunk sent before the cut, then the error', async () => {
    const lines = [
      'n\n',
      '1\n',
      '2\n',
      '3\n',
      '# error: CLOUD_SQL_REFUSED: SQL statement timeout\n',
    ];
    const got: string[] = [];
    let error: unknown = null;
    try {
      for await (const c of chunksOf(cutBody(lines))) {
        got.push(new TextDecoder().decode(c));
        await new Promise((r) => setTimeout(r, 20)); // a file write on a busy disk
      }
    } catch (err) {
      error = err;
    }
    expect(got).toEqual(lines);
    expect(String(error)).toMatch(/terminated/);
  });

  it('a download left early is cancelled', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(bytes('x'.repeat(1024)));
      },
      cancel() {
        cancelled = true;
      },
    });
    let n = 0;
    for await (const c of chunksOf(body)) if ((n += c.length) > 10_000) break;
    expect(cancelled).toBe(true);
  });
});
