/**
 * Write failures of the FileCaptureStore: counted in its stats, logged once per distinct error
 * (and once more when writes recover), and the last message kept after recovery for the detail of
 * a `backlog_overflow` gap.
 */
import { errorMessage, WharfError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { CaptureStoreStats } from './capture-store.js';

export interface IoFailure {
  path: string;
  err: unknown;
}

export class WriteErrors {
  private logged: string | null = null;
  /** Last I/O error message, kept after recovery (for the backlog_overflow gap's detail). */
  last: string | null = null;

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
    /** The store's stats, whose `writeErrors` and `lastError` this keeps. */
    private readonly s: CaptureStoreStats,
  ) {}

  /** Counts and logs (once per distinct message) failed writes; returns the first one's message. */
  note(errors: IoFailure[]): string {
    this.s.writeErrors += errors.length;
    const first = errors[0]!;
    const msg = `${errorMessage(first.err)} (${first.path})`;
    this.s.lastError = msg;
    this.last = msg;
    if (this.logged !== msg) {
      this.logged = msg;
      this.logger.error(
        { dir: this.dir, files: errors.length, err: msg },
        'capture write failed; records stay in memory and are retried',
      );
    }
    return msg;
  }

  /** A flush wrote everything: clears the current error (and says so if there was one). */
  recovered(): void {
    if (this.s.lastError !== null) this.logger.info({ dir: this.dir }, 'capture writes recovered');
    this.s.lastError = null;
    this.logged = null;
  }

  /** Notes the failures of one flush and returns the error that flush rejects with. */
  flushFailed(errors: IoFailure[]): WharfError {
    const msg = this.note(errors);
    return new WharfError(
      'CAPTURE_IO',
      `capture flush failed for ${errors.length} file(s): ${msg}. Check free space and permissions of ${this.dir}; the records stay in memory and are retried at the next flush`,
      { cause: errors[0]!.err, details: { files: errors.map((e) => e.path) } },
    );
  }
}
