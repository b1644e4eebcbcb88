/**
 * The dependency rules (.dependency-cruiser.cjs) catch what docs/architecture.md forbids: a small
 * tree with one back-arrow, one cycle, one lab import and one transport import from capture is
 * cruised with the project's rules, and each breach is reported; the same tree without them is clean.
 */
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '../..');
const depcruise = path.join(repo, 'node_modules/.bin/depcruise');

async function tree(files: Record<string, string>): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'wharf-arrows-'));
  for (const [f, text] of Object.entries(files)) {
    await fsp.mkdir(path.dirname(path.join(dir, f)), { recursive: true });
    await fsp.writeFile(path.join(dir, f), text);
  }
  await fsp.copyFile(path.join(repo, '.dependency-cruiser.cjs'), path.join(dir, 'rules.cjs'));
  await fsp.writeFile(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }),
  );
  await fsp.writeFile(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  return dir;
}

async function violations(dir: string): Promise<string[]> {
  try {
    await run(depcruise, ['--config', 'rules.cjs', '--output-type', 'err', 'src'], { cwd: dir });
    return [];
  } catch (err) {
    const out = String((err as { stdout?: string }).stdout ?? '');
    return [...out.matchAll(/error ([\w-]+): (\S+) →/g)].map((m) => `${m[1]} ${m[2]}`);
  }
}

const clean = {
  'src/shared/errors.ts': 'export const E = 1;\n',
  'src/config/plan.ts': "import { E } from '../shared/errors.js';\nexport const P = E;\n",
  'src/boards/board.ts': "import { P } from '../config/plan.js';\nexport const B = P;\n",
  'src/boards/registry.ts': "import { B } from './board.js';\nexport const R = B;\n",
  'src/capture/engine.ts': "import { B } from '../boards/board.js';\nexport const C = B;\n",
  'src/app/gateway.ts':
    "import { R } from '../boards/registry.js';\nimport { C } from '../capture/engine.js';\nexport const G = R + C;\n",
  'test/helpers/tool.ts': 'export const T = 1;\n',
};

describe('dependency rules', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await fsp.rm(d, { recursive: true, force: true });
  });

  it('pass a tree whose arrows point left', async () => {
    const dir = await tree(clean);
    dirs.push(dir);
    expect(await violations(dir)).toEqual([]);
  });

  it('fail a back-arrow, a cycle, lab code in src and a transport import from capture', async () => {
    const dir = await tree({
      ...clean,
      // config → boards: a back-arrow
      'src/config/plan.ts':
        "import { E } from '../shared/errors.js';\nimport { B } from '../boards/board.js';\nexport const P = E;\nexport const Q = B;\n",
      // capture → the registry (every transport)
      'src/capture/engine.ts': "import { R } from '../boards/registry.js';\nexport const C = R;\n",
      // shipped code → test helpers
      'src/app/gateway.ts':
        "import { C } from '../capture/engine.js';\nimport { T } from '../../test/helpers/tool.js';\nexport const G = C + T;\n",
    });
    dirs.push(dir);
    const v = await violations(dir);
    expect(v).toContain('layer-config src/config/plan.ts');
    expect(v).toContain('capture-sees-only-the-board-contract src/capture/engine.ts');
    expect(v).toContain('shipped-code-imports-no-lab-code src/app/gateway.ts');
    expect(v.some((x) => x.startsWith('no-circular '))).toBe(true);
  }, 60_000);
});
