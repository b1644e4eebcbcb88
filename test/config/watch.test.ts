/** Live reload on a real file: valid changes are handed over, broken ones reported, the old plan kept. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  loadConfigFile,
  watchConfig,
  type CapturePlan,
  type ConfigIssue,
  type ConfigWatcher,
} from '../../src/config/index.js';
import { memoryLogger } from '../../src/shared/logger.js';

const ENV = { HOME: '/home/tester' };

function config(hz: number, reader = 'A1', extra = ''): string {
  return `// live reload test ${extra}
{
  "services": [{"name": "data_manager", "type": "data_manager", "attributes": {}}],
  "remotes": [{
    "name": "b1", "address": "sim://b1", "part_config": "part.json",
    "service_configs": [{"type": "data_manager", "attributes": {"capture_methods": [
      {"name": "rdk:component:board/esp", "method": "Analogs", "capture_frequency_hz": ${hz}, "additional_params": {"reader_name": "${reader}"}}
    ]}}]
  }]
}`;
}

function part(readers: string[]): string {
  return JSON.stringify({
    components: [
      {
        name: 'esp',
        type: 'board',
        attributes: { analogs: readers.map((r, i) => ({ name: r, pin: String(30 + i) })) },
      },
    ],
  });
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Saves like an editor: write a temp file, rename it over the config. */
function saveAtomically(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

describe('watchConfig', () => {
  let dir: string;
  let file: string;
  let watcher: ConfigWatcher | undefined;
  const plans: CapturePlan[] = [];
  const failures: ConfigIssue[][] = [];
  let log = memoryLogger();
  /** Reloads that ended (a new plan, the same plan, or a report), from the watcher's own log. */
  const reloads = () =>
    log.lines.filter((l) =>
      /^config (reloaded: new plan|changed on disk, plan unchanged|changed but is not valid)/.test(
        l.msg,
      ),
    ).length;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-config-watch-'));
    file = path.join(dir, 'machine.jsonc');
    fs.writeFileSync(path.join(dir, 'part.json'), part(['A1', 'A2']));
    fs.writeFileSync(file, config(1));
    plans.length = 0;
    failures.length = 0;
    log = memoryLogger();
  });

  afterEach(() => {
    watcher?.close();
    watcher = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function start(): Promise<CapturePlan> {
    const first = await loadConfigFile(file, { env: ENV });
    if (!first.ok) throw new Error('initial config invalid');
    watcher = watchConfig(file, {
      current: first.plan,
      env: ENV,
      debounceMs: 50,
      logger: log,
      onPlan: (p) => plans.push(p),
      onError: (issues) => failures.push(issues),
    });
    return first.plan;
  }

  it('hands over a valid change, reports a broken one and keeps the running plan', async () => {
    const initial = await start();
    expect(initial.entries[0]?.hz).toBe(1);

    saveAtomically(file, config(5));
    await waitFor('the new plan', () => plans.length === 1);
    expect(plans[0]?.entries.map((e) => [e.key, e.hz])).toEqual([['b1/board/esp/Analogs/A1', 5]]);

    // A syntax error written in place: reported with its line, no plan handed over.
    fs.writeFileSync(file, config(5).replace('"remotes"', '"remotes" oops'));
    await waitFor('the syntax error report', () => failures.length === 1);
    expect(failures[0]?.[0]).toMatchObject({ severity: 'error', line: 4 });
    expect(failures[0]?.[0]?.message).toMatch(/^syntax error at 4:/);

    // A valid JSON file with a resolution error: also reported, still no plan.
    saveAtomically(file, config(5, 'A9'));
    await waitFor('the unknown reader report', () => failures.length === 2);
    expect(failures[1]?.find((i) => i.severity === 'error')?.message).toBe(
      '"A9" is not an analog reader of rdk:component:board/esp (it has: A1, A2)',
    );

    // Back to the running plan (only a comment differs): nothing to hand over.
    const before = reloads();
    saveAtomically(file, config(5, 'A1', 'same plan'));
    await waitFor('the reload of the same plan', () => reloads() > before);
    expect(plans).toHaveLength(1);

    saveAtomically(file, config(2, 'A2'));
    await waitFor('the second plan', () => plans.length === 2);
    expect(plans[1]?.entries.map((e) => e.key)).toEqual(['b1/board/esp/Analogs/A2']);
    expect(failures).toHaveLength(2);
  });

  it('reloads when a part_config file changes', async () => {
    await start();
    // The watcher learns which part_config files to watch from a load of the config; its first
    // one runs in the background, unobservable here. A save of the unchanged config gives a
    // reload that the watcher logs after it has started watching them: wait for that, not for time.
    saveAtomically(file, config(1));
    await waitFor('the reload of the unchanged config', () => reloads() === 1);
    fs.writeFileSync(path.join(dir, 'part.json'), part(['A2']));
    await waitFor('the report about the removed reader', () => failures.length >= 1);
    expect(failures[0]?.find((i) => i.severity === 'error')?.message).toBe(
      '"A1" is not an analog reader of rdk:component:board/esp (it has: A2)',
    );
    expect(plans).toEqual([]);
  });

  it('debounces a burst of writes (at most two loads, the last write wins) and stops after close()', async () => {
    await start();
    for (let hz = 2; hz <= 20; hz++) fs.writeFileSync(file, config(hz));
    await waitFor('the plan after the burst', () => plans.at(-1)?.entries[0]?.hz === 20);
    // Deliberate: a quiet window in which no further reload may happen.
    await sleep(300);
    // One load on an idle machine; a second one if the writer was descheduled for longer than
    // the debounce mid-burst (watch.ts: "a burst of writes costs at most two loads").
    expect(reloads()).toBeLessThanOrEqual(2);
    expect(plans.at(-1)?.entries[0]?.hz).toBe(20);
    const handed = plans.length;

    watcher?.close();
    saveAtomically(file, config(7));
    // Deliberate: a window in which a closed watcher must hand nothing over.
    await sleep(300);
    expect(plans).toHaveLength(handed);
  });

  it('reports a deleted config as an error and picks the file up again when it returns', async () => {
    await start();
    fs.unlinkSync(file);
    await waitFor('the missing-file report', () => failures.length === 1);
    expect(failures[0]?.[0]?.message).toMatch(/cannot read .*machine\.jsonc \(ENOENT\)/);
    saveAtomically(file, config(3));
    await waitFor('the plan after the file returned', () => plans.length === 1);
    expect(plans[0]?.entries[0]?.hz).toBe(3);
  });
});
