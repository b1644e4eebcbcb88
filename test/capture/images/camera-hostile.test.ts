/**
 * Camera sources that misbehave, on real ffmpeg reading a real HTTP MJPEG server:
 *  - a stream that goes silent without closing (a camera powered off behind a switch): ffmpeg
 *    itself waits forever, so wharf restarts it and captures again once the camera is back;
 *  - a source that dies between two ticks and does not come back at once: the image already
 *    recorded is never recorded a second time when its ffmpeg is restarted.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cameraFrameRoute } from '../../../src/app/camera-serve.js';
import { Gateway } from '../../../src/app/gateway.js';
import { banner } from '../../../src/app/launch.js';
import { CameraCapture } from '../../../src/capture/images/camera-capture.js';
import { MemoryCaptureStore } from '../../../src/capture/memory-store.js';
import { CaptureMetrics } from '../../../src/capture/capture-metrics.js';
import { EntryOutput } from '../../../src/capture/entry-output.js';
import { FfmpegCamera } from '../../../src/capture/images/ffmpeg-camera.js';
import { FrameSplitter } from '../../../src/capture/images/frame-splitter.js';
import { ImageCollector } from '../../../src/capture/images/image-collector.js';
import type { CameraSpec } from '../../../src/config/plan.js';
import { FakeClock } from '../../../src/shared/clock.js';
import { nullLogger } from '../../../src/shared/logger.js';
import { Metrics } from '../../../src/shared/metrics.js';
import type { CaptureMeta, CaptureRecord, ReadingRecord } from '../../../src/shared/record.js';
import { requireTool } from '../../helpers/system-tool.js';
import { load, planOf } from '../../config/helpers.js';
import { camera, cameraConfig, records, until as waitFor } from './camera-helpers.js';

const hasFfmpeg = requireTool('ffmpeg', 'camera capture reads real ffmpeg sources');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'wharf-camh-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The camera helpers' wait, with a longer default: these sources stall and restart on purpose. */
const until = <T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> =>
  waitFor(what, fn, ms);

