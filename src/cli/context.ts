/** What every CLI command receives: streams and environment are injected so commands are testable. */
import type { Writable } from 'node:stream';

export interface CliContext {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** True when stdout is a terminal (progress bars, colours). */
  isTTY: boolean;
}

export interface CliCommand {
  /** Runs the command; resolves with the process exit code. */
  run(args: string[], ctx: CliContext): Promise<number>;
}

export function processContext(): CliContext {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    isTTY: Boolean(process.stdout.isTTY),
  };
}
