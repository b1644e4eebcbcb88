/**
 * The seam to the firmware toolchain (`firmware/tools/`: TypeScript → ES5, terser, the acorn gates,
 * the espruino CLI). Those are build tools (devDependencies), so shipped code never imports them
 * statically: they are loaded here, by dynamic import of a computed path, only when
 * `wharf firmware build|flash` runs or the demo needs a bundle that was not prebuilt. When a tool is
 * missing (an install with `--omit=dev`) the error says what to install.
 *
 * The interfaces below are the part of firmware/tools this seam uses; test/app/firmware-toolchain
 * checks that the real modules satisfy them.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WharfError, errorMessage } from '../shared/errors.js';

/** The package root: src/app/ and dist/app/ both sit two levels below it. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ToolchainFirmwareSettings {
  transport: 'serial' | 'mqtt';
  boardId: string;
  maxHz?: number;
  backlogVars?: number;
  serial?: string;
  baud?: number;
  path?: string;
  mqttHost?: string;
  mqttPort?: number;
  secret?: string;
  wifiSsid?: string;
  wifiPassword?: string;
}

export interface FirmwareBuildTools {
  DEFAULT_BUILD_DIR: string;
  buildFirmware(
    settings: ToolchainFirmwareSettings,
    opts?: { outDir?: string; write?: boolean },
  ): Promise<{
    code: string;
    manifest: { bytes: number; limitBytes: number; variablesEstimate: number };
    file?: string;
    manifestFile?: string;
  }>;
}

export interface FirmwareFlashTools {
  flashFirmware(o: {
    port?: string | undefined;
    baud?: number | undefined;
    file: string;
    dryRun?: boolean;
    out?: string | undefined;
    timeoutMs?: number;
    progress?: (line: string) => void;
  }): Promise<{ out?: string | undefined }>;
}

const BUILD_PACKAGES = ['typescript', 'terser', 'acorn'];

function missing(packages: string[]): string[] {
  const req = createRequire(path.join(PACKAGE_ROOT, 'package.json'));
  return packages.filter((p) => {
    try {
      req.resolve(`${p}/package.json`);
      return false;
    } catch {
      return true;
    }
  });
}

function toolchainError(what: string, absent: string[]): WharfError {
  return new WharfError(
    'TOOLCHAIN_MISSING',
    `${what} needs the firmware build toolchain, which an install without dev dependencies leaves out ` +
      `(missing: ${absent.join(', ')}). Install it next to wharf: npm install -g ${absent.join(' ')} ` +
      `(same --prefix as wharf), or work from a source checkout: npm ci && npm run firmware:build`,
  );
}

/** Imports a firmware/tools module; registers tsx first when no TypeScript loader is active. */
async function importTool(file: string, what: string): Promise<unknown> {
  const abs = path.join(PACKAGE_ROOT, 'firmware', 'tools', file);
  if (!existsSync(abs))
    throw new WharfError(
      'TOOLCHAIN_MISSING',
      `${what} needs the firmware sources (${abs} is missing); reinstall wharf or use a source checkout`,
    );
  const url = pathToFileURL(abs).href;
  // running from src/*.ts means a TypeScript loader (tsx, vitest) is active; compiled dist/*.js
  // runs on plain node, which needs tsx registered to load firmware/tools/*.ts
  if (import.meta.url.endsWith('.ts')) return import(url);
  const absent = missing(['tsx']);
  if (absent.length > 0) throw toolchainError(what, absent);
  try {
    // resolved like any bare import from here: the package's node_modules or the global prefix's
    const api = (await import('tsx/esm/api')) as { register(): unknown };
    api.register();
  } catch (err) {
    throw new WharfError('TOOLCHAIN_MISSING', `${what}: cannot load tsx (${errorMessage(err)})`);
  }
  return import(url);
}

/** firmware/tools/build.ts, or TOOLCHAIN_MISSING naming the packages to install. */
export async function loadFirmwareBuild(
  what = 'wharf firmware build',
): Promise<FirmwareBuildTools> {
  const absent = missing(BUILD_PACKAGES);
  if (absent.length > 0) throw toolchainError(what, absent);
  return (await importTool('build.ts', what)) as FirmwareBuildTools;
}

/** firmware/tools/flash.ts (it finds the espruino CLI itself and says when it is missing). */
export async function loadFirmwareFlash(
  what = 'wharf firmware flash',
): Promise<FirmwareFlashTools> {
  return (await importTool('flash.ts', what)) as FirmwareFlashTools;
}
