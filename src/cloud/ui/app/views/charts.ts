/**
 * Charts: analog readers over time and GPIO pins as step lines, one chart per board component,
 * from the server-side downsampled `/api/v1/series`. Gaps are shaded spans (reason on hover and
 * listed under the chart). Dragging across a chart narrows the time filter.
 */
import uPlot from 'uplot';
import { ApiError, series, type GapSpan, type SeriesLine } from '../api.js';
import { announce, h, render } from '../dom.js';
import { filterBar } from '../filterbar.js';
import { describeFilter, filterToApiParams, resolveRange, type Filter } from '../filters.js';
import { fmtNum, fmtTime } from '../format.js';
import type { View } from '../router.js';

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];
/** At most this many charts on one page (bounded drawing); narrow the filter to see others. */
const MAX_CHARTS = 24;
const GAP_FILL = 'rgba(220, 60, 40, 0.16)';
const GAP_EDGE = 'rgba(220, 60, 40, 0.55)';

interface Group {
  title: string;
  machine: string;
  component: string;
  kind: 'analog' | 'gpio';
  lines: SeriesLine[];
  gaps: GapSpan[];
}

function groupLines(lines: SeriesLine[], gaps: GapSpan[]): Group[] {
  const groups = new Map<string, Group>();
  for (const l of lines) {
    const id = `${l.machine}\u0000${l.component_name}\u0000${l.kind}`;
    let g = groups.get(id);
    if (!g) {
      g = { title: `${l.machine} / ${l.component_name}`, machine: l.machine, component: l.component_name, kind: l.kind, lines: [], gaps: [] };
      groups.set(id, g);
    }
    g.lines.push(l);
  }
  for (const g of groups.values()) {
    g.gaps = gaps.filter((s) => s.machine === g.machine && (s.component_name === g.component || !s.component_name));
  }
  return [...groups.values()];
}

