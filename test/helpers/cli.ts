/**
 * Runs wharf's CLI entry in-process with captured stdout/stderr, as a user would run a command.
 * `captureContext` gives a CliContext whose output can be read while or after a command runs;
 * `runCli` runs one command and returns its exit code and everything it wrote.
 */
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.js';
import type { CliContext } from '../../src/cli/context.js';

export interface CapturedContext extends CliContext {
  /** Everything written to stdout so far. */
  out(): string;
  /** Everything written to stderr so far. */
  err(): string;
}

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** A non-TTY CliContext with the given environment and working directory, capturing both streams. */
export function captureContext(env: NodeJS.ProcessEnv, cwd: string): CapturedContext {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const o: Buffer[] = [];
  const e: Buffer[] = [];
  stdout.on('data', (d: Buffer) => o.push(d));
  stderr.on('data', (d: Buffer) => e.push(d));
  return {
    stdout,
    stderr,
    env,
    cwd,
    isTTY: false,
    out: () => Buffer.concat(o).toString(),
    err: () => Buffer.concat(e).toString(),
  };
}

/** Runs `wharf <args>` in-process; resolves with the exit code and the captured output. */
export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<CliResult> {
  const ctx = captureContext(env, cwd);
  const code = await main(args, ctx);
  return { code, out: ctx.out(), err: ctx.err() };
}
