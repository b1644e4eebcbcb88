/**
 * The sync target contract: where finished capture files go. Implementations: the wharf cloud over
 * HTTP(S) (http-target.ts) and a directory such as a NAS or USB stick (dir-target.ts); one suite
 * (test/sync/target-contract.ts) runs against both.
 *
 * `upload` resolves only when the target has the file durably (the cloud committed its rows, the
 * directory fsynced it). Uploading a file the target already has answers `already_stored`.
 * Errors carry a code the worker branches on:
 *  - SYNC_UNREACHABLE: network, timeouts, 5xx, disk not mounted → keep the file, back off, retry.
 *  - SYNC_AUTH: the key is wrong, revoked or for another machine → keep the file, retry slowly.
 *  - SYNC_REJECTED: this file is invalid for the target → move it to failed/ with the reason.
 */
export interface UploadItem {
  fileId: string;
  /** Hex sha256 of `bytes`. */
  sha256: string;
  bytes: Uint8Array;
  /** From the file header: the machine the data belongs to. */
  machine: string;
  records: number;
}

export interface UploadResult {
  status: 'stored' | 'already_stored';
  records: number;
}

export interface SyncTarget {
  /** For logs and `wharf status`: never contains a secret. */
  readonly description: string;
  /** `signal` aborts the upload (the worker is stopping): reject with SYNC_UNREACHABLE, keep nothing half. */
  upload(item: UploadItem, signal?: AbortSignal): Promise<UploadResult>;
  close(): Promise<void>;
}
