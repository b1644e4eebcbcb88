/** Data: newest-first table of readings and gaps, filter bar, cursor paging, export links. */
import { ApiError, exportUrl, readings, retention, type Row, type RetentionView } from '../api.js';
import { announce, h, render } from '../dom.js';
import { filterBar, learn } from '../filterbar.js';
import { describeFilter, filterToApiParams } from '../filters.js';
import { fmtTime, summarise } from '../format.js';
import type { View } from '../router.js';
import { showDetail } from './detail.js';
import { CursorPager } from '../pager.js';

export const PAGE_SIZE = 50;

const pager = new CursorPager('page');

export function rowsTable(rows: Row[], caption: string, id = 'rows'): HTMLTableElement {
  const table = h(
    'table',
    { class: 'grid rows', id },
    h('caption', { class: 'sr-only' }, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['Time received', 'Machine', 'Component', 'Method', 'Kind', 'Data', 'Tags'].map((c) =>
          h('th', { scope: 'col' }, c),
        ),
      ),
    ),
  );
  const body = h('tbody', {});
  for (const r of rows) body.append(rowElement(r));
  table.append(body);
  return table;
}

export function rowElement(r: Row): HTMLTableRowElement {
  const tr = h(
    'tr',
    {
      tabindex: 0,
      class: r.kind === 'gap' ? 'gap' : '',
      'aria-label': `${r.kind} from ${r.machine} ${r.component_name} at ${fmtTime(r.time_received)}; press Enter for detail`,
    },
    h('td', { class: 'time' }, fmtTime(r.time_received)),
    h('td', {}, r.machine),
    h('td', {}, h('span', { class: 'ctype' }, r.component_type), ' ', r.component_name),
    h('td', {}, r.method_name),
    h('td', {}, r.kind === 'gap' ? h('span', { class: 'badge warn' }, 'gap') : 'reading'),
    h('td', { class: 'data' }, summarise(r)),
    h('td', {}, r.tags.join(', ')),
  );
  const open = (): void => showDetail(r);
  tr.addEventListener('click', open);
  tr.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' || ev.key === ' ') {
      ev.preventDefault();
      open();
    } else if (ev.key === 'ArrowDown') {
      (tr.nextElementSibling as HTMLElement | null)?.focus();
      ev.preventDefault();
    } else if (ev.key === 'ArrowUp') {
      (tr.previousElementSibling as HTMLElement | null)?.focus();
      ev.preventDefault();
    }
  });
  return tr;
}

/**
 * A line per machine of the filter that has a retention_policy: its older data was removed by the
 * cloud on purpose (and when), so an empty past is not read as data the gateway lost.
 */
export function retentionNote(r: RetentionView, machines: string[]): HTMLElement | null {
  const mine = r.policies.filter((p) => machines.length === 0 || machines.includes(p.machine));
  if (mine.length === 0) return null;
  const lines = mine.map((p) => {
    const ev = r.events.filter((e) => e.machine === p.machine);
    const n = ev.reduce((a, e) => a + e.readings + e.gaps, 0);
    const last = ev[0];
    return `${p.machine} keeps ${p.days} days (retention_policy)${
      last === undefined ? '' : `; ${n} older records removed, last at ${fmtTime(last.at_ms)}`
    }`;
  });
  return h(
    'p',
    { class: 'muted', id: 'retention-note' },
    `Retention: ${lines.join(' · ')}. Data older than that was removed by the cloud on purpose, not lost by the gateway.`,
  );
}

export const dataView: View = (root, ctx) => {
  const { filter, params } = ctx.route;
  const cursor = pager.enter(params);
  const ac = new AbortController();
  const results = h(
    'section',
    { id: 'results', 'aria-labelledby': 'results-title', 'aria-busy': 'true' },
    h('p', { class: 'muted' }, 'Loading…'),
  );
  const exports = h(
    'p',
    { class: 'exports' },
    'Export this filter: ',
    ...['csv', 'jsonl', 'parquet'].flatMap((fmt, i) => [
      i > 0 ? ' · ' : '',
      h(
        'a',
        {
          href: exportUrl(fmt, filterToApiParams(filter)),
          download: '',
          class: 'export',
          'data-format': fmt,
        },
        fmt.toUpperCase(),
      ),
    ]),
  );
  render(
    root,
    h('h1', { class: 'sr-only' }, 'Data'),
    filterBar(filter, (f) => ctx.navigate('data', f)),
    h(
      'div',
      { class: 'toolbar' },
      h('h2', { id: 'results-title' }, 'Newest first'),
      h('span', { class: 'muted', id: 'filter-desc' }, describeFilter(filter)),
      exports,
    ),
    results,
  );

  const apiParams = filterToApiParams(filter);
  apiParams.set('limit', String(PAGE_SIZE));
  apiParams.set('order', 'desc');
  if (cursor) apiParams.set('cursor', cursor);
  const started = performance.now();
  readings(apiParams, ac.signal)
    .then((page) => {
      learn(page.rows);
      const ms = Math.round(performance.now() - started);
      const nav = pager.nav(cursor, page.next_cursor, (c) =>
        ctx.navigate('data', filter, c ? { cursor: c } : {}),
      );
      render(
        results,
        page.rows.length === 0
          ? h(
              'p',
              { class: 'empty', id: 'no-rows' },
              'No readings match this filter. Widen the time range or clear a field.',
            )
          : rowsTable(page.rows, `Readings, newest first: ${describeFilter(filter)}`),
        h(
          'p',
          { class: 'muted', id: 'page-info' },
          `${page.rows.length} rows · ${ms} ms${page.next_cursor ? ' · more below' : ''}`,
        ),
        nav,
      );
      results.setAttribute('aria-busy', 'false');
      document.body.dataset.dataMs = String(ms);
      const machines = filter.machine
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean);
      retention(ac.signal)
        .then((r) => {
          const note = r === null ? null : retentionNote(r, machines);
          if (note !== null && !ac.signal.aborted) results.append(note);
        })
        .catch(() => undefined) // the note is extra: the rows are shown either way
        .finally(() => {
          results.dataset.retention = 'done';
        });
      announce(`${page.rows.length} rows loaded`);
    })
    .catch((err: unknown) => {
      if (ac.signal.aborted) return;
      results.setAttribute('aria-busy', 'false');
      render(
        results,
        h(
          'p',
          { class: 'error', role: 'alert' },
          `Could not load readings: ${err instanceof ApiError ? err.message : String(err)}`,
        ),
      );
    });
  return () => ac.abort();
};
