// Loads every native module wharf runs with and makes each do real work, on whatever `node` runs
// this: better-sqlite3 (cloud store), serialport's bindings (serial boards), cbor-extract (cbor-x's
// fast decoder for capture files), unix-dgram (sd_notify). Exits 1 naming the module that fails.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// the rule of src/cloud/store/sqlite-driver.ts: better-sqlite3 13 (`better-sqlite3-napi`) on
// Node >= 22 where it has a binary (x64, arm64), else 12
const sqliteDriver =
  Number(process.versions.node.split('.')[0]) >= 22 && ['x64', 'arm64'].includes(process.arch)
    ? 'better-sqlite3-napi'
    : 'better-sqlite3';
const checks = {
  // the cloud's driver for this Node (src/cloud/store/sqlite-driver.ts)
  [sqliteDriver]: () => {
    const Database = require(sqliteDriver);
    const db = new Database(':memory:');
    const v = db.prepare('select sqlite_version() as v').get().v;
    db.close();
    return `sqlite ${v}`;
  },
  serialport: async () => {
    // a real pty pair from socat; SerialPort opens one end through its native binding
    const { spawn } = await import('node:child_process');
    const { existsSync, mkdtempSync, rmSync } = await import('node:fs');
    const dir = mkdtempSync('/tmp/wharf-native-');
    const a = `${dir}/a`;
    const socat = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${dir}/b`]);
    try {
      for (let i = 0; i < 100 && !existsSync(a); i++) await new Promise((r) => setTimeout(r, 50));
      const { SerialPort } = await import('serialport');
      const port = await new Promise((resolve, reject) => {
        const p = new SerialPort({ path: a, baudRate: 115200 }, (err) =>
          err ? reject(err) : resolve(p),
        );
      });
      await new Promise((r) => port.close(r));
      return 'opened a pty through the native binding';
    } finally {
      socat.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  },
  'cbor-extract': async () => {
    // resolved the way cbor-x resolves it (from cbor-x's own location)
    const extract = createRequire(require.resolve('cbor-x'))('cbor-extract');
    if (typeof extract.extractStrings !== 'function') throw new Error('no extractStrings');
    const { Encoder, Decoder } = await import('cbor-x');
    const data = { s: 'x'.repeat(100), n: [1, 2, 3] };
    const back = new Decoder().decode(new Encoder().encode(data));
    if (back.s !== data.s) throw new Error('round trip failed');
    return 'native string extraction loaded, round trip ok';
  },
  'unix-dgram': () => {
    const s = require('unix-dgram').createSocket('unix_dgram');
    s.close();
    return 'unix datagram socket opened';
  },
};
let failed = 0;
for (const [name, run] of Object.entries(checks)) {
  try {
    console.log(`ok   ${name}: ${await run()}`);
  } catch (err) {
    failed++;
    console.log(`FAIL ${name}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
console.log(`node ${process.version} (ABI ${process.versions.modules}, ${process.arch})`);
process.exit(failed === 0 ? 0 : 1);
