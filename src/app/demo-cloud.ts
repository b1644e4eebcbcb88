/**
 * The embedded cloud for `wharf demo` / `npm start`: SQLite at $WHARF_HOME/cloud.db, the API and
 * web UI on 127.0.0.1:8080 (any free port when taken), and the demo gateway syncing to it with a
 * key for its machine. Keys are kept in $WHARF_HOME/demo-keys.json (mode 0600) and reused.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { CapturePlan } from '../config/plan.js';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { buildCloudServer } from '../cloud/server.js';
import { SqliteStore } from '../cloud/store/sqlite.js';
import { SqliteFleetStore } from '../cloud/fleet/sqlite.js';
import { fleetPlugin } from '../cloud/fleet/routes.js';

interface DemoKeys {
  [name: string]: string;
}

interface GatewayLike {
  currentPlan: CapturePlan;
  applyPlan(p: CapturePlan): Promise<unknown>;
}

export const cloudDemoPart = {
  name: 'cloud',
  async start(ctx: { home: string; env: NodeJS.ProcessEnv; logger: Logger }) {
    const store = new SqliteStore(path.join(ctx.home, 'cloud.db'));
    const keysFile = path.join(ctx.home, 'demo-keys.json');
    const keys: DemoKeys = existsSync(keysFile)
      ? (JSON.parse(readFileSync(keysFile, 'utf8')) as DemoKeys)
      : {};
    const keyFor = async (name: string, machine: string | null): Promise<string> => {
      const have = keys[name];
      if (have !== undefined && (await store.verifyKey(have)) !== null) return have;
      const { key } = await store.createKey(machine, `demo ${name}`);
      keys[name] = key;
      writeFileSync(keysFile, JSON.stringify(keys, null, 2), { mode: 0o600 });
      return key;
    };
    const readKey = await keyFor('ui', null);
    // the fleet API as `wharf cloud serve` has it (the UI's Fleet view shows config rollout)
    const fleet = new SqliteFleetStore(path.join(ctx.home, 'cloud.db'));
    const plugins = [
      fleetPlugin(fleet),
      async (app: FastifyInstance) => {
        try {
          const { cloudUi } = await import('../cloud/ui/plugin.js');
          await cloudUi()(app, { logger: ctx.logger });
        } catch (err) {
          ctx.logger.warn({ err: errorMessage(err) }, 'web UI not available');
        }
      },
    ];
    const app = await buildCloudServer({ store, logger: ctx.logger, plugins });
    const port = Number(ctx.env.WHARF_CLOUD_PORT ?? 8080);
    try {
      await app.listen({ host: '127.0.0.1', port });
    } catch {
      await app.listen({ host: '127.0.0.1', port: 0 });
    }
    const addr = app.server.address();
    const url = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : port}`;
    return {
      banner: [
        `  cloud:    ${url} (web UI, SQLite ${path.join(ctx.home, 'cloud.db')}); log in with the "ui" key (${readKey.slice(0, 19)}…) from ${keysFile}`,
      ],
      afterGateway: async (gw: GatewayLike) => {
        const plan = gw.currentPlan;
        if (plan.gateway.sync !== null) return; // the config names its own target
        const api_key = await keyFor(`machine:${plan.machine}`, plan.machine);
        await gw.applyPlan({
          ...plan,
          gateway: { ...plan.gateway, sync: { kind: 'cloud', url, api_key } },
        });
      },
      stop: async () => {
        await app.close();
        await fleet.close();
        await store.close();
      },
    };
  },
};
