/**
 * The Espruino REPL as far as the espruino upload CLI needs it, for when the console is on Serial1
 * (a fresh board, or after the agent handed the port back with `repl`): Ctrl-C clears the line,
 * `\x10` turns echo off for a line, each line is evaluated with `print`, `reset()`, `load()`,
 * `E.setBootCode()`, `require("Storage").write/read/erase`, `process.env`, and answered with
 * `=result` and a `>` prompt. Errors print `Uncaught …` like Espruino.
 */
import vm from 'node:vm';

export interface ReplHost {
  write(text: string): void;
  /** `reset()`: stop the running program, keep flash. */
  reset(): void;
  /** `load()`: run the boot code from flash. */
  load(): void;
  files: Map<string, string>;
  env: Record<string, unknown>;
}

export class EspruinoRepl {
  private line = '';
  private echo = true;
  private readonly ctx: vm.Context;

  constructor(private readonly host: ReplHost) {
    const print = (...a: unknown[]) =>
      host.write(`${a.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(' ')}\r\n`);
    const storage = {
      write: (name: string, data: string, offset?: number, size?: number) => {
        const prev = offset ? (host.files.get(name) ?? '') : '';
        const base = size !== undefined && !offset ? '' : prev;
        host.files.set(name, base.slice(0, offset ?? 0) + String(data));
        return true;
      },
      read: (name: string) => host.files.get(name),
      erase: (name: string) => void host.files.delete(name),
      list: () => [...host.files.keys()],
    };
    this.ctx = vm.createContext({
      print,
      console: { log: print },
      reset: () => host.reset(),
      load: () => host.load(),
      save: () => undefined,
      E: { setBootCode: (code: string) => void host.files.set('.bootcde', String(code)) },
      process: { env: host.env },
      require: (name: string) => {
        if (name === 'Storage') return storage;
        throw new Error(`Module ${name} not found`);
      },
    });
  }

  input(data: string): void {
    for (const ch of data) {
      if (ch === '\x03') {
        this.line = '';
        this.echo = true;
        this.host.write('\r\n>');
      } else if (ch === '\x10') {
        this.echo = false;
      } else if (ch === '\n' || ch === '\r') {
        const line = this.line;
        const echo = this.echo;
        this.line = '';
        this.echo = true;
        if (line.trim()) this.run(line, echo);
      } else this.line += ch;
    }
  }

  private run(line: string, echo: boolean): void {
    if (echo) this.host.write(`${line}\r\n`);
    try {
      const result: unknown = vm.runInContext(line, this.ctx, { timeout: 1000 });
      this.host.write(`=${result === undefined ? 'undefined' : JSON.stringify(result)}\r\n>`);
    } catch (err) {
      this.host.write(`Uncaught ${String(err)}\r\n>`);
    }
  }
}