/** Draws gap spans under the lines and shows the reason of the span under the cursor. */
function gapPlugin(gaps: GapSpan[], tip: HTMLElement): uPlot.Plugin {
  return {
    hooks: {
      drawClear: (u: uPlot) => {
        const ctx = u.ctx;
        ctx.save();
        for (const g of gaps) {
          const x0 = u.valToPos(g.start, 'x', true);
          const x1 = u.valToPos(g.end, 'x', true);
          const left = Math.max(u.bbox.left, Math.min(x0, x1));
          const right = Math.min(u.bbox.left + u.bbox.width, Math.max(x0, x1));
          if (right < u.bbox.left || left > u.bbox.left + u.bbox.width) continue;
          const w = Math.max(2, right - left);
          ctx.fillStyle = GAP_FILL;
          ctx.fillRect(left, u.bbox.top, w, u.bbox.height);
          ctx.fillStyle = GAP_EDGE;
          ctx.fillRect(left, u.bbox.top, 1, u.bbox.height);
        }
        ctx.restore();
      },
      setCursor: (u: uPlot) => {
        const left = u.cursor.left;
        if (left === undefined || left < 0) {
          tip.hidden = true;
          return;
        }
        const t = u.posToVal(left, 'x');
        const slack = (u.posToVal(left + 3, 'x') - t) || 0;
        const hit = gaps.find((g) => t >= Math.min(g.start, g.end) - slack && t <= Math.max(g.start, g.end) + slack);
        if (!hit) {
          tip.hidden = true;
          return;
        }
        tip.textContent = `Gap: ${hit.reason}${hit.count ? ` · ${hit.count} missing` : ''} · ${fmtTime(hit.start)} → ${fmtTime(hit.end)}${hit.detail ? ` · ${hit.detail}` : ''}`;
        tip.style.left = `${Math.min(left + 12, u.over.clientWidth - 220)}px`;
        tip.style.top = `${(u.cursor.top ?? 0) + 12}px`;
        tip.hidden = false;
      },
    },
  };
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Local-time tick labels sized to the tick spacing; the first tick also carries the date. */
function timeTicks(_u: uPlot, ticks: number[], _space: number, _axis: number, incr: number): string[] {
  return ticks.map((t, i) => {
    const d = new Date(t);
    const date = `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
    if (incr >= 86_400_000) return date;
    const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
    const time = incr >= 60_000 ? hm : incr >= 1000 ? `${hm}:${pad2(d.getSeconds())}` : `${hm}:${pad2(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
    return i === 0 || (d.getHours() === 0 && d.getMinutes() === 0 && incr >= 60_000) ? `${date}\n${time}` : time;
  });
}

/**
 * A line's points with a null in the middle of every gap it crosses, so the line breaks there
 * instead of drawing a straight segment over missing readings (uPlot: null = break, undefined =
 * alignment artifact of uPlot.join, spanned).
 */
export function breakAtGaps(t: number[], v: (number | null)[], gaps: GapSpan[]): [number[], (number | null)[]] {
  if (gaps.length === 0 || t.length < 2) return [t, v];
  const first = t[0]!;
  const last = t[t.length - 1]!;
  const mids = gaps
    .map((g) => (Math.min(g.start, g.end) + Math.max(g.start, g.end)) / 2)
    .filter((m) => m > first && m < last)
    .sort((a, b) => a - b);
  if (mids.length === 0) return [t, v];
  const tt: number[] = [];
  const vv: (number | null)[] = [];
  let j = 0;
  for (let i = 0; i < t.length; i++) {
    while (j < mids.length && mids[j]! < t[i]!) {
      if (tt.length === 0 || tt[tt.length - 1] !== mids[j]) {
        tt.push(mids[j]!);
        vv.push(null);
      }
      j++;
    }
    tt.push(t[i]!);
    vv.push(v[i] ?? null);
  }
  return [tt, vv];
}

function chartFor(g: Group, width: number, range: { from: number | null; to: number | null }, onSelect: (from: number, to: number) => void, onDrawn: () => void): { el: HTMLElement; plot: uPlot } {
  const tables: uPlot.AlignedData[] = g.lines.map((l) => breakAtGaps(l.t, l.v, g.gaps) as uPlot.AlignedData);
  const data = tables.length === 1 ? tables[0]! : uPlot.join(tables);
  const tip = h('div', { class: 'gap-tip', role: 'tooltip' });
  tip.hidden = true;
  const stepped = uPlot.paths.stepped!({ align: 1 });
  const opts: uPlot.Options = {
    width,
    height: g.kind === 'gpio' ? 160 : 260,
    ms: 1,
    cursor: { drag: { x: true, y: false, setScale: false }, sync: { key: 'wharf' } },
    select: { show: true, left: 0, top: 0, width: 0, height: 0 },
    scales: {
      x: { time: true, ...(range.from !== null && range.to !== null ? { range: [range.from, range.to] as uPlot.Range.MinMax } : {}) },
      ...(g.kind === 'gpio' ? { y: { range: [-0.1, 1.1] as uPlot.Range.MinMax } } : {}),
    },
    axes: [
      { space: 90, values: timeTicks },
      g.kind === 'gpio' ? { values: (_u, ticks) => ticks.map((v) => (v === 1 ? 'high' : v === 0 ? 'low' : '')), splits: () => [0, 1] } : { label: 'raw value', size: 60 },
    ],
    series: [
      { label: 'Time', value: (_u: uPlot, v: number | null) => (v === null ? '—' : fmtTime(v)) },
      ...g.lines.map((l, i) => ({
        label: l.key,
        stroke: COLOURS[i % COLOURS.length]!,
        width: 1.5,
        spanGaps: false,
        points: { show: false },
        ...(l.kind === 'gpio' ? { paths: stepped } : {}),
      })),
    ],
    hooks: {
      setSelect: [
        (u: uPlot) => {
          if (u.select.width < 4) return;
          const from = u.posToVal(u.select.left, 'x');
          const to = u.posToVal(u.select.left + u.select.width, 'x');
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          onSelect(Math.floor(from), Math.ceil(to));
        },
      ],
      draw: [() => onDrawn()],
    },
    plugins: [gapPlugin(g.gaps, tip)],
  };
  const holder = h('div', { class: 'plot' });
  const plot = new uPlot(opts, data, holder);
  plot.over.append(tip);
  const gapList =
    g.gaps.length === 0
      ? h('p', { class: 'muted small' }, 'No gaps in this range.')
      : h(
          'details',
          { class: 'gaps' },
          h('summary', {}, `${g.gaps.length} gap${g.gaps.length === 1 ? '' : 's'} (shaded)`),
          h('ul', {}, ...g.gaps.slice(0, 200).map((s) => h('li', {}, `${fmtTime(s.start)} → ${fmtTime(s.end)}: ${s.reason}${s.count ? ` (${s.count} missing)` : ''}${s.detail ? ` — ${s.detail}` : ''}`))),
        );
  const points = g.lines.reduce((n, l) => n + l.t.length, 0);
  const el = h(
    'figure',
    { class: 'chart', 'data-kind': g.kind, 'aria-label': `${g.kind === 'gpio' ? 'GPIO' : 'Analog'} chart for ${g.title}` },
    h('figcaption', {}, h('strong', {}, g.title), ` · ${g.kind === 'gpio' ? 'GPIO pins (step)' : 'analog readers'} · ${fmtNum(points)} points drawn`),
    holder,
    gapList,
  );
  return { el, plot };
}

export const chartsView: View = (root, ctx) => {
  const { filter } = ctx.route;
  const ac = new AbortController();
  const plots: uPlot[] = [];
  const out = h('section', { id: 'charts', 'aria-labelledby': 'charts-title', 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading…'));
  const narrow = (from: number, to: number): void => {
    const f: Filter = { ...filter, range: 'custom', from, to };
    ctx.navigate('charts', f);
  };
  const range = resolveRange(filter);
  const zoomOut = (): void => {
    const now = Date.now();
    const from = range.from ?? now - 3_600_000;
    const to = range.to ?? now;
    const span = Math.max(60_000, to - from);
    narrow(from - span / 2, Math.min(now, to + span / 2));
  };
  render(
    root,
    h('h1', { class: 'sr-only' }, 'Charts'),
    filterBar(filter, (f) => ctx.navigate('charts', f), { noKind: true }),
    h(
      'div',
      { class: 'toolbar' },
      h('h2', { id: 'charts-title' }, 'Charts'),
      h('span', { class: 'muted' }, describeFilter(filter)),
      h('span', { class: 'muted' }, 'Drag across a chart to narrow the time range.'),
      h('button', { type: 'button', id: 'zoom-out', onclick: zoomOut }, 'Zoom out'),
    ),
    out,
  );
  const width = Math.max(320, Math.min(1600, root.clientWidth - 32));
  const params = filterToApiParams(filter);
  params.delete('kind');
  params.set('points', String(Math.max(200, Math.min(2000, Math.round(width)))));
  const t0 = performance.now();
  series(params, ac.signal)
    .then((res) => {
      const tFetch = performance.now() - t0;
      const allGroups = groupLines(res.series, res.gaps);
      const groups = allGroups.slice(0, MAX_CHARTS);
      if (groups.length === 0) {
        out.setAttribute('aria-busy', 'false');
        render(
          out,
          h('p', { class: 'empty', id: 'no-series' }, 'Nothing to chart for this filter.'),
          res.gaps.length ? h('p', {}, `${res.gaps.length} gap spans in range.`) : null,
        );
        return;
      }
      let pending = groups.length;
      const drawnOnce = new Set<number>();
      const info = h('p', { class: 'muted', id: 'chart-info' }, 'Drawing…');
      render(
        out,
        info,
        res.truncated ? h('p', { class: 'warn-note', role: 'note' }, 'The range holds more rows than one chart request reads: only its start is drawn. Narrow the time range.') : null,
        allGroups.length > groups.length
          ? h('p', { class: 'warn-note', role: 'note' }, `Showing ${groups.length} of ${allGroups.length} charts: filter by machine or component to see the others.`)
          : null,
      );
      groups.forEach((g, i) => {
        const { el, plot } = chartFor(g, width, { from: range.from ?? res.from, to: range.to ?? (range.from !== null ? Date.now() : res.to) }, narrow, () => {
          if (drawnOnce.has(i)) return;
          drawnOnce.add(i);
          pending -= 1;
          if (pending === 0) {
            const ms = Math.round(performance.now() - t0);
            document.body.dataset.chartMs = String(ms);
            document.body.dataset.chartFetchMs = String(Math.round(tFetch));
            document.body.dataset.chartPoints = String(res.points_in_range ?? '');
            out.setAttribute('aria-busy', 'false');
            info.textContent = `${fmtNum(res.points_in_range)} points in range, downsampled on the server · fetched in ${Math.round(tFetch)} ms · drawn in ${ms} ms`;
            announce(`${groups.length} charts drawn`);
          }
        });
        plots.push(plot);
        out.append(el);
      });
    })
    .catch((err: unknown) => {
      if (ac.signal.aborted) return;
      out.setAttribute('aria-busy', 'false');
      render(out, h('p', { class: 'error', role: 'alert' }, `Could not load chart data: ${err instanceof ApiError ? err.message : String(err)}`));
    });
  return () => {
    ac.abort();
    for (const p of plots) p.destroy();
  };
};
