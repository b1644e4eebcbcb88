/**
 * Remote cameras (issue 15 item 2): the seed's `pi-test-main` camera config
 * (seeds/configs/main-part-camera-remote.json) with only its address and secret changed captures
 *   (a) from an IP camera URL (`"address": "http://…/mjpeg"`, read by ffmpeg), and
 *   (b) from another wharf gateway serving its local camera (`"address": "wharf://host:port"`):
 *       GET /camera/frame on that gateway, 404 unless it serves cameras, 401 without its secret;
 * and a frame that could not be had (the far camera frozen, a wrong secret) is a gap record with
 * its reason, never a stale image. `config explain` says how each camera is reached, with bytes/s.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Gateway } from '../../../src/app/gateway.js';
import { FrameSplitter } from '../../../src/capture/images/frame-splitter.js';
import { explainJson, explainPlan, type CapturePlan } from '../../../src/config/index.js';
import { memoryLogger, nullLogger } from '../../../src/shared/logger.js';
import type {
  CaptureMeta,
  CaptureRecord,
  GapRecord,
  ReadingRecord,
} from '../../../src/shared/record.js';
import { requireTool } from '../../helpers/system-tool.js';
import { liveRecords } from '../../helpers/captured.js';
import { waitFor } from '../../helpers/wait.js';
import { runCli } from '../../helpers/cli.js';
import { CameraCapture } from '../../../src/capture/images/camera-capture.js';
import { CaptureMetrics } from '../../../src/capture/capture-metrics.js';
import { MemoryCaptureStore } from '../../../src/capture/memory-store.js';
import { FakeClock } from '../../../src/shared/clock.js';
import { Metrics } from '../../../src/shared/metrics.js';
import { load, planOf, SEEDS } from '../../config/helpers.js';

const hasFfmpeg = requireTool('ffmpeg', 'remote cameras read real ffmpeg sources');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'wharf-rcam-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SECRET = 'far-gateway-secret-3f9a1c';

/** The seed's camera config with only the remote's address and secret changed. */
function seedWith(address: string, secret: string): string {
  const seed = JSON.parse(readFileSync(path.join(SEEDS, 'main-part-camera-remote.json'), 'utf8'));
  seed.remotes[0].address = address;
  seed.remotes[0].secret = secret;
  return JSON.stringify(seed);
}

/** The seed as the first gateway runs it: capture_dir "" is $HOME/.wharf/capture. */
function seedPlan(address: string, secret: string, home: string): CapturePlan {
  return planOf(load(seedWith(address, secret), { env: { HOME: home } as NodeJS.ProcessEnv }));
}

/** Every record on disk, in finished files and (flushed every second) the files being written. */
async function records(dir: string): Promise<{ meta: CaptureMeta; rec: CaptureRecord }[]> {
  return (await liveRecords(dir)).sort((a, b) => start(a.rec) - start(b.rec));
}
const start = (r: CaptureRecord) => (r.kind === 'gap' ? r.start : r.time_requested);
const images = (rs: { rec: CaptureRecord }[]) =>
  rs.map((r) => r.rec).filter((r): r is ReadingRecord => r.kind === 'reading' && !!r.binary);
const gaps = (rs: { rec: CaptureRecord }[]) =>
  rs.map((r) => r.rec).filter((r): r is GapRecord => r.kind === 'gap');
const isJpeg = (b: Uint8Array) => b[0] === 0xff && b[1] === 0xd8;

/** The serving gateway: a local ffmpeg test-pattern camera, no capture of its own. */
function farPlan(dir: string, serve: boolean): CapturePlan {
  return planOf(
    load({
      services: [{ name: 'data_manager', type: 'data_manager', attributes: { capture_dir: dir } }],
      components: [
        {
          name: 'cam',
          type: 'camera',
          model: 'ffmpeg',
          attributes: { video_path: 'lavfi:testsrc=size=160x120:rate=10' },
        },
      ],
      wharf: {
        machine: 'far',
        http: { host: '127.0.0.1', port: 0 },
        ...(serve ? { serve_cameras: { secret: SECRET } } : {}),
      },
    }),
  );
}

