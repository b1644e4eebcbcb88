import * as path from 'node:path';
import {
  parseConfig,
  type LoadResult,
  type ConfigIssue,
  type CapturePlan,
} from '../../src/config/index.js';

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The seed configs in shared/ beside the project root (a checkout or CI's clone), else /work/shared. */
export const SEEDS = ((): string => {
  const beside = path.resolve(fileURLToPath(import.meta.url), '../../../../shared/seeds/configs');
  return existsSync(beside) ? beside : '/work/shared/seeds/configs';
})();
export const ENV = { HOME: '/home/tester' } as NodeJS.ProcessEnv;
export const HOST = 'test-host';

/** Parses a config given as an object or a text, as if it were /cfg/machine.json. */
export function load(
  cfg: unknown,
  opts: { env?: NodeJS.ProcessEnv; parts?: Record<string, string> } = {},
): LoadResult {
  const text = typeof cfg === 'string' ? cfg : JSON.stringify(cfg, null, 2);
  return parseConfig(text, {
    sourcePath: '/cfg/machine.json',
    env: opts.env ?? ENV,
    hostname: HOST,
    readPart: (p) => {
      const t = opts.parts?.[path.basename(p)];
      if (t === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
      return t;
    },
  });
}

export function errors(r: LoadResult): ConfigIssue[] {
  return r.issues.filter((i) => i.severity === 'error');
}

export function warnings(r: LoadResult): ConfigIssue[] {
  return r.issues.filter((i) => i.severity === 'warning');
}

export function planOf(r: LoadResult): CapturePlan {
  if (!r.ok)
    throw new Error(
      `expected a valid config, got:\n${r.issues.map((i) => `${i.severity} ${i.path}: ${i.message}`).join('\n')}`,
    );
  return r.plan;
}

export const BOARD = {
  name: 'my-esp32',
  type: 'board',
  model: 'esp32',
  attributes: {
    pins: [27, 4],
    analogs: [
      { name: 'A1', pin: '34' },
      { name: 'A2', pin: '35' },
    ],
  },
};

export function method(m: Record<string, unknown>) {
  return { type: 'data_manager', attributes: { capture_methods: [m] } };
}

/** A main part with one remote carrying the board above and the given capture methods. */
export function withRemote(
  methods: Record<string, unknown>[],
  remote: Record<string, unknown> = {},
) {
  return {
    services: [{ name: 'data_manager', type: 'data_manager', attributes: { tags: ['svc'] } }],
    components: [],
    remotes: [
      {
        name: 'esp-home',
        address: 'sim://esp-home',
        components: [BOARD],
        service_configs: [{ type: 'data_manager', attributes: { capture_methods: methods } }],
        ...remote,
      },
    ],
  };
}
