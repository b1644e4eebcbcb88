/**
 * `GET /camera/frame?name=CAM&mime_type=image/jpeg&fps=2&max_age_ms=1000&after=ID&wait_ms=500` on the gateway's HTTP
 * listener: the latest fresh frame of a local camera, for another wharf gateway that names this
 * one as a remote (`"address": "wharf://host:port"`, docs/cameras.md).
 *
 * Deny by default: without `wharf.serve_cameras` the route answers 404 as if it did not exist;
 * with it, a request without `Authorization: Bearer <secret>` is 401 before anything else is
 * looked at (the key compared in constant time, never logged). A frame older than `max_age_ms`
 * is never served: 503 says why there is none (the camera's own problem, or "no new image"),
 * and the asking gateway records a gap with those words. The answer carries
 * `x-wharf-frame-id` (a frame fetched twice is one frame) and `x-wharf-frame-age-ms`. A long poll:
 * with `after` (the asker's last frame id) and `wait_ms` (at most 5 s) the answer waits for a
 * newer fresh frame, so the asker gets each frame as soon as it is made and no frame twice.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { CapturePlan } from '../config/plan.js';
import type { CameraCapture } from '../capture/images/camera-capture.js';
import type { Clock } from '../shared/clock.js';
import type { RouteAnswer, RouteHandler, RouteRequest } from './http.js';

export const CAMERA_FRAME_PATH = '/camera/frame';

const text = (status: number, body: string, headers?: Record<string, string>): RouteAnswer => ({
  status,
  type: 'text/plain; charset=utf-8',
  body: `${body}\n`,
  ...(headers ? { headers } : {}),
});

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** True when the request carries `Bearer <secret>` (constant-time over the digests). */
export function hasKey(req: RouteRequest, secret: string): boolean {
  const h = req.headers.authorization;
  if (typeof h !== 'string' || !h.startsWith('Bearer ')) return false;
  return timingSafeEqual(digest(h.slice('Bearer '.length)), digest(secret));
}

const num = (v: string | null, dflt: number, min: number, max: number): number => {
  const n = v === null ? dflt : Number(v);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : dflt;
};

export function cameraFrameRoute(o: {
  plan: () => CapturePlan;
  cameras: () => CameraCapture | undefined;
  clock: Clock;
}): RouteHandler {
  return async (req) => {
    const plan = o.plan();
    const serve = plan.gateway.serve_cameras;
    if (serve === undefined) return text(404, 'not found (this gateway serves no cameras)');
    if (!hasKey(req, serve.secret))
      return text(401, 'a key is needed: Authorization: Bearer <the remote secret>', {
        'www-authenticate': 'Bearer',
      });
    const q = req.url.searchParams;
    const name = q.get('name') ?? '';
    // only this gateway's own cameras (not the ones it reaches on other parts)
    const spec = plan.cameras?.find((c) => c.id === name && c.boardId === name && !c.remote);
    if (spec === undefined) return text(404, `camera "${name}" is not a local camera here`);
    const mime = q.get('mime_type') ?? 'image/jpeg';
    if (mime !== 'image/jpeg' && mime !== 'image/png')
      return text(400, `mime_type ${mime} cannot be served (image/jpeg or image/png)`);
    const fps = num(q.get('fps'), 2, 0.1, 30);
    const maxAge = num(q.get('max_age_ms'), 2000, 10, 60_000);
    const served = o.cameras()?.serve(spec, mime === 'image/png' ? 'png' : 'jpeg', fps);
    if (served === undefined) return text(503, 'the gateway is stopping');
    const src = served.source;
    // long poll: wait (bounded) for a fresh frame other than the one the asker has (`after`)
    const after = q.get('after') ?? '';
    const deadline = o.clock.now() + num(q.get('wait_ms'), 0, 0, 5000);
    const fresh = () => {
      const f = src.latest;
      if (f === undefined || o.clock.now() - f.at > maxAge) return undefined;
      return served.frameId(f.seq) === after ? undefined : f;
    };
    let f = fresh();
    while (f === undefined && o.clock.now() < deadline) {
      await new Promise<void>((r) => o.clock.setTimer(r, 10));
      f = fresh();
    }
    if (f === undefined) {
      const last = src.latest;
      return text(
        503,
        src.problem ??
          (last === undefined
            ? `camera ${name}: no image received yet`
            : `camera ${name}: no new image within ${Math.round(Math.max(maxAge, deadline - o.clock.now()))} ms`),
      );
    }
    const age = o.clock.now() - f.at;
    return {
      type: mime,
      body: f.bytes,
      headers: {
        'x-wharf-frame-id': served.frameId(f.seq),
        'x-wharf-frame-age-ms': String(Math.max(0, Math.round(age))),
        'cache-control': 'no-store',
      },
    };
  };
}
