/**
 * The firmware build and its gates: what ships is ES5, references only the Espruino allowlist,
 * defines every function before use, fits 12 KB, and never carries secrets into the manifest.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as acorn from 'acorn';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFirmware, MAX_BUNDLE_BYTES } from '../../firmware/tools/build.js';
import { runGates } from '../../firmware/tools/gates.js';
import { isWharfError } from '../../src/shared/errors.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const gates = (code: string) =>
  runGates(code, MAX_BUNDLE_BYTES).map((p) => `${p.gate}: ${p.message}`);

describe('firmware build', () => {
  it('builds both transports into small ES5 bundles with a manifest that holds no secrets', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'wharf-fw-'));
    dirs.push(out);
    for (const transport of ['serial', 'mqtt'] as const) {
      const r = await buildFirmware(
        {
          transport,
          boardId: 'esp-7',
          mqttHost: '10.0.0.2',
          mqttPort: 1884,
          secret: 'hunter2-secret',
          wifiSsid: 'plant-wifi',
          wifiPassword: 'wifi-pass-42',
          serial: 'Serial1',
          baud: 115200,
        },
        { outDir: out },
      );
      const code = await readFile(r.file as string, 'utf8');
      expect(code).toBe(r.code);
      expect(() => acorn.parse(code, { ecmaVersion: 5 })).not.toThrow();
      expect(r.manifest.bytes).toBe(Buffer.byteLength(code));
      expect(r.manifest.bytes).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
      expect(r.manifest.variablesEstimate).toBeGreaterThan(r.manifest.bytes / 12);
      const manifest = await readFile(r.manifestFile as string, 'utf8');
      expect(manifest).not.toContain('hunter2-secret');
      expect(manifest).not.toContain('wifi-pass-42');
      expect(JSON.parse(manifest).settings).toMatchObject({
        boardId: 'esp-7',
        secret: '[redacted]',
        wifiPassword: '[redacted]',
      });
      if (transport === 'mqtt') {
        // the board needs them: they are in the bundle, which is why it is never printed
        expect(code).toContain('hunter2-secret');
        expect(code).toContain('require("MQTT")');
      } else {
        expect(code).not.toContain('hunter2-secret');
        expect(code).toContain('Serial1');
      }
      expect(gates(code)).toEqual([]);
    }
  });

  it('refuses settings that cannot work, saying which option is wrong', async () => {
    const fail = async (s: Parameters<typeof buildFirmware>[0]) => {
      try {
        await buildFirmware(s, { write: false });
      } catch (err) {
        expect(isWharfError(err, 'FIRMWARE_BUILD')).toBe(true);
        return (err as Error).message;
      }
      throw new Error('build should have failed');
    };
    expect(await fail({ transport: 'mqtt', boardId: 'esp-1' })).toMatch(/--mqtt-host/);
    expect(await fail({ transport: 'serial', boardId: 'esp/1' })).toMatch(/--board-id/);
    expect(await fail({ transport: 'serial', boardId: 'e', serial: 'Serial9' as never })).toMatch(
      /--serial/,
    );
    expect(await fail({ transport: 'serial', boardId: 'e', baud: 12 })).toMatch(/--baud/);
  });

  it('fails the build when the bundle is over the size budget', async () => {
    await expect(
      buildFirmware({ transport: 'serial', boardId: 'esp-1' }, { write: false, maxBytes: 2000 }),
    ).rejects.toThrow(/over the 2000-byte budget/);
  });
});

describe('firmware gates', () => {
  it('es5: rejects ES2015+ syntax', () => {
    expect(gates('let a = 1;')[0]).toMatch(/^es5:/);
    expect(gates('var f = () => 1;')[0]).toMatch(/^es5:/);
    expect(gates('var s = `x`;')[0]).toMatch(/^es5:/);
    expect(gates('var o = { a() {} };')[0]).toMatch(/^es5:/);
  });

  it('globals: only the Espruino allowlist; optional host objects only behind typeof', () => {
    expect(gates('var m = new Map();')).toEqual([
      expect.stringMatching(/global 'Map' is not in the Espruino allowlist/),
    ]);
    expect(gates('(function(){ Buffer.from("x"); window.x = 1; })();')).toHaveLength(2);
    expect(gates('(function(){ function f(){ return process.memory(); } f(); })();')).toEqual([
      expect.stringMatching(/'process' is optional/),
    ]);
    expect(
      gates(
        '(function(){ function f(){ if (typeof process !== "undefined") return process.memory(); } f(); })();',
      ),
    ).toEqual([]);
    expect(
      gates(
        '(function(){ var x = 1; function f(a){ var b = a + x; try { analogRead(b) } catch (e) { return e } } f(2); })();',
      ),
    ).toEqual([]);
    expect(gates('var o = { Map: 1 }; o.Set = 2;')).toEqual([]);
  });

  it('order: nothing runs a function before the statement that defines it, directly or through a call', () => {
    expect(gates('f(); function f(){}')).toEqual([
      expect.stringMatching(/^order: 'f' is used before its definition/),
    ]);
    expect(gates('function a(){ b(); } a(); function b(){}')).toEqual([
      expect.stringMatching(/^order: 'b'/),
    ]);
    expect(gates('var x = g(); var g = function(){ return 1; };')).toEqual([
      expect.stringMatching(/^order: 'g'/),
    ]);
    expect(gates('(function(){ h(); function h(){} })();')).toEqual([
      expect.stringMatching(/^order: 'h'/),
    ]);
    // a callback that runs later may name a function defined further down
    expect(gates('setTimeout(function(){ k(); }, 1); function k(){}')).toEqual([]);
    expect(gates('function a(){ b(); } function b(){} a();')).toEqual([]);
  });
});