/** JPEGs of a test pattern, made by ffmpeg, each different. */
let jpegs: Buffer[] = [];
beforeAll(async () => {
  if (!hasFfmpeg) return;
  jpegs = await new Promise<Buffer[]>((resolve, reject) => {
    const p = spawn('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=5'],
      ...['-frames:v', '10', '-c:v', 'mjpeg', '-f', 'image2pipe', 'pipe:1'],
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
});

/**
 * An MJPEG server; `behave(n)` says what connection n (1, 2, …) gets: `frames` images 100 ms
 * apart, then silence with the connection held open ('hang') or closed ('close').
 */
async function mjpegServer(
  behave: (n: number) => { frames: number; then: 'hang' | 'close' },
): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  let n = 0;
  const open = new Set<http.ServerResponse>();
  const server = http.createServer((_req, res) => {
    const b = behave(++n);
    res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=wharfcam' });
    open.add(res);
    let k = 0;
    const t = setInterval(() => {
      if (k >= b.frames) {
        clearInterval(t);
        if (b.then === 'close') res.end();
        return;
      }
      const j = jpegs[k++ % jpegs.length]!;
      res.write(`--wharfcam\r\nContent-Type: image/jpeg\r\nContent-Length: ${j.length}\r\n\r\n`);
      res.write(j);
      res.write('\r\n');
    }, 100);
    res.on('close', () => (clearInterval(t), open.delete(res)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/mjpeg`,
    connections: () => n,
    close: async () => {
      for (const r of open) r.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe.skipIf(!hasFfmpeg)('hostile camera sources', () => {
  it('a stream that goes silent without closing: ffmpeg is restarted (read_error gap saying why) and capture resumes', async () => {
    // connection 1: 15 images, then silence with the socket held open; later ones stream on
    const src = await mjpegServer((n) =>
      n === 1 ? { frames: 15, then: 'hang' } : { frames: 10_000, then: 'close' },
    );
    const dir = path.join(tmp, 'silent');
    const plan = cameraConfig(dir, [
      camera('cell', src.url, [{ method: 'ReadImage', capture_frequency_hz: 2 }]),
    ]);
    const gw = await Gateway.start({ plan, logger: nullLogger });
    try {
      const rs = await until(
        'images again after the silence',
        async () => {
          const all = await records(dir);
          const restarted = all.findIndex(
            (r) =>
              r.rec.kind === 'gap' &&
              r.rec.reason === 'read_error' &&
              /wrote no image for \d+ s .*restarted/.test(r.rec.detail ?? ''),
          );
          if (restarted < 0) return undefined;
          return all.slice(restarted).some((r) => r.rec.kind === 'reading') ? all : undefined;
        },
        45_000,
      );
      expect(src.connections()).toBeGreaterThanOrEqual(2);
      // during the silence: timeout gaps (frames stopped), never an image twice
      expect(rs.some((r) => r.rec.kind === 'gap' && r.rec.reason === 'timeout')).toBe(true);
      const imgs = rs
        .map((r) => r.rec)
        .filter((r): r is ReadingRecord => r.kind === 'reading' && !!r.binary);
      for (let i = 1; i < imgs.length; i++)
        expect(imgs[i]!.time_requested).toBeGreaterThan(imgs[i - 1]!.time_requested);
    } finally {
      await gw.stop();
      await src.close();
    }
  }, 60_000);

  it('a source that dies between two ticks: its last image, already recorded, is not recorded again after ffmpeg restarts', async () => {
    // connection 1: a few images then the stream ends (ffmpeg exits); later ones never send
    const src = await mjpegServer((n) =>
      n === 1 ? { frames: 12, then: 'close' } : { frames: 0, then: 'hang' },
    );
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 8));
    const spec: CameraSpec = {
      id: 'cell',
      boardId: 'cell',
      name: 'cell',
      model: 'ffmpeg',
      input: src.url,
      input_args: [],
    };
    const cam = new FfmpegCamera(spec, {
      frameRate: 2,
      format: 'jpeg',
      clock,
      logger: nullLogger,
      backoff: { initialMs: 1000, maxMs: 1000 },
    });
    const recs: CaptureRecord[] = [];
    const meta = {} as CaptureMeta;
    const out = new EntryOutput(
      'cell/ReadImage',
      'cell',
      meta,
      { append: (_k, _m, r) => recs.push(r) },
      new CaptureMetrics(new Metrics()),
      0,
      4000,
    );
    const entry = {
      key: 'cell/ReadImage',
      hz: 0.25,
      additional_params: { mime_type: 'image/jpeg' },
    } as unknown as ConstructorParameters<typeof ImageCollector>[0];
    const col = new ImageCollector(entry, out, cam, clock);
    const t0 = clock.now() + 4000;
    col.start(t0 - 4000); // the grid: t0, t0 + 4 s, …
    try {
      // tick t0 comes 30 ms late (a busy event loop); the images arrive in those 30 ms
      clock.stall(4000 + 30);
      cam.start();
      await until('images and the end of the stream', async () =>
        cam.latest !== undefined && cam.pid === undefined ? true : undefined,
      );
      clock.advance(0); // tick t0 runs late and records the latest image
      expect(recs.filter((r) => r.kind === 'reading')).toHaveLength(1);
      clock.advance(1000); // the restart: a new ffmpeg connects and gets nothing
      await until('the second connection', async () => (src.connections() >= 2 ? true : undefined));
      expect(cam.starts).toBe(2);
      clock.advance(4000 - 1030); // tick t0 + 4 s: the image is 3970 ms old, younger than a period
      out.flushGap();
      const readings = recs.filter((r) => r.kind === 'reading');
      expect(readings).toHaveLength(1); // never the same image twice
      const gaps = recs.filter((r) => r.kind === 'gap');
      expect(gaps).toMatchObject([
        { reason: 'read_error', start: t0 + 4000, end: t0 + 4000, count: 1 },
      ]);
      expect(gaps[0]!.kind === 'gap' && gaps[0]!.detail).toMatch(/ffmpeg exited/);
    } finally {
      col.stop();
      await cam.stop();
      await src.close();
    }
  }, 30_000);

  it('a gateway serving its camera: a frame kept across an ffmpeg restart keeps its frame id, so the asker never gets it twice', async () => {
    const SECRET = 'serve-secret-9c1d';
    const plan = planOf(
      load({
        services: [
          { name: 'data_manager', type: 'data_manager', attributes: { capture_dir: tmp } },
        ],
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
          serve_cameras: { secret: SECRET },
        },
      }),
    );
    const clock = new FakeClock(Date.now());
    const cc = new CameraCapture({
      sink: new MemoryCaptureStore(),
      clock,
      logger: nullLogger,
      metrics: new CaptureMetrics(new Metrics()),
      backoff: { initialMs: 1000, maxMs: 1000 },
    });
    const route = cameraFrameRoute({ plan: () => plan, cameras: () => cc, clock });
    const ask = (after?: string) =>
      route({
        url: new URL(
          `http://far/camera/frame?name=cam&max_age_ms=60000${after ? `&after=${after}` : ''}`,
        ),
        headers: { authorization: `Bearer ${SECRET}` },
      });
    try {
      const first = await until('a frame served', async () => {
        const a = await ask();
        return a.status === undefined ? a : undefined;
      });
      const id = first.headers!['x-wharf-frame-id']!;
      const pid = cc.status()[0]!.pid!;
      process.kill(pid, 'SIGKILL'); // the camera's ffmpeg dies …
      await until('ffmpeg gone', async () =>
        cc.status()[0]?.pid === undefined ? true : undefined,
      );
      // … the asker has the last frame it made; a newer one is needed for a 200
      const latestBefore = await ask(id);
      expect(latestBefore.status).toBe(503);
      clock.advance(1000); // restarted; its first frame is not there yet
      expect(cc.status()[0]!.pid).not.toBe(pid);
      const again = await ask(id);
      expect(again.status).toBe(503); // not the same frame under a new id
      // and frames of the new process do come through
      const next = await until('a frame of the new ffmpeg', async () => {
        const a = await ask(id);
        return a.status === undefined ? a : undefined;
      });
      expect(next.headers!['x-wharf-frame-id']).not.toBe(id);
      // the next gateway run (a new CameraCapture) never reuses an id an asker may hold
      const nextRun = new CameraCapture({
        sink: new MemoryCaptureStore(),
        clock,
        logger: nullLogger,
        metrics: new CaptureMetrics(new Metrics()),
      });
      try {
        const spec = plan.cameras![0]!;
        const a = cc.serve(spec, 'jpeg', 2)!;
        const b = nextRun.serve(spec, 'jpeg', 2)!;
        expect(b.frameId(1)).not.toBe(a.frameId(1));
      } finally {
        await nextRun.stop();
      }
    } finally {
      await cc.stop();
    }
  }, 30_000);

  it('images larger than a record can hold: every tick is a read_error gap saying so (not "camera starting" or a silent source), and ffmpeg is not restarted in a loop', async () => {
    const dir = path.join(tmp, 'huge');
    // random noise, 3000×2400 PNG: about 17 MB an image, over the 16 MiB a record holds
    const noise =
      "lavfi:nullsrc=s=3000x2400:r=1,geq=lum='random(1)*255':cb='random(2)*255':cr='random(3)*255'";
    const plan = cameraConfig(dir, [
      camera('huge', { video_path: noise, frame_rate: 1 }, [
        {
          method: 'ReadImage',
          capture_frequency_hz: 0.5,
          additional_params: { mime_type: 'image/png' },
        },
      ]),
    ]);
    const gw = await Gateway.start({ plan, logger: nullLogger });
    try {
      const pid = await until('ffmpeg running', async () => gw.cameras!.status()[0]?.pid);
      const gaps = await until(
        'gaps naming the size',
        async () => {
          const g = (await records(dir))
            .map((r) => r.rec)
            .filter((r) => r.kind === 'gap' && /larger than/.test(r.detail ?? ''));
          return g.length >= 2 ? g : undefined;
        },
        40_000,
      );
      for (const g of gaps)
        expect(g).toMatchObject({
          reason: 'read_error',
          detail: expect.stringMatching(
            /camera huge: an image is larger than \d+ bytes \(the most one record holds\); dropped/,
          ),
        });
      const rs = await records(dir);
      expect(rs.filter((r) => r.rec.kind === 'reading')).toEqual([]);
      expect(gw.cameras!.status()[0]!.pid).toBe(pid); // the same ffmpeg: restarting cannot help
    } finally {
      await gw.stop();
    }
  }, 60_000);

  it('the splitter drops an oversized image with one error (not one per chunk of its tail) and hands out the next image whole', () => {
    const chunk = (type: string, data: Buffer) => {
      const h = Buffer.alloc(8);
      h.writeUInt32BE(data.length, 0);
      h.write(type, 4, 'latin1');
      return Buffer.concat([h, data, Buffer.alloc(4)]);
    };
    const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const png = (idats: number) =>
      Buffer.concat([
        sig,
        chunk('IHDR', Buffer.alloc(13)),
        ...Array.from({ length: idats }, (_, i) => chunk('IDAT', Buffer.alloc(65_536, i))),
        chunk('IEND', Buffer.alloc(0)),
      ]);
    const big = png(300); // ≈ 19.7 MB
    const small = png(2);
    const stream = Buffer.concat([big, small, big, small]);
    const got: Buffer[] = [];
    const errors: string[] = [];
    const sp = new FrameSplitter(
      'png',
      (b) => got.push(b),
      (e) => errors.push(e),
    );
    for (let i = 0; i < stream.length; i += 65_536) sp.push(stream.subarray(i, i + 65_536));
    expect(errors).toHaveLength(2);
    for (const e of errors)
      expect(e).toMatch(/larger than \d+ bytes \(the most one record holds\)/);
    expect(got).toHaveLength(2);
    for (const g of got) expect(g.equals(small)).toBe(true);
    expect(sp.pending).toBe(0);
  });

  it('the start banner counts camera and gateway sensor entries (a camera-only config said "capturing 0 entries")', async () => {
    const plan = planOf(
      load({
        services: [
          {
            name: 'data_manager',
            type: 'data_manager',
            attributes: { capture_dir: path.join(tmp, 'banner') },
          },
        ],
        components: [
          {
            name: 'cam',
            type: 'camera',
            model: 'ffmpeg',
            attributes: { video_path: 'lavfi:testsrc=size=160x120:rate=5' },
            service_configs: [
              {
                type: 'data_manager',
                attributes: {
                  capture_methods: [{ method: 'ReadImage', capture_frequency_hz: 0.5 }],
                },
              },
            ],
          },
          {
            name: 'gateway-health',
            type: 'sensor',
            model: 'gateway',
            service_configs: [
              {
                type: 'data_manager',
                attributes: {
                  capture_methods: [{ method: 'Readings', capture_frequency_hz: 0.1 }],
                },
              },
            ],
          },
        ],
        wharf: { machine: 'cam-gw', http: null },
      }),
    );
    const gw = await Gateway.start({ plan, logger: nullLogger });
    try {
      expect(banner(gw, 'cam.json').split('\n')[0]).toBe(
        'wharf: capturing 2 entries from 0 boards and 1 camera (machine cam-gw)',
      );
    } finally {
      await gw.stop();
    }
  });

  it('a snapshot URL answering a JPEG cut short (its start and end markers in place) is a gap, never recorded: the cloud would refuse the whole file', async () => {
    const whole = jpegs[0]!;
    // the first 100 bytes (inside its headers) and the end marker
    const cut = Buffer.concat([whole.subarray(0, 100), Buffer.from([0xff, 0xd9])]);
    let n = 0;
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      res.end(n++ < 6 ? cut : whole); // the first 3 s cut short, then whole
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/snap.jpg`;
    const dir = path.join(tmp, 'snapcut');
    const plan = cameraConfig(dir, [
      camera('snap', { video_path: url, snapshot: true, frame_rate: 2 }, [
        { method: 'ReadImage', capture_frequency_hz: 1 },
      ]),
    ]);
    const gw = await Gateway.start({ plan, logger: nullLogger });
    try {
      const rs = await until(
        'a gap for the cut image and whole images',
        async () => {
          const all = await records(dir);
          const gap = all.some(
            (r) =>
              r.rec.kind === 'gap' &&
              /the snapshot is not a whole image\/jpeg: segment at byte \d+ runs past the end/.test(
                r.rec.detail ?? '',
              ),
          );
          return gap && all.filter((r) => r.rec.kind === 'reading').length >= 2 ? all : undefined;
        },
        20_000,
      );
      for (const r of rs)
        if (r.rec.kind === 'reading') expect(Buffer.from(r.rec.binary!).equals(whole)).toBe(true);
    } finally {
      await gw.stop();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('an HTTP MJPEG camera sending 2 images/s, captured at 1 Hz, gives an image at nearly every tick (its frames carry no timestamps: ffmpeg took them for 25 fps and passed 1 in 12)', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=wharfcam' });
      let k = 0;
      const t = setInterval(() => {
        const j = jpegs[k++ % jpegs.length]!;
        res.write(`--wharfcam\r\nContent-Type: image/jpeg\r\nContent-Length: ${j.length}\r\n\r\n`);
        res.write(j);
        res.write('\r\n');
      }, 500);
      res.on('close', () => clearInterval(t));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/mjpeg`;
    const dir = path.join(tmp, 'slowmjpeg');
    const plan = cameraConfig(dir, [
      camera('ipcam', url, [{ method: 'ReadImage', capture_frequency_hz: 1 }]),
    ]);
    const gw = await Gateway.start({ plan, logger: nullLogger });
    try {
      // from the first image on, 10 ticks: at most 2 without an image (a loaded machine's jitter)
      const rs = await until(
        '10 ticks after the first image',
        async () => {
          const all = (await records(dir)).map((r) => r.rec);
          const first = all.findIndex((r) => r.kind === 'reading');
          if (first < 0) return undefined;
          const after = all.slice(first);
          const ticks = after.reduce((n, r) => n + (r.kind === 'gap' ? r.count : 1), 0);
          return ticks >= 10 ? after : undefined;
        },
        40_000,
      );
      const ticks = rs.slice(0, 10);
      const missing = ticks.reduce((n, r) => n + (r.kind === 'gap' ? r.count : 0), 0);
      expect(missing, JSON.stringify(ticks.filter((r) => r.kind === 'gap'))).toBeLessThanOrEqual(2);
    } finally {
      await gw.stop();
      await new Promise<void>((r) => server.close(() => r()));
    }
  }, 60_000);

  it('a very slow camera (an image every 12 s) captured every 20 s is not taken for a silent one: no restart, its images are captured', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=wharfcam' });
      let k = 0;
      const send = () => {
        const j = jpegs[k++ % jpegs.length]!;
        res.write(`--wharfcam\r\nContent-Type: image/jpeg\r\nContent-Length: ${j.length}\r\n\r\n`);
        res.write(j);
        res.write('\r\n');
      };
      send();
      const t = setInterval(send, 12_000);
      res.on('close', () => clearInterval(t));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/mjpeg`;
    const dir = path.join(tmp, 'veryslow');
    const plan = cameraConfig(dir, [
      camera('timelapse', url, [{ method: 'ReadImage', capture_frequency_hz: 0.05 }]),
    ]);
    const gw = await Gateway.start({ plan, logger: nullLogger });
    try {
      const pid = await until('ffmpeg running', async () => gw.cameras.status()[0]?.pid);
      await until(
        'an image',
        async () => ((await records(dir)).some((r) => r.rec.kind === 'reading') ? true : undefined),
        60_000,
      );
      expect(gw.cameras.status()[0]!.pid).toBe(pid); // never restarted
      const rs = await records(dir);
      expect(
        rs.filter((r) => /restarted/.test(r.rec.kind === 'gap' ? (r.rec.detail ?? '') : '')),
      ).toEqual([]);
    } finally {
      await gw.stop();
      await new Promise<void>((r) => server.close(() => r()));
    }
  }, 90_000);

  it("config check warns when a camera method is captured faster than the camera's frame_rate (most ticks could only be gaps)", () => {
    const cfg = (frame_rate: number) =>
      load({
        services: [
          { name: 'data_manager', type: 'data_manager', attributes: { capture_dir: tmp } },
        ],
        components: [
          {
            name: 'c',
            type: 'camera',
            model: 'ffmpeg',
            attributes: { video_path: 'lavfi:testsrc', frame_rate },
            service_configs: [
              {
                type: 'data_manager',
                attributes: { capture_methods: [{ method: 'ReadImage', capture_frequency_hz: 5 }] },
              },
            ],
          },
        ],
      });
    const slow = cfg(1);
    expect(slow.ok).toBe(true);
    expect(slow.issues).toMatchObject([
      {
        severity: 'warning',
        path: 'components[0].service_configs[0].attributes.capture_methods[0].capture_frequency_hz',
        message: expect.stringMatching(/captured at 5 Hz but the camera's frame_rate is 1/),
      },
    ]);
    expect(cfg(5).issues).toEqual([]);
  });
});
