/**
 * `wharf <command> …`: thin dispatch. Each command lives in `commands/<name>.ts`, exports
 * `command: CliCommand`, parses its own arguments and calls the modules.
 */
import { errorMessage, isWharfError } from '../shared/errors.js';
import { hideUserinfoIn } from '../shared/secrets.js';
import { processContext, type CliCommand, type CliContext } from './context.js';

interface Entry {
  summary: string;
  load: () => Promise<{ command: CliCommand }>;
}

const COMMANDS: Record<string, Entry> = {
  demo: {
    summary: 'run the gateway on embedded defaults (embedded broker, cloud, emulated boards)',
    load: () => import('./commands/demo.js'),
  },
  run: {
    summary: 'run the gateway: wharf run --config FILE',
    load: () => import('./commands/run.js'),
  },
  config: {
    summary: 'wharf config check|explain FILE',
    load: () => import('./commands/config.js'),
  },
  data: {
    summary: 'wharf data ls|cat|stats [DIR]: inspect the capture directory',
    load: () => import('./commands/data.js'),
  },
  status: {
    summary: 'wharf status: latest reading per board and method, sync backlog, last error',
    load: () => import('./commands/status.js'),
  },
  sync: {
    summary: 'wharf sync now: upload finished capture files now',
    load: () => import('./commands/sync.js'),
  },
  cloud: { summary: 'wharf cloud serve|keys|export', load: () => import('./commands/cloud.js') },
  query: {
    summary: 'wharf query [filters] [--sql Q] [--export FMT]',
    load: () => import('./commands/query.js'),
  },
  firmware: { summary: 'wharf firmware build|flash', load: () => import('./commands/firmware.js') },
  service: {
    summary: 'wharf service install|uninstall|status: run the gateway under systemd',
    load: () => import('./commands/service.js'),
  },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  const lines = Object.entries(COMMANDS).map(
    ([name, e]) => `  ${name.padEnd(width)}  ${e.summary}`,
  );
  return `usage: wharf <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun 'wharf <command> --help' for a command's options.\n`;
}

export async function main(argv: string[], ctx: CliContext = processContext()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    ctx.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const entry = COMMANDS[name];
  if (entry === undefined) {
    ctx.stderr.write(`wharf: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    const mod = await entry.load();
    return await mod.command.run(rest, ctx);
  } catch (err) {
    const code = isWharfError(err) ? ` [${err.code}]` : '';
    // a message may quote a URL the user gave, with its password (and fetch quotes it whole)
    ctx.stderr.write(`wharf ${name}: ${hideUserinfoIn(errorMessage(err))}${code}\n`);
    return 1;
  }
}
