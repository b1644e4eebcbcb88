/**
 * Which better-sqlite3 build the cloud opens SQLite with, by Node release.
 *
 * better-sqlite3 12 (a raw node::ObjectWrap addon) aborts the process on Node 24 when a statement is
 * garbage-collected after Node tore down its environment (`Assertion failed: (env) != nullptr` in
 * RemoveEnvironmentCleanupHook, from Statement::~Statement; at exit and, reported upstream, after
 * GC during normal work). better-sqlite3 13 is a Node-API port that fixes it and ships prebuilt
 * binaries for linux x64/arm64, but it needs Node ≥ 22 and segfaults on Node 20. So: 13 (installed
 * under the alias `better-sqlite3-napi`) on Node ≥ 22, 12 only on Node 20, the build machine's
 * end-of-life Node. Both have the same API; the types come from @types/better-sqlite3.
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

const require = createRequire(import.meta.url);

/** The package name the running Node loads (`better-sqlite3-napi` = better-sqlite3 13). */
export function sqliteDriverPackage(
  nodeVersion: string = process.versions.node,
  arch: string = process.arch,
): string {
  const major = Number(nodeVersion.split('.')[0]);
  // 13 carries binaries for x64 and arm64 only and builds none at install: a 32-bit Pi (arm) keeps
  // 12, compiled at install, which works on Node 22 (the abort is Node 24's)
  return major >= 22 && (arch === 'x64' || arch === 'arm64')
    ? 'better-sqlite3-napi'
    : 'better-sqlite3';
}

let driver: typeof BetterSqlite3 | undefined;

/** Opens a database with the driver for this Node (loaded on first use, not at import). */
export function openSqlite(path: string, options?: BetterSqlite3.Options): BetterSqlite3.Database {
  driver ??= require(sqliteDriverPackage()) as typeof BetterSqlite3;
  return new driver(path, options);
}
