/**
 * The broker's refusals (bad credentials, unknown board, client id mismatch, forbidden publish or
 * subscription), logged without letting one client flood the log: per client address and reason,
 * the first `burst` refusals of an interval are logged, the rest are counted and summed up in one
 * line when the interval ends. Every refusal is counted on /metrics
 * (`wharf_mqtt_refused_total{reason}`), logged or not.
 *
 * Names a client chose (username, client id) are printed only when they are a configured board id:
 * a client that typed its password into the username field must not find it in the log. Otherwise
 * the log says `(not a board id, hidden)` and, when one is close, which board id it resembles.
 */
import type { Logger } from '../../shared/logger.js';
import type { Counter, Metrics } from '../../shared/metrics.js';
import { editDistance } from '../../config/names.js';

export type RefusalReason =
  | 'bad_credentials'
  | 'unknown_board'
  | 'client_id_mismatch'
  | 'forbidden_publish'
  | 'forbidden_subscribe';

export const REFUSAL_REASONS: readonly RefusalReason[] = [
  'bad_credentials',
  'unknown_board',
  'client_id_mismatch',
  'forbidden_publish',
  'forbidden_subscribe',
];

export interface RefusalLogOptions {
  logger: Logger;
  metrics?: Metrics;
  /** Refusals logged per client address and reason per interval (default 5). */
  burst?: number;
  /** Interval of the rate limit in ms (default 60 s). */
  intervalMs?: number;
  /** Distinct (address, reason) windows tracked; beyond, refusals share one window (default 1000). */
  maxKeys?: number;
  now?: () => number;
}

interface Window {
  start: number;
  logged: number;
  suppressed: number;
  address: string;
  reason: RefusalReason;
}

const HIDDEN = '(not a board id, hidden)';

export class RefusalLog {
  private readonly windows = new Map<string, Window>();
  private readonly burst: number;
  private readonly intervalMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  private readonly counter: Counter | undefined;
  private readonly timer: NodeJS.Timeout;
  /** Refusals per reason since start (also on /metrics when a registry was given). */
  readonly counts: Record<RefusalReason, number> = {
    bad_credentials: 0,
    unknown_board: 0,
    client_id_mismatch: 0,
    forbidden_publish: 0,
    forbidden_subscribe: 0,
  };

  constructor(private readonly o: RefusalLogOptions) {
    this.burst = o.burst ?? 5;
    this.intervalMs = o.intervalMs ?? 60_000;
    this.maxKeys = o.maxKeys ?? 1000;
    this.now = o.now ?? Date.now;
    this.counter = o.metrics?.counter(
      'wharf_mqtt_refused_total',
      'MQTT clients and packets the embedded broker refused, by reason.',
    );
    for (const r of REFUSAL_REASONS) this.counter?.inc({ reason: r }, 0);
    this.timer = setInterval(() => this.sweep(), Math.max(100, this.intervalMs));
    this.timer.unref();
  }

  /** A name the client chose, as printable: itself when it is a known board id, else hidden. */
  static shown(name: string | undefined, known: (id: string) => boolean): unknown {
    if (name === undefined || name === '') return null;
    return known(name) ? name : HIDDEN;
  }

  /** The configured board id a wrong name resembles (a typo), without printing the name. */
  static resembles(name: string | undefined, ids: Iterable<string>): string | undefined {
    if (name === undefined || name.length > 64) return undefined;
    let best: string | undefined;
    let bestD = Infinity;
    for (const id of ids) {
      const d = editDistance(name, id);
      if (d < bestD) {
        bestD = d;
        best = id;
      }
    }
    return best !== undefined && bestD > 0 && bestD <= Math.max(1, Math.floor(best.length / 4))
      ? best
      : undefined;
  }

  refuse(
    reason: RefusalReason,
    address: string,
    fields: Record<string, unknown>,
    msg: string,
  ): void {
    this.counts[reason]++;
    this.counter?.inc({ reason });
    const now = this.now();
    let key = `${reason}|${address}`;
    if (!this.windows.has(key) && this.windows.size >= this.maxKeys) key = `${reason}|*`;
    let w = this.windows.get(key);
    if (w !== undefined && now - w.start >= this.intervalMs) {
      this.summary(w);
      w = undefined;
    }
    if (w === undefined) {
      w = {
        start: now,
        logged: 0,
        suppressed: 0,
        address: key.endsWith('|*') ? '*' : address,
        reason,
      };
      this.windows.set(key, w);
    }
    if (w.logged < this.burst) {
      w.logged++;
      const last = w.logged === this.burst;
      this.o.logger.warn(
        { reason, client: address, ...fields },
        last
          ? `${msg} (further ${reason} refusals from ${address} are counted, not logged, for ${Math.round(this.intervalMs / 1000)} s)`
          : msg,
      );
    } else {
      w.suppressed++;
    }
  }

  /** Emit the summaries of windows that ended. */
  sweep(): void {
    const now = this.now();
    for (const [k, w] of this.windows) {
      if (now - w.start < this.intervalMs) continue;
      this.summary(w);
      this.windows.delete(k);
    }
  }

  /** Emit every pending summary (at close). */
  flush(): void {
    for (const w of this.windows.values()) this.summary(w);
    this.windows.clear();
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }

  private summary(w: Window): void {
    if (w.suppressed === 0) return;
    this.o.logger.warn(
      {
        reason: w.reason,
        client: w.address,
        suppressed: w.suppressed,
        windowMs: this.intervalMs,
        total: this.counts[w.reason],
      },
      `MQTT refusals: ${w.suppressed} more ${w.reason} from ${w.address} not logged in this interval`,
    );
    w.suppressed = 0;
  }
}
