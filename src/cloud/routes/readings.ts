/**
 * The read routes the UI and the CLI query: GET /api/v1/readings (filtered, paged rows),
 * GET /api/v1/series?<filters>&points=N (downsampled lines and gap spans for charts) and
 * GET /api/v1/fleet (per board + component).
 */
import type { FastifyInstance } from 'fastify';
import { parseFilter, parseQueryOptions, parseTime } from '../filters.js';
import { buildSeries } from '../series.js';
import type { CloudContext } from '../context.js';
import type { FleetEntry } from '../api-types.js';

/** Boards whose rate is measured over their last minute (one bounded stats query each). */
const RATE_BOARDS = 200;

export async function readingRoutes(app: FastifyInstance, ctx: CloudContext): Promise<void> {
  app.get('/api/v1/readings', async (req) => {
    const q = req.query as Record<string, unknown>;
    return ctx.store.query(parseFilter(q), parseQueryOptions(q));
  });

  app.get('/api/v1/series', async (req) => {
    const q = req.query as Record<string, unknown>;
    const filter = parseFilter(q);
    delete filter.kind;
    const points = q.points === undefined || q.points === '' ? 500 : Number(q.points);
    return buildSeries(ctx.store, filter, points);
  });

  app.get('/api/v1/fleet', async (req) => {
    const q = req.query as Record<string, unknown>;
    const now = Date.now();
    const to = parseTime(q.to, 'to') ?? now;
    const from = parseTime(q.from, 'from') ?? to - 3600_000;
    const [streams, stats] = await Promise.all([
      ctx.store.streams(),
      ctx.store.streamStats(from, to),
    ]);
    const byStream = new Map(stats.map((s) => [s.stream_id, s]));
    const out = new Map<string, FleetEntry>();
    const streamsOf = new Map<string, number[]>();
    const minutes = Math.max((to - from) / 60_000, 1 / 60);
    for (const s of streams) {
      const key = JSON.stringify([s.machine, s.part_id, s.component_type, s.component_name]);
      const st = byStream.get(s.id);
      let e = out.get(key);
      if (e === undefined) {
        e = {
          machine: s.machine,
          part_id: s.part_id,
          component_type: s.component_type,
          component_name: s.component_name,
          last_seen: null,
          online: false,
          readings: 0,
          readings_per_min: 0,
          rate_window: 'range',
          gap_count: 0,
        };
        out.set(key, e);
        streamsOf.set(key, []);
      }
      streamsOf.get(key)!.push(s.id);
      if (st !== undefined) {
        if (st.last_seen !== null && (e.last_seen === null || st.last_seen > e.last_seen))
          e.last_seen = st.last_seen;
        e.readings += st.readings;
        e.gap_count += st.gaps;
      }
    }
    const boards = [...out.values()];
    for (const e of boards) {
      e.readings_per_min = Math.round((e.readings / minutes) * 100) / 100;
      e.online = e.last_seen !== null && now - e.last_seen < 120_000;
    }
    // the current rate: readings in the minute before each board's last reading (one stats
    // query per distinct last-seen time, for at most RATE_BOARDS boards)
    const byLast = new Map<number, string[]>();
    for (const [key, e] of [...out].slice(0, RATE_BOARDS))
      if (e.last_seen !== null && e.last_seen >= from)
        byLast.set(e.last_seen, [...(byLast.get(e.last_seen) ?? []), key]);
    for (const [last, keys] of byLast) {
      const win = new Map(
        (await ctx.store.streamStats(last - 60_000 + 1, last)).map((x) => [
          x.stream_id,
          x.readings,
        ]),
      );
      for (const key of keys) {
        const e = out.get(key)!;
        e.readings_per_min = (streamsOf.get(key) ?? []).reduce(
          (n, id) => n + (win.get(id) ?? 0),
          0,
        );
        e.rate_window = 'last_minute';
      }
    }
    boards.sort(
      (a, b) =>
        a.machine.localeCompare(b.machine) || a.component_name.localeCompare(b.component_name),
    );
    return { from, to, boards };
  });
}
