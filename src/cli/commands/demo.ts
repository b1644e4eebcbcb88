/** `wharf demo` (= `npm start`): the gateway on simulated boards, data under WHARF_HOME. */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { CliCommand } from '../context.js';
import { parse } from '../args.js';
import { WharfError } from '../../shared/errors.js';
import { appLogger } from '../../app/logger.js';
import { launch } from '../../app/launch.js';
import {
  DEMO_CONFIG,
  DEMO_PARTS,
  portFree,
  wharfHome,
  type DemoPartHandle,
} from '../../app/demo.js';
import { loadConfigFile, type CapturePlan } from '../../config/index.js';
import { parseDuration } from './run.js';

const USAGE = `usage: wharf demo [--duration SECONDS] [--config FILE] [--log-level LEVEL]
  Runs the gateway on ${path.relative(process.cwd(), DEMO_CONFIG) || DEMO_CONFIG} (simulated boards) with
  its data under $WHARF_HOME (default ~/.wharf). Ctrl-C stops it.`;

export const command: CliCommand = {
  async run(args, ctx) {
    const { values } = parse(
      args,
      {
        duration: { type: 'string' },
        config: { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      USAGE,
    );
    if (values.help === true) {
      ctx.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const config = values.config === undefined ? DEMO_CONFIG : path.resolve(ctx.cwd, values.config);
    if (!existsSync(config))
      throw new WharfError(
        'USAGE',
        `demo config ${config} is missing (it ships with wharf in examples/); pass --config FILE`,
      );
    const durationMs = parseDuration(values.duration, USAGE);
    const home = wharfHome(ctx.env);
    await mkdir(home, { recursive: true });
    const logger = appLogger(values['log-level'] ?? ctx.env.WHARF_LOG_LEVEL ?? 'warn');

    const handles: DemoPartHandle[] = [];
    try {
      for (const part of DEMO_PARTS)
        handles.push(
          await part.start({ home, env: ctx.env, logger: logger.child({ demo: part.name }) }),
        );
      const adjust = (plan: CapturePlan): CapturePlan => {
        let p: CapturePlan = {
          ...plan,
          dataManager: { ...plan.dataManager, capture_dir: path.join(home, 'capture') },
        };
        for (const h of handles) if (h.adjustPlan) p = h.adjustPlan(p);
        return p;
      };
      // The demo must start even when the default port is taken: fall back to any free port.
      const loaded = await loadConfigFile(config, { env: ctx.env });
      const want = loaded.ok ? adjust(loaded.plan).gateway.http : null;
      const http =
        want !== null && !(await portFree(want.host, want.port))
          ? { host: want.host, port: 0 }
          : undefined;
      return await launch({
        configPath: config,
        displayPath: path.relative(ctx.cwd, config) || config,
        env: ctx.env,
        stdout: ctx.stdout,
        stderr: ctx.stderr,
        logger,
        adjustPlan: adjust,
        gateway: {
          transportContext: Object.assign({}, ...handles.map((h) => h.transportContext ?? {})),
          ...(http === undefined ? {} : { http }),
        },
        bannerLines: [
          `  home:     ${home} (WHARF_HOME)`,
          ...handles.flatMap((h) => h.banner ?? []),
        ],
        afterStart: async (gw) => {
          for (const h of handles) if (h.afterGateway) await h.afterGateway(gw);
        },
        ...(durationMs === undefined ? {} : { durationMs }),
      });
    } finally {
      for (const h of handles.reverse()) await h.stop?.().catch(() => undefined);
    }
  },
};
