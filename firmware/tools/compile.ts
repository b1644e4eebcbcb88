/**
 * TypeScript 5.9 → ES5 for the board agent: type-checks firmware/src with firmware/tsconfig.json
 * (lib es5, module none) and returns each file's ES5 output in tsconfig order. Cached per process
 * by source content, so building many boards (the demo, tests) compiles once.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { WharfError } from '../../src/shared/errors.js';

export const FIRMWARE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface CompiledAgent {
  /** ES5 output per source file (without the .d.ts), in tsconfig `files` order, keyed by base name. */
  files: { name: string; js: string }[];
  sourceHash: string;
}

let cache: CompiledAgent | undefined;

export function compileAgent(): CompiledAgent {
  const configPath = path.join(FIRMWARE_DIR, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  if (read.error)
    throw new WharfError(
      'FIRMWARE_BUILD',
      `cannot read ${configPath}: ${ts.flattenDiagnosticMessageText(read.error.messageText, '\n')}`,
    );
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, FIRMWARE_DIR);
  const hash = createHash('sha256');
  for (const f of parsed.fileNames) hash.update(f).update(readFileSync(f));
  const sourceHash = hash.digest('hex').slice(0, 16);
  if (cache && cache.sourceHash === sourceHash) return cache;

  const program = ts.createProgram({
    rootNames: parsed.fileNames,
    options: { ...parsed.options, noEmit: false },
  });
  const diags = ts.getPreEmitDiagnostics(program);
  if (diags.length) {
    const text = ts.formatDiagnostics(diags, {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => FIRMWARE_DIR,
      getNewLine: () => '\n',
    });
    throw new WharfError(
      'FIRMWARE_BUILD',
      `firmware does not type-check against the ES5/Espruino surface:\n${text}`,
    );
  }
  const out = new Map<string, string>();
  program.emit(undefined, (fileName, text) => {
    if (fileName.endsWith('.js')) out.set(path.basename(fileName, '.js'), text);
  });
  const files = parsed.fileNames
    .filter((f) => !f.endsWith('.d.ts'))
    .map((f) => {
      const name = path.basename(f, '.ts');
      const js = out.get(name);
      if (js === undefined) throw new WharfError('FIRMWARE_BUILD', `tsc emitted nothing for ${f}`);
      return { name, js };
    });
  cache = { files, sourceHash };
  return cache;
}
