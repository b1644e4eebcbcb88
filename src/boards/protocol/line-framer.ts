/**
 * Newline framing for byte streams (serial) with bounded memory: at most MAX_FRAME_BYTES are kept;
 * a longer line is discarded up to the next newline and reported once as overlong. `\r\n` is
 * accepted. Lines are decoded as UTF-8 only when complete.
 *
 * (@serialport/parser-readline buffers without a bound, which a board spewing garbage without a
 * newline would turn into unbounded memory; this is the same job with a cap.)
 */
import { MAX_FRAME_BYTES } from './messages.js';

export class LineFramer {
  private buf: Buffer;
  private len = 0;
  private discarding = false;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onOverlong: (droppedBytes: number) => void,
    private readonly maxBytes = MAX_FRAME_BYTES,
  ) {
    this.buf = Buffer.allocUnsafe(maxBytes);
  }

  private dropped = 0;

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      const end = nl === -1 ? chunk.length : nl;
      const piece = end - start;
      if (this.discarding) {
        this.dropped += piece;
      } else if (this.len + piece > this.maxBytes) {
        this.discarding = true;
        this.dropped = this.len + piece;
        this.len = 0;
      } else {
        chunk.copy(this.buf, this.len, start, end);
        this.len += piece;
      }
      if (nl === -1) return;
      start = nl + 1;
      if (this.discarding) {
        this.discarding = false;
        const d = this.dropped;
        this.dropped = 0;
        this.onOverlong(d);
      } else {
        let n = this.len;
        if (n > 0 && this.buf[n - 1] === 13) n--;
        this.len = 0;
        if (n > 0) this.onLine(this.buf.toString('utf8', 0, n));
      }
    }
  }

  /** Forget a partial line (after the link was re-opened). */
  reset(): void {
    this.len = 0;
    this.discarding = false;
    this.dropped = 0;
  }
}
