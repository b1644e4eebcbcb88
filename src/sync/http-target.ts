/** Sync target: the wharf cloud's `POST /api/v1/files` with an API key (HTTP or HTTPS). */
import { WharfError, errorMessage } from '../shared/errors.js';
import { hideUserinfo } from '../shared/secrets.js';
import type { SyncTarget, UploadItem, UploadResult } from './target.js';

export interface HttpTargetOptions {
  url: string;
  apiKey: string;
  /** Per-upload timeout (default 60 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class HttpSyncTarget implements SyncTarget {
  readonly description: string;
  private readonly endpoint: string;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly opts: HttpTargetOptions) {
    let u: URL;
    try {
      u = new URL(opts.url);
    } catch {
      throw new WharfError(
        'USAGE',
        `sync url '${hideUserinfo(opts.url)}' is not a URL; use e.g. http://cloud.local:8080`,
      );
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw new WharfError('USAGE', `sync url must be http:// or https:// (got ${u.protocol})`);
    u.username = '';
    u.password = '';
    this.description = `cloud ${u.origin}${u.pathname.replace(/\/$/, '')}`;
    this.endpoint = new URL('api/v1/files', u.href.endsWith('/') ? u.href : `${u.href}/`).href;
    this.fetchFn = opts.fetch ?? fetch;
  }

  async upload(item: UploadItem, signal?: AbortSignal): Promise<UploadResult> {
    const timeout = AbortSignal.timeout(this.opts.timeoutMs ?? 60_000);
    let res: Response;
    try {
      res = await this.fetchFn(this.endpoint, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.opts.apiKey}`,
          'content-type': 'application/octet-stream',
          'x-wharf-file-id': item.fileId,
          'x-wharf-sha256': item.sha256,
        },
        body: item.bytes as Uint8Array<ArrayBuffer>,
        signal: signal === undefined ? timeout : AbortSignal.any([timeout, signal]),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      throw new WharfError(
        'SYNC_UNREACHABLE',
        `cannot reach ${this.description}: ${cause ?? errorMessage(err)}`,
        { cause: err },
      );
    }
    const text = await res.text().catch(() => '');
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
    const err = (
      body as {
        error?: { message?: unknown; code?: unknown; details?: { reason?: unknown } };
      } | null
    )?.error;
    const why = err?.details?.reason;
    const reason =
      (typeof err?.message === 'string' ? err.message : text.slice(0, 300)) +
      (typeof err?.code === 'string' ? ` [${err.code}]` : '');
    if (res.status === 200 || res.status === 201) {
      const b = body as { status?: string; records?: number } | null;
      if (
        b === null ||
        (b.status !== 'stored' && b.status !== 'already_stored') ||
        typeof b.records !== 'number'
      ) {
        throw new WharfError(
          'SYNC_UNREACHABLE',
          `${this.description} answered ${res.status} without an acknowledgement; is the URL the wharf cloud?`,
        );
      }
      return { status: b.status, records: b.records };
    }
    if (res.status === 403 && why === 'other_machine') {
      // this file's machine is not the key's (the machine was renamed, or the file was copied in):
      // the key is fine for the other files, so the worker keeps this one and goes on
      throw new WharfError(
        'SYNC_AUTH',
        `${this.description} refused file ${item.fileId} (403): ${reason}; it stays in the capture directory and is retried (upload it with that machine's key: wharf sync now --key KEY)`,
        { details: { per_file: true } },
      );
    }
    if (res.status === 400 && why === 'checksum_mismatch') {
      // the bytes were damaged on the way: the file itself is fine, send it again
      throw new WharfError(
        'SYNC_UNREACHABLE',
        `${this.description} received file ${item.fileId} damaged (checksum mismatch): ${reason}`,
      );
    }
    if (res.status === 401 || res.status === 403) {
      throw new WharfError(
        'SYNC_AUTH',
        `${this.description} refused the key (${res.status}): ${reason}; check wharf.sync.api_key / WHARF_API_KEY`,
      );
    }
    if (res.status === 408 || res.status === 429 || res.status >= 500) {
      throw new WharfError(
        'SYNC_UNREACHABLE',
        `${this.description} is unavailable (${res.status}): ${reason}`,
      );
    }
    if (res.status === 404) {
      throw new WharfError(
        'SYNC_UNREACHABLE',
        `${this.description} has no ingest route (404); is the URL the wharf cloud?`,
      );
    }
    // any other 4xx: the content of this file is bad for the cloud (e.g. 422 CLOUD_INGEST_REJECTED
    // naming the record): retrying cannot help; the worker sets the file aside and goes on
    throw new WharfError(
      'SYNC_REJECTED',
      `${this.description} rejected file ${item.fileId} (${res.status}): ${reason}`,
    );
  }

  async close(): Promise<void> {
    // fetch keeps no state of ours
  }
}
