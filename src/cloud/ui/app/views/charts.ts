/**
 * Charts: analog readers over time and GPIO pins as step lines, one chart per board component,
 * from the server-side downsampled `/api/v1/series`. Gaps are shaded spans (reason on hover and
 * listed under the chart). Dragging across a chart narrows the time filter.
 */
import uPlot from 'uplot';
import { ApiError, series } from '../api.js';
import { announce, h, render } from '../dom.js';
import { filterBar } from '../filterbar.js';
import { describeFilter, filterToApiParams, resolveRange, type Filter } from '../filters.js';
import { breakAtGaps, gapPlugin, groupLines, timeTicks, type Group } from './chart-parts.js';
import { fmtNum, fmtTime } from '../format.js';
import type { View } from '../router.js';

const COLOURS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#9467bd',
  '#ff7f0e',
  '#17becf',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
];
/** At most this many charts on one page (bounded drawing); narrow the filter to see others. */
const MAX_CHARTS = 24;

function chartFor(
  g: Group,
  width: number,
  range: { from: number | null; to: number | null },
  onSelect: (from: number, to: number) => void,
  onDrawn: () => void,
): { el: HTMLElement; plot: uPlot } {
  const tables: uPlot.AlignedData[] = g.lines.map(
    (l) => breakAtGaps(l.t, l.v, g.gaps) as uPlot.AlignedData,
  );
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
      x: {
        time: true,
        ...(range.from !== null && range.to !== null
          ? { range: [range.from, range.to] as uPlot.Range.MinMax }
          : {}),
      },
      ...(g.kind === 'gpio' ? { y: { range: [-0.1, 1.1] as uPlot.Range.MinMax } } : {}),
    },
    axes: [
      { space: 90, values: timeTicks },
      g.kind === 'gpio'
        ? {
            values: (_u, ticks) => ticks.map((v) => (v === 1 ? 'high' : v === 0 ? 'low' : '')),
            splits: () => [0, 1],
          }
        : { label: 'raw value', size: 60 },
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
          h(
            'ul',
            {},
            ...g.gaps
              .slice(0, 200)
              .map((s) =>
                h(
                  'li',
                  {},
                  `${fmtTime(s.start)} → ${fmtTime(s.end)}: ${s.reason}${s.count ? ` (${s.count} missing)` : ''}${s.detail ? ` — ${s.detail}` : ''}`,
                ),
              ),
          ),
        );
  const points = g.lines.reduce((n, l) => n + l.t.length, 0);
  const el = h(
    'figure',
    {
      class: 'chart',
      'data-kind': g.kind,
      'aria-label': `${g.kind === 'gpio' ? 'GPIO' : 'Analog'} chart for ${g.title}`,
    },
    h(
      'figcaption',
      {},
      h('strong', {}, g.title),
      ` · ${g.kind === 'gpio' ? 'GPIO pins (step)' : 'analog readers'} · ${fmtNum(points)} points drawn`,
    ),
    holder,
    gapList,
  );
  return { el, plot };
}

export const chartsView: View = (root, ctx) => {
  const { filter } = ctx.route;
  const ac = new AbortController();
  const plots: uPlot[] = [];
  const out = h(
    'section',
    { id: 'charts', 'aria-labelledby': 'charts-title', 'aria-busy': 'true' },
    h('p', { class: 'muted' }, 'Loading…'),
  );
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
        res.truncated
          ? h(
              'p',
              { class: 'warn-note', role: 'note' },
              'The range holds more rows than one chart request reads: only its start is drawn. Narrow the time range.',
            )
          : null,
        allGroups.length > groups.length
          ? h(
              'p',
              { class: 'warn-note', role: 'note' },
              `Showing ${groups.length} of ${allGroups.length} charts: filter by machine or component to see the others.`,
            )
          : null,
      );
      groups.forEach((g, i) => {
        const { el, plot } = chartFor(
          g,
          width,
          {
            from: range.from ?? res.from,
            to: range.to ?? (range.from !== null ? Date.now() : res.to),
          },
          narrow,
          () => {
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
          },
        );
        plots.push(plot);
        out.append(el);
      });
    })
    .catch((err: unknown) => {
      if (ac.signal.aborted) return;
      out.setAttribute('aria-busy', 'false');
      render(
        out,
        h(
          'p',
          { class: 'error', role: 'alert' },
          `Could not load chart data: ${err instanceof ApiError ? err.message : String(err)}`,
        ),
      );
    });
  return () => {
    ac.abort();
    for (const p of plots) p.destroy();
  };
};
