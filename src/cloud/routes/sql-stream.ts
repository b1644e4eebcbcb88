/** Shared by the SQL and export routes: start reading a statement's rows before answering. */
import type { SqlStream } from '../store/contract.js';

export interface StartedSql {
  it: AsyncIterator<unknown[][]>;
  /** The first batch (done when the statement returned no rows). */
  first: IteratorResult<unknown[][]>;
}

/**
 * Reads the first batch, so a statement that fails at once answers with an error status instead
 * of a broken download; the statement is cancelled when that read fails, and the error rethrown.
 */
export async function firstBatch(stream: SqlStream): Promise<StartedSql> {
  const it = stream.batches[Symbol.asyncIterator]();
  try {
    return { it, first: await it.next() };
  } catch (err) {
    await stream.cancel();
    throw err;
  }
}
