/** HTTP client of the fleet API, for the CLI (`wharf cloud fragments|machines`) and the gateway. */
import { WharfError, errorMessage } from '../../shared/errors.js';
import { hideUserinfo } from '../../shared/secrets.js';
import type { RetentionEvent, RetentionPolicy } from '../retention/contract.js';
import type { FragmentInfo, MachineReport } from './contract.js';
import type { DesiredConfig } from './desired.js';

export interface MachineState {
  machine: string;
  desired: Omit<DesiredConfig, 'machine' | 'config'> | null;
  applied: MachineReport | null;
  in_sync: boolean;
}

export type ReportBody = Omit<MachineReport, 'machine' | 'reported_ms'>;

export class FleetClient {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  private async call(
    method: string,
    path: string,
    body?: unknown,
    opts: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<Response> {
    const url = new URL(path, this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    const signals = [AbortSignal.timeout(opts.timeoutMs ?? 15_000)];
    if (opts.signal) signals.push(opts.signal);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.any(signals),
      });
    } catch (err) {
      throw new WharfError(
        'SYNC_UNREACHABLE',
        `cannot reach the cloud at ${hideUserinfo(this.baseUrl)}: ${(err as { cause?: { code?: string } }).cause?.code ?? errorMessage(err)}`,
      );
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      let msg = text.slice(0, 500);
      let details: Record<string, unknown> | undefined;
      try {
        const e = (
          JSON.parse(text) as { error: { message: string; details?: Record<string, unknown> } }
        ).error;
        msg = e.message;
        details = e.details;
      } catch {
        // not our error shape
      }
      const code =
        res.status === 401
          ? 'CLOUD_AUTH'
          : res.status === 403
            ? 'CLOUD_FORBIDDEN'
            : res.status === 404
              ? 'CLOUD_NOT_FOUND'
              : res.status < 500
                ? 'CLOUD_BAD_REQUEST'
                : 'CLOUD_STORE';
      throw new WharfError(
        code,
        `cloud answered ${res.status}: ${msg}`,
        details ? { details } : undefined,
      );
    }
    return res;
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await (await this.call(method, path, body)).json()) as T;
  }

  /** Sets (days) or clears (null) a machine's retention_policy (docs/fleet.md "Retention"). */
  setRetention(machine: string, days: number | null) {
    return this.json<{ machine: string; retention_policy: { days: number } | null }>(
      'PUT',
      `api/v1/retention/${encodeURIComponent(machine)}`,
      { retention_policy: days === null ? null : { days } },
    );
  }

  retention(limit = 100) {
    return this.json<{ policies: RetentionPolicy[]; events: RetentionEvent[] }>(
      'GET',
      `api/v1/retention?limit=${limit}`,
    );
  }

  listFragments() {
    return this.json<{ fragments: FragmentInfo[] }>('GET', 'api/v1/fleet/fragments');
  }

  createFragment(id: string, name: string, config: Record<string, unknown>) {
    return this.json<{ fragment: FragmentInfo; revision: number }>(
      'POST',
      'api/v1/fleet/fragments',
      {
        id,
        name,
        config,
      },
    );
  }

  updateFragment(id: string, config: Record<string, unknown>) {
    return this.json<{ id: string; revision: number }>(
      'PUT',
      `api/v1/fleet/fragments/${encodeURIComponent(id)}`,
      { config },
    );
  }

  tagFragment(id: string, tag: string, revision: number) {
    return this.json<{ id: string; tag: string; revision: number }>(
      'PUT',
      `api/v1/fleet/fragments/${encodeURIComponent(id)}/tags/${encodeURIComponent(tag)}`,
      { revision },
    );
  }

  fragment(id: string, version?: string) {
    const q = version === undefined ? '' : `?version=${encodeURIComponent(version)}`;
    return this.json<{
      fragment: FragmentInfo;
      revision: number;
      created_ms: number;
      config: Record<string, unknown>;
    }>('GET', `api/v1/fleet/fragments/${encodeURIComponent(id)}${q}`);
  }

  history(id: string, limit = 20) {
    return this.json<{
      fragment: FragmentInfo;
      revisions: { revision: number; created_ms: number; author: string | null; tags: string[] }[];
    }>('GET', `api/v1/fleet/fragments/${encodeURIComponent(id)}/history?limit=${limit}`);
  }

  setMachineConfig(machine: string, config: Record<string, unknown>) {
    return this.json<{ machine: string; revision: number; fragments: unknown[] }>(
      'PUT',
      `api/v1/fleet/machines/${encodeURIComponent(machine)}/config`,
      { config },
    );
  }

  machine(machine: string) {
    return this.json<{
      machine: string;
      revision: number | null;
      config: Record<string, unknown> | null;
      desired: MachineState['desired'];
      applied: MachineReport | null;
    }>('GET', `api/v1/fleet/machines/${encodeURIComponent(machine)}`);
  }

  machines() {
    return this.json<{ machines: MachineState[] }>('GET', 'api/v1/fleet/machines');
  }

  /** The desired config, or 'unchanged' when it still has `etag` after waiting up to `waitMs`. */
  async desired(
    machine: string,
    etag: string,
    waitMs: number,
    signal?: AbortSignal,
  ): Promise<DesiredConfig | 'unchanged'> {
    const q = new URLSearchParams({ etag, wait_ms: String(waitMs) });
    const res = await this.call(
      'GET',
      `api/v1/fleet/machines/${encodeURIComponent(machine)}/config?${q.toString()}`,
      undefined,
      { timeoutMs: waitMs + 10_000, ...(signal ? { signal } : {}) },
    );
    if (res.status === 204) return 'unchanged';
    return (await res.json()) as DesiredConfig;
  }

  async report(machine: string, body: ReportBody): Promise<void> {
    await this.call('POST', `api/v1/fleet/machines/${encodeURIComponent(machine)}/report`, body);
  }
}
