/** A first-class fake sync target: keeps uploads in memory, can be switched offline or made slow. */
import { WharfError } from '../shared/errors.js';
import type { SyncTarget, UploadItem, UploadResult } from './target.js';

export class MemorySyncTarget implements SyncTarget {
  readonly description = 'memory';
  readonly files = new Map<string, { sha256: string; bytes: Uint8Array; records: number }>();
  offline = false;
  /** File ids this target rejects as invalid. */
  readonly rejectIds = new Set<string>();
  /** Called before each upload; may await to hold uploads in flight. */
  gate: ((item: UploadItem) => Promise<void>) | null = null;
  inFlight = 0;
  maxInFlight = 0;
  attempts = 0;

  async upload(item: UploadItem, signal?: AbortSignal): Promise<UploadResult> {
    this.attempts++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.gate !== null) {
        const gate = this.gate(item);
        if (signal === undefined) await gate;
        else {
          await Promise.race([
            gate,
            new Promise<never>((_r, reject) => {
              const stop = (): void => reject(new WharfError('SYNC_UNREACHABLE', 'upload aborted'));
              if (signal.aborted) stop();
              else signal.addEventListener('abort', stop, { once: true });
            }),
          ]);
        }
      }
      if (this.offline) throw new WharfError('SYNC_UNREACHABLE', 'memory target is offline');
      if (this.rejectIds.has(item.fileId))
        throw new WharfError('SYNC_REJECTED', `memory target rejects ${item.fileId}`);
      const have = this.files.get(item.fileId);
      if (have !== undefined) {
        if (have.sha256 !== item.sha256)
          throw new WharfError('SYNC_REJECTED', `${item.fileId} already stored with other content`);
        return { status: 'already_stored', records: have.records };
      }
      this.files.set(item.fileId, {
        sha256: item.sha256,
        bytes: item.bytes.slice(),
        records: item.records,
      });
      return { status: 'stored', records: item.records };
    } finally {
      this.inFlight--;
    }
  }

  async close(): Promise<void> {}
}
