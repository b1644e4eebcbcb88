/** Small argument parsing on node:util parseArgs, with errors that say what was wrong. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { WharfError } from '../shared/errors.js';

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  usage: string,
) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new WharfError('USAGE', `${(err as Error).message}\n${usage}`);
  }
}