describe.skipIf(!hasFfmpeg)('remote cameras', () => {
  it("the seed's camera config with a wharf:// address and secret captures the far gateway's camera; a frozen camera is a gap, never a stale image; the route denies by default", async () => {
    const far = await Gateway.start({
      plan: farPlan(path.join(tmp, 'far'), true),
      logger: nullLogger,
    });
    const homeA = path.join(tmp, 'home-a');
    const lines = memoryLogger();
    let near: Gateway | undefined;
    try {
      const url = far.httpUrl!;
      const frame = (q: string, key?: string) =>
        fetch(
          `${url}/camera/frame?${q}`,
          key ? { headers: { authorization: `Bearer ${key}` } } : {},
        );
      // the route: no key / a wrong key → 401 before anything; an unknown camera → 404
      expect((await frame('name=cam')).status).toBe(401);
      expect((await frame('name=cam', 'wrong')).status).toBe(401);
      expect((await frame('name=nope', SECRET)).status).toBe(404);
      let ok: Response | undefined;
      await waitFor(
        async () => (ok = await frame('name=cam&fps=5', SECRET)).status === 200,
        20_000,
        'a served frame',
      );
      expect(ok!.headers.get('content-type')).toBe('image/jpeg');
      expect(Number(ok!.headers.get('x-wharf-frame-age-ms'))).toBeLessThan(2000);
      expect(ok!.headers.get('x-wharf-frame-id')).toMatch(/^[0-9a-f]{8}-\d+-\d+$/);
      expect(isJpeg(new Uint8Array(await ok!.arrayBuffer()))).toBe(true);
      // a long poll after that frame answers with the next one, never the same
      const id = ok!.headers.get('x-wharf-frame-id')!;
      const next = await frame(`name=cam&fps=5&after=${id}&wait_ms=3000`, SECRET);
      expect(next.status).toBe(200);
      expect(next.headers.get('x-wharf-frame-id')).not.toBe(id);
      await next.arrayBuffer();

      // the seed, address and secret changed
      const address = url.replace(/^http:/, 'wharf:');
      const plan = seedPlan(address, SECRET, homeA);
      expect(plan.entries).toEqual([
        expect.objectContaining({
          boardId: 'pi-test-main',
          component_name: 'cam',
          method: 'ReadImage',
          hz: 1,
          supported: true,
        }),
      ]);
      expect(plan.boards).toEqual([]);
      const text = explainPlan(plan);
      expect(text).toMatch(
        new RegExp(
          `camera pi-test-main:cam: from the wharf gateway ${url.replace(/[.:/]/g, '\\$&')} .*≈ 45 KiB/s over the network`,
        ),
      );
      expect(text).not.toContain(SECRET);
      expect(JSON.stringify(explainJson(plan))).not.toContain(SECRET);

      const dir = path.join(homeA, '.wharf', 'capture');
      expect(plan.dataManager.capture_dir).toBe(dir);
      near = await Gateway.start({ plan, logger: lines, http: null });
      await waitFor(async () => images(await records(dir)).length >= 3, 30_000, '3 images');

      // freeze the far camera: no new frame can be had → gaps, and no image is recorded twice
      const pid = far.cameras!.status().find((s) => s.pid !== undefined)!.pid!;
      process.kill(pid, 'SIGSTOP');
      const before = images(await records(dir)).length;
      try {
        await waitFor(
          async () =>
            gaps(await records(dir)).some(
              (g) => g.reason === 'read_error' && /no new image/.test(g.detail ?? ''),
            ),
          30_000,
          "a gap saying the far camera's frame is not fresh",
        );
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      await waitFor(
        async () => images(await records(dir)).length >= before + 2,
        30_000,
        'images again after the camera resumed',
      );
    } finally {
      await near?.stop();
      await far.stop();
    }
    const rs = await records(path.join(homeA, '.wharf', 'capture'));
    const imgs = images(rs);
    expect(new Set(rs.map((r) => `${r.meta.component_type}/${r.meta.component_name}`))).toEqual(
      new Set(['camera/cam']),
    );
    for (const i of imgs) {
      expect(isJpeg(i.binary!)).toBe(true);
      expect(i.data).toEqual({ image: { size: i.binary!.length, mime_type: 'image/jpeg' } });
    }
    // a stale frame recorded again would repeat its bytes (testsrc frames all differ)
    const distinct = new Set(imgs.map((i) => Buffer.from(i.binary!).toString('base64')));
    expect(distinct.size).toBe(imgs.length);
    expect(JSON.stringify(lines.lines)).not.toContain(SECRET);
  }, 120_000);

  it('a wrong secret, or a far gateway that serves no cameras, is a gap with the reason (the secret never printed)', async () => {
    const far = await Gateway.start({
      plan: farPlan(path.join(tmp, 'far2'), false),
      logger: nullLogger,
    });
    const home = path.join(tmp, 'home-b');
    const dir = path.join(home, '.wharf', 'capture');
    const lines = memoryLogger();
    const wrong = 'not-the-secret-77aa';
    try {
      const address = far.httpUrl!.replace(/^http:/, 'wharf:');
      const near = await Gateway.start({
        plan: seedPlan(address, wrong, home),
        logger: lines,
        http: null,
      });
      try {
        // serve_cameras absent: the route does not exist
        await waitFor(
          async () => gaps(await records(dir)).some((g) => /HTTP 404/.test(g.detail ?? '')),
          20_000,
          'a 404 gap',
        );
        await far.applyPlan(farPlan(path.join(tmp, 'far2'), true)); // now served, live
        await waitFor(
          async () => gaps(await records(dir)).some((g) => /refused the key/.test(g.detail ?? '')),
          20_000,
          'a 401 gap',
        );
      } finally {
        await near.stop();
      }
    } finally {
      await far.stop();
    }
    const rs = await records(dir);
    expect(images(rs)).toEqual([]);
    expect(gaps(rs).every((g) => g.reason === 'read_error')).toBe(true);
    expect(JSON.stringify(rs.map((r) => r.rec))).not.toContain(wrong);
    expect(JSON.stringify(lines.lines)).not.toContain(wrong);
  }, 120_000);

  it("the seed's camera config with an IP camera URL as the address captures from it (ffmpeg reads the MJPEG stream); the secret fills in a URL's missing password, never printed", async () => {
    // config: a user name without password takes the remote's secret
    const withUser = seedPlan('rtsp://admin@10.0.0.5/stream1', 'cam-pass-1', tmp);
    expect(withUser.cameras).toEqual([
      expect.objectContaining({
        id: 'pi-test-main:cam',
        input: 'rtsp://admin:cam-pass-1@10.0.0.5/stream1',
        remote: { via: 'url' },
      }),
    ]);
    const t = explainPlan(withUser);
    expect(t).toContain('camera pi-test-main:cam: rtsp://***@10.0.0.5/stream1 read by ffmpeg');
    expect(t).not.toContain('cam-pass-1');
    // `wharf config explain`: the link column gives the bytes/s the camera needs on the network
    const seedFile = path.join(tmp, 'seed-rtsp.json');
    writeFileSync(seedFile, seedWith('rtsp://admin@10.0.0.5/stream1', 'cam-pass-1'));
    const cli = await runCli(['config', 'explain', seedFile], { HOME: tmp }, tmp);
    expect(cli.code, cli.err).toBe(0);
    expect(cli.out).toMatch(
      /pi-test-main\s+camera\s+rdk:component:camera\/cam\s+ReadImage.*45 KiB\/s net/,
    );
    expect(cli.out + cli.err).not.toContain('cam-pass-1');

    const jpegs = await testJpegs();
    const streams = new Set<http.ServerResponse>();
    const server = http.createServer((req, res) => {
      if (req.url !== '/mjpeg') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=wharfcam' });
      streams.add(res);
      let k = 0;
      const timer = setInterval(() => {
        const j = jpegs[k++ % jpegs.length]!;
        res.write(`--wharfcam\r\nContent-Type: image/jpeg\r\nContent-Length: ${j.length}\r\n\r\n`);
        res.write(j);
        res.write('\r\n');
      }, 100);
      res.on('close', () => (clearInterval(timer), streams.delete(res)));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const home = path.join(tmp, 'home-c');
    const dir = path.join(home, '.wharf', 'capture');
    const plan = seedPlan(
      `http://127.0.0.1:${(server.address() as { port: number }).port}/mjpeg`,
      'unused',
      home,
    );
    const gw = await Gateway.start({ plan, logger: nullLogger, http: null });
    try {
      await waitFor(async () => images(await records(dir)).length >= 2, 30_000, '2 images');
    } finally {
      await gw.stop();
      for (const s of streams) s.destroy();
      await new Promise((r) => server.close(r));
    }
    for (const i of images(await records(dir))) expect(isJpeg(i.binary!)).toBe(true);
  }, 120_000);
});

/** Five distinct JPEGs of an ffmpeg test pattern. */
function testJpegs(): Promise<Buffer[]> {
  return new Promise<Buffer[]>((resolve, reject) => {
    const p = spawn('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=160x120:rate=5',
      '-frames:v',
      '5',
      '-c:v',
      'mjpeg',
      '-f',
      'image2pipe',
      'pipe:1',
    ]);
    const parts: Buffer[] = [];
    p.stdout.on('data', (c: Buffer) => parts.push(c));
    p.on('error', reject);
    p.on('close', () => {
      const out: Buffer[] = [];
      new FrameSplitter('jpeg', (b) => out.push(b), reject).push(Buffer.concat(parts));
      resolve(out);
    });
  });
}

describe.skipIf(!hasFfmpeg)('serving a camera on demand', () => {
  it('a camera served only to other gateways runs one ffmpeg while asked for (restarted for a faster asker), and stops it after serveIdleMs without a request', async () => {
    const clock = new FakeClock(Date.now());
    const cc = new CameraCapture({
      sink: new MemoryCaptureStore(),
      clock,
      logger: nullLogger,
      metrics: new CaptureMetrics(new Metrics()),
      serveIdleMs: 30_000,
    });
    const spec = farPlan(path.join(tmp, 'idle'), true).cameras![0]!;
    try {
      const a = cc.serve(spec, 'jpeg', 2)!;
      const b = cc.serve(spec, 'jpeg', 2)!;
      expect(b.source).toBe(a.source); // one process for every request
      await waitFor(() => cc.status()[0]?.pid !== undefined, 20_000, 'ffmpeg started');
      expect(cc.status()).toHaveLength(1);
      clock.advance(20_000);
      cc.serve(spec, 'jpeg', 2); // asked again: the idle time starts over
      clock.advance(20_000);
      expect(cc.status()).toHaveLength(1);
      clock.advance(20_000);
      expect(cc.status()).toEqual([]);
      // a faster asker restarts the process at its rate; a slower one shares it
      const slow = cc.serve(spec, 'jpeg', 2)!;
      const fast = cc.serve(spec, 'jpeg', 10)!;
      expect(fast.source).not.toBe(slow.source);
      expect(cc.serve(spec, 'jpeg', 4)!.source).toBe(fast.source);
      await waitFor(() => cc.status().length === 1, 20_000, 'the slow process stopped');
    } finally {
      await cc.stop();
    }
  });
});
