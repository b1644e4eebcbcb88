/**
 * Builds the web UI bundle (TypeScript front end + uPlot) with esbuild, offline, into `dist/ui/`.
 *
 * `ensureUiBundle()` is what the server calls at start: it reuses the bundle on disk when its
 * manifest hash matches the current sources, and rebuilds otherwise, so `wharf cloud serve` works
 * on a fresh checkout without a manual step. Writes are atomic (temp file + rename, manifest last),
 * so concurrent servers building at once never serve a half-written file.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WharfError, errorMessage } from '../../shared/errors.js';
import { nullLogger, type Logger } from '../../shared/logger.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** Front-end sources. */
export const UI_SOURCE_DIR = join(HERE, 'app');
/** Default output: `<repo>/dist/ui`. */
export const UI_DEFAULT_OUT_DIR = join(HERE, '..', '..', '..', 'dist', 'ui');
/** Bump when the build options below change, so old bundles are rebuilt. */
const BUILD_FORMAT = 3;

export interface UiBundle {
  html: string;
  js: string;
  css: string;
  /** Content hash of the sources the bundle was built from (also the cache-busting asset version). */
  hash: string;
  /** True when this call ran esbuild; false when the bundle on disk was current. */
  built: boolean;
  outDir: string;
}

interface Manifest {
  hash: string;
  builtAt: string;
}

function listSources(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|css|html)$/.test(name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

function uplotDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('uplot/package.json'));
}

/** Hash of every front-end source, uPlot's version and the build format; null when sources are absent. */
export function sourceHash(srcDir = UI_SOURCE_DIR): string | null {
  // compiled code (dist/) sits beside no front-end sources: the shipped bundle is used as is
  if (!existsSync(join(srcDir, 'main.ts'))) return null;
  const h = createHash('sha256');
  h.update(`format ${BUILD_FORMAT}\n`);
  for (const file of listSources(srcDir)) {
    h.update(relative(srcDir, file));
    h.update('\0');
    h.update(readFileSync(file));
    h.update('\0');
  }
  h.update(readFileSync(join(uplotDir(), 'package.json')));
  h.update(readFileSync(join(HERE, 'build.ts')));
  return h.digest('hex').slice(0, 16);
}

function readManifest(outDir: string): Manifest | null {
  try {
    return JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    return null;
  }
}

function atomicWrite(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

function readBundle(outDir: string, hash: string, built: boolean): UiBundle {
  return {
    html: readFileSync(join(outDir, 'index.html'), 'utf8'),
    js: readFileSync(join(outDir, 'app.js'), 'utf8'),
    css: readFileSync(join(outDir, 'app.css'), 'utf8'),
    hash,
    built,
    outDir,
  };
}

/** Runs esbuild and writes `index.html`, `app.js`, `app.css`, `manifest.json` into outDir. */
export async function buildUi(
  opts: { outDir?: string; srcDir?: string; logger?: Logger } = {},
): Promise<UiBundle> {
  const outDir = opts.outDir ?? UI_DEFAULT_OUT_DIR;
  const srcDir = opts.srcDir ?? UI_SOURCE_DIR;
  const logger = opts.logger ?? nullLogger;
  const hash = sourceHash(srcDir);
  if (hash === null) {
    throw new WharfError(
      'INTERNAL',
      `web UI sources not found at ${srcDir}; reinstall wharf or run from a full checkout`,
    );
  }
  const started = Date.now();
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (err) {
    throw new WharfError(
      'INTERNAL',
      `cannot load esbuild to build the web UI (${errorMessage(err)}); run 'npm install'`,
    );
  }
  let result: import('esbuild').BuildResult<{ write: false }>;
  try {
    result = await esbuild.build({
      entryPoints: [join(srcDir, 'main.ts')],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: ['chrome100', 'firefox100', 'safari15'],
      minify: true,
      sourcemap: false,
      legalComments: 'none',
      logLevel: 'silent',
      outdir: outDir,
      // resolved from wharf's own dependencies, wherever the sources are
      alias: { uplot: join(uplotDir(), 'dist', 'uPlot.esm.js') },
    });
  } catch (err) {
    throw new WharfError('INTERNAL', `web UI build failed: ${errorMessage(err)}`);
  }
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'))?.text;
  if (js === undefined) throw new WharfError('INTERNAL', 'web UI build produced no JavaScript');
  const css =
    readFileSync(join(uplotDir(), 'dist', 'uPlot.min.css'), 'utf8') +
    '\n' +
    readFileSync(join(srcDir, 'styles.css'), 'utf8');
  const html = readFileSync(join(srcDir, 'index.html'), 'utf8').replaceAll('__VERSION__', hash);
  mkdirSync(outDir, { recursive: true });
  atomicWrite(join(outDir, 'app.js'), js);
  atomicWrite(join(outDir, 'app.css'), css);
  atomicWrite(join(outDir, 'index.html'), html);
  atomicWrite(
    join(outDir, 'manifest.json'),
    JSON.stringify({ hash, builtAt: new Date().toISOString() } satisfies Manifest) + '\n',
  );
  logger.info(
    { outDir, hash, ms: Date.now() - started, bytes: js.length + css.length },
    'web UI built',
  );
  return { html, js, css, hash, built: true, outDir };
}

/**
 * Returns the bundle, building it first when it is missing or older than the sources. Without
 * sources (an install that ships only `dist/ui`), the bundle on disk is used as is.
 */
export async function ensureUiBundle(
  opts: { outDir?: string; srcDir?: string; logger?: Logger } = {},
): Promise<UiBundle> {
  const outDir = opts.outDir ?? UI_DEFAULT_OUT_DIR;
  const want = sourceHash(opts.srcDir ?? UI_SOURCE_DIR);
  const have = readManifest(outDir);
  if (have !== null && (want === null || have.hash === want)) {
    try {
      return readBundle(outDir, have.hash, false);
    } catch {
      // fall through: a file is missing, rebuild
    }
  }
  if (want === null) {
    throw new WharfError(
      'INTERNAL',
      `web UI bundle missing in ${outDir} and no sources to build it from; run 'npm run ui:build'`,
    );
  }
  return buildUi(opts);
}
