/** Small argument parsing on node:util parseArgs, with errors that say what was wrong. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { WharfError } from '../shared/errors.js';

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  usage: string,
) {
  try {
    return parseArgs({
      args: joinNegativeValues(args, options),
      options,
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new WharfError('USAGE', `${(err as Error).message}\n${usage}`);
  }
}

/**
 * `--from -1h`: parseArgs reads a value starting with '-' as an option and refuses it. A string
 * option followed by `-<digit>…` (a relative time, a negative number) takes it as its value, as
 * `--from=-1h` does. No option name starts with a digit, so nothing else changes meaning.
 */
function joinNegativeValues(
  args: string[],
  options: NonNullable<ParseArgsConfig['options']>,
): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    const name = a.startsWith('--') ? a.slice(2) : undefined;
    if (
      name !== undefined &&
      options[name]?.type === 'string' &&
      next !== undefined &&
      /^-\.?\d/.test(next)
    ) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}
