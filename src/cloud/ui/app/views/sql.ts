/** SQL: an editor for the read-only SQL endpoint, a results table, exports of the query or the filter. */
import { ApiError, exportSqlUrl, exportUrl, sql } from '../api.js';
import { announce, h, render } from '../dom.js';
import { describeFilter, filterToApiParams } from '../filters.js';
import { fmtNum } from '../format.js';
import type { View } from '../router.js';

const SHOWN = 1000;
const DEFAULT_SQL = `SELECT machine, component_name, count(*) AS n,
       min(time_received) AS first, max(time_received) AS last
FROM readings
GROUP BY machine, component_name
ORDER BY n DESC
LIMIT 100`;

let lastQuery = DEFAULT_SQL;

function cell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export const sqlView: View = (root, ctx) => {
  const { filter, params } = ctx.route;
  if (params.get('q')) lastQuery = params.get('q')!;
  let ac = new AbortController();
  const editor = h('textarea', {
    id: 'sql-editor',
    rows: 8,
    spellcheck: 'false',
    'aria-describedby': 'sql-help',
    class: 'code',
  });
  editor.value = lastQuery;
  const out = h('section', {
    id: 'sql-results',
    'aria-label': 'Query results',
    'aria-live': 'polite',
  });
  const run = h('button', { type: 'submit', class: 'primary', id: 'sql-run' }, 'Run query');
  const exportLinks = (): HTMLElement[] =>
    ['csv', 'jsonl', 'parquet'].flatMap((fmt, i) => [
      i > 0 ? h('span', {}, ' · ') : h('span', {}),
      h(
        'a',
        {
          href: exportSqlUrl(fmt, editor.value),
          download: '',
          class: 'export-sql',
          'data-format': fmt,
        },
        fmt.toUpperCase(),
      ),
    ]);
  const sqlExports = h('span', { id: 'sql-exports' }, ...exportLinks());
  editor.addEventListener('input', () => {
    lastQuery = editor.value;
    render(sqlExports, ...exportLinks());
  });
  const exec = async (): Promise<void> => {
    ac.abort();
    ac = new AbortController();
    run.disabled = true;
    out.setAttribute('aria-busy', 'true');
    render(out, h('p', { class: 'muted' }, 'Running…'));
    const t0 = performance.now();
    try {
      const res = await sql(editor.value, ac.signal);
      const ms = Math.round(performance.now() - t0);
      const shown = res.rows.slice(0, SHOWN);
      render(
        out,
        res.error
          ? h(
              'p',
              { class: 'error', role: 'alert', id: 'sql-error' },
              `The query stopped early: ${res.error}. The rows below are incomplete.`,
            )
          : null,
        h(
          'p',
          { class: 'muted', id: 'sql-info' },
          `${fmtNum(res.rows.length)} rows${res.truncated ? ' (truncated by the server)' : ''} · ${ms} ms${res.rows.length > SHOWN ? ` · showing the first ${SHOWN}; export for all` : ''}`,
        ),
        h(
          'div',
          { class: 'scroll' },
          h(
            'table',
            { class: 'grid', id: 'sql-table' },
            h('thead', {}, h('tr', {}, ...res.columns.map((c) => h('th', { scope: 'col' }, c)))),
            h(
              'tbody',
              {},
              ...shown.map((r) =>
                h(
                  'tr',
                  {},
                  ...r.map((v) => h('td', { class: typeof v === 'number' ? 'num' : '' }, cell(v))),
                ),
              ),
            ),
          ),
        ),
      );
      announce(`${res.rows.length} rows`);
    } catch (err) {
      if (ac.signal.aborted) return;
      render(
        out,
        h(
          'p',
          { class: 'error', role: 'alert', id: 'sql-error' },
          err instanceof ApiError ? err.message : String(err),
        ),
      );
    } finally {
      run.disabled = false;
      out.setAttribute('aria-busy', 'false');
    }
  };
  const form = h(
    'form',
    { class: 'sql', 'aria-label': 'SQL query' },
    h(
      'label',
      { for: 'sql-editor' },
      'Read-only SQL over the ',
      h('code', {}, 'readings'),
      ' view',
    ),
    editor,
    h(
      'p',
      { class: 'hint', id: 'sql-help' },
      'Ctrl+Enter runs the query. Statements that write, attach or change settings are refused.',
    ),
    h(
      'div',
      { class: 'actions' },
      run,
      h('span', { class: 'muted' }, 'Export this query: '),
      sqlExports,
    ),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void exec();
  });
  editor.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      void exec();
    }
  });
  render(
    root,
    h('h1', { class: 'sr-only' }, 'SQL'),
    form,
    h(
      'p',
      { class: 'exports' },
      `Export the current filter (${describeFilter(filter)}): `,
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
    ),
    out,
  );
  return () => ac.abort();
};
