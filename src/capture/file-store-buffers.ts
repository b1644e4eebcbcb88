/**
 * Buffers of finished capture files kept for new ones, so a fast stream that rotates often
 * allocates nothing: at most 32, none much larger than two files' worth.
 */
import { ByteSink } from './file-format.js';

export class SinkPool {
  private readonly sinks: ByteSink[] = [];

  /** `maxFileBytes`: the store's maximum_capture_file_size_bytes (read at each recycle). */
  constructor(private readonly maxFileBytes: () => number) {}

  /** A pooled buffer (emptied) or a new one. */
  take(): ByteSink {
    return this.sinks.pop() ?? new ByteSink(4096);
  }

  /** Keep a few buffers of finished files for new ones: a fast stream then allocates nothing. */
  recycle(sink: ByteSink): void {
    if (this.sinks.length < 32 && sink.buf.length <= 2 * this.maxFileBytes() + 65536) {
      sink.reset();
      this.sinks.push(sink);
    }
  }
}
