/**
 * Run a started gateway until SIGINT/SIGTERM (or a duration), then stop it cleanly: collectors
 * stop, every record is flushed, files are finished.
 *
 * The handlers are installed when the command begins (`StopSignals`, before the config is loaded
 * and the gateway started), not when it starts serving: a SIGTERM that arrives while the gateway
 * starts, or right after its banner was printed, is a clean stop once it is up, never node's
 * default (killed by the signal, files left for recovery). They stay installed until the command
 * returns.
 *
 * While stopping, a repeated SIGTERM is logged and ignored: coreutils `timeout`, process-group
 * kills and service managers deliver it twice, and the clean stop must still finish the files
 * (systemd's TimeoutStopSec bounds it with SIGKILL). A second Ctrl-C (SIGINT at least
 * FORCE_AFTER_MS after the first signal: a person, not a duplicate delivery) exits at once;
 * recovery finishes the files at the next start.
 */
import type { Logger } from '../shared/logger.js';
import type { Gateway } from './gateway.js';

/** A SIGINT this long after the first signal is a person pressing Ctrl-C again. */
export const FORCE_AFTER_MS = 1000;

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** SIGINT/SIGTERM handling for one command run: install first, dispose last. */
export class StopSignals {
  /** When stopping began (a signal, or the duration), else undefined. */
  private stoppingAt: number | undefined;
  private resolveWhy!: (why: string) => void;
  /** Why the gateway stops: the first signal's name, or 'duration elapsed'. */
  readonly why: Promise<string> = new Promise((r) => (this.resolveWhy = r));
  private timer: NodeJS.Timeout | undefined;
  private readonly onSignal = (sig: NodeJS.Signals): void => this.signal(sig);
  private readonly aborter = new AbortController();
  /** Aborted once stopping begins: for work before the gateway runs (the cloud boot request). */
  readonly abortSignal: AbortSignal = this.aborter.signal;

  /**
   * `finishing`: what a clean stop finishes, for the log ('the capture files'). `exit` and `now`
   * are process.exit and Date.now unless a test injects them.
   */
  constructor(
    private readonly logger: Logger,
    private readonly finishing = 'the capture files',
    private readonly sys: { exit: (code: number) => void; now: () => number } = {
      exit: (code) => process.exit(code),
      now: Date.now,
    },
  ) {
    for (const s of SIGNALS) process.on(s, this.onSignal);
  }

  /** A signal already arrived (e.g. while the gateway was starting). */
  get stopping(): boolean {
    return this.stoppingAt !== undefined;
  }

  /** Stop after `ms` from now (tests, CI, `--duration`), unless a signal comes first. */
  stopAfter(ms: number): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => this.begin('duration elapsed'), ms);
  }

  private begin(why: string): void {
    if (this.stoppingAt !== undefined) return;
    this.stoppingAt = this.sys.now();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.resolveWhy(why);
    this.aborter.abort(new Error(`stopping (${why})`));
  }

  private signal(sig: NodeJS.Signals): void {
    if (this.stoppingAt === undefined) {
      this.begin(sig);
      return;
    }
    if (sig === 'SIGINT' && this.sys.now() - this.stoppingAt >= FORCE_AFTER_MS) {
      this.logger.error(
        `second Ctrl-C while stopping: exiting now without finishing ${this.finishing} (${this.finishing === 'the capture files' ? 'recovery finishes them at the next start' : 'the next start recovers'})`,
      );
      this.sys.exit(130);
      return;
    }
    this.logger.warn({ signal: sig }, `already stopping: finishing ${this.finishing} first`);
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const s of SIGNALS) process.off(s, this.onSignal);
  }
}

/** Runs `run` with stop handlers installed for its whole duration (removed when it settles). */
export async function withStopSignals<T>(
  logger: Logger,
  run: (signals: StopSignals) => Promise<T>,
  finishing?: string,
): Promise<T> {
  const signals = new StopSignals(logger, finishing);
  try {
    return await run(signals);
  } finally {
    signals.dispose();
  }
}

export interface ServeOptions {
  signals: StopSignals;
  /** Stop after this many ms (tests, CI, `--duration`). */
  durationMs?: number;
  logger: Logger;
  /** Called with the reason once stopping begins. */
  onStopping?: (why: string) => void;
}

export async function serveUntilStopped(gw: Gateway, o: ServeOptions): Promise<string> {
  if (o.durationMs !== undefined) o.signals.stopAfter(o.durationMs);
  const why = await o.signals.why;
  o.onStopping?.(why);
  o.logger.info({ why }, 'stopping: flushing capture files');
  await gw.stop();
  return why;
}
