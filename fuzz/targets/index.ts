/** Every fuzz target, by name (docs/fuzzing.md lists what each one checks). */
import type { FuzzTarget } from '../core.js';
import { framer } from './framer.js';
import { protocol } from './protocol.js';
import { mqtt } from './mqtt.js';
import { capture } from './capture.js';
import { recovery } from './recovery.js';
import { ingest } from './ingest.js';
import { config } from './config.js';
import { sql } from './sql.js';

export const TARGETS: FuzzTarget<never>[] = [
  framer,
  protocol,
  mqtt,
  capture,
  recovery,
  ingest,
  config,
  sql,
] as unknown as FuzzTarget<never>[];

export function targetByName(name: string): FuzzTarget<never> {
  const t = TARGETS.find((x) => x.name === name);
  if (t === undefined)
    throw new Error(`no fuzz target ${name} (targets: ${TARGETS.map((x) => x.name).join(', ')})`);
  return t;
}
