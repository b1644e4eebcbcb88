/** Detail: every field of one reading or gap, in a modal <dialog> (Escape closes, focus returns). */
import { imageUrl, type Row } from '../api.js';
import { h } from '../dom.js';
import { emptyFilter } from '../filters.js';
import { fmtTime } from '../format.js';
import { routeHref } from '../router.js';

function json(v: unknown): HTMLElement {
  return h('pre', { class: 'json' }, JSON.stringify(v, null, 2));
}

function dataTable(row: Row): HTMLElement {
  const entries = Object.entries(row.data ?? {});
  if (row.kind === 'gap') {
    const d = row.data as Record<string, unknown>;
    return h(
      'dl',
      { class: 'fields' },
      h('dt', {}, 'Reason'),
      h('dd', {}, String(d.reason ?? '—')),
      h('dt', {}, 'Missing readings'),
      h('dd', {}, String(d.count ?? '—')),
      h('dt', {}, 'Span'),
      h(
        'dd',
        {},
        `${fmtTime(row.time_requested)} → ${fmtTime(typeof d.end === 'number' ? d.end : row.time_received)}`,
      ),
      d.detail !== undefined ? h('dt', {}, 'Detail') : null,
      d.detail !== undefined ? h('dd', {}, String(d.detail)) : null,
    );
  }
  const image = (row.data as { image?: { mime_type?: unknown; size?: unknown } }).image;
  if (row.id !== undefined && image !== undefined && typeof image.mime_type === 'string') {
    // an image reading (docs/cameras.md): its id is the image's id
    const id = Number(row.id);
    return h(
      'figure',
      { class: 'image-reading' },
      h('img', {
        src: imageUrl(id),
        alt: `${row.component_name} at ${fmtTime(row.time_requested)}`,
        id: 'detail-image',
      }),
      h(
        'figcaption',
        {},
        `${image.mime_type}, ${String(image.size)} bytes · `,
        h('a', { href: imageUrl(id), download: '' }, 'Download'),
      ),
    );
  }
  const analog = entries.some(
    ([, v]) => v !== null && typeof v === 'object' && 'value' in (v as object),
  );
  if (analog) {
    return h(
      'table',
      { class: 'grid compact' },
      h('caption', {}, 'Analog readers'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Reader', 'value', 'min_range', 'max_range', 'step_size'].map((c) =>
            h('th', { scope: 'col' }, c),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        ...entries.map(([k, v]) => {
          const o = (v ?? {}) as Record<string, unknown>;
          return h(
            'tr',
            {},
            h('th', { scope: 'row' }, k),
            ...['value', 'min_range', 'max_range', 'step_size'].map((f) =>
              h('td', { class: 'num' }, String(o[f] ?? '—')),
            ),
          );
        }),
      ),
    );
  }
  return h(
    'table',
    { class: 'grid compact' },
    h('caption', {}, 'Pins'),
    h(
      'thead',
      {},
      h('tr', {}, h('th', { scope: 'col' }, 'Pin'), h('th', { scope: 'col' }, 'Level')),
    ),
    h(
      'tbody',
      {},
      ...entries.map(([k, v]) => {
        const o = (v ?? {}) as Record<string, unknown>;
        return h(
          'tr',
          {},
          h('th', { scope: 'row' }, k),
          h('td', {}, 'high' in o ? (o.high ? 'high' : 'low') : JSON.stringify(v)),
        );
      }),
    ),
  );
}

export function showDetail(row: Row): void {
  document.getElementById('detail')?.remove();
  const returnTo = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const known = new Set([
    'kind',
    'time_requested',
    'time_received',
    'machine',
    'part_id',
    'component_type',
    'component_name',
    'method_name',
    'additional_parameters',
    'tags',
    'data',
  ]);
  const extra = Object.entries(row).filter(([k]) => !known.has(k));
  const f = emptyFilter();
  f.machine = row.machine;
  f.component_name = row.component_name;
  f.range = 'custom';
  f.from = row.time_received - 5 * 60_000;
  f.to = row.time_received + 5 * 60_000;
  const close = h('button', { type: 'button', class: 'close', 'aria-label': 'Close detail' }, '×');
  const dlg = h(
    'dialog',
    { id: 'detail', 'aria-labelledby': 'detail-title', class: 'detail' },
    h(
      'header',
      {},
      h(
        'h2',
        { id: 'detail-title' },
        row.kind === 'gap' ? 'Gap' : 'Reading',
        ` · ${row.machine} / ${row.component_name}`,
      ),
      close,
    ),
    h(
      'dl',
      { class: 'fields' },
      h('dt', {}, 'Kind'),
      h('dd', {}, row.kind),
      h('dt', {}, 'Time requested'),
      h(
        'dd',
        {},
        fmtTime(row.time_requested),
        h(
          'small',
          {},
          ` (${Number.isFinite(row.time_requested) ? new Date(row.time_requested).toISOString() : '—'})`,
        ),
      ),
      h('dt', {}, 'Time received'),
      h(
        'dd',
        {},
        fmtTime(row.time_received),
        h(
          'small',
          {},
          ` (${Number.isFinite(row.time_received) ? new Date(row.time_received).toISOString() : '—'})`,
        ),
      ),
      h('dt', {}, 'Machine'),
      h('dd', {}, row.machine),
      h('dt', {}, 'Part'),
      h('dd', {}, row.part_id ?? '—'),
      h('dt', {}, 'Component type'),
      h('dd', {}, row.component_type),
      h('dt', {}, 'Component name'),
      h('dd', {}, row.component_name),
      h('dt', {}, 'Method'),
      h('dd', {}, row.method_name),
      h('dt', {}, 'Tags'),
      h('dd', {}, row.tags.length ? row.tags.join(', ') : '—'),
      h('dt', {}, 'Additional parameters'),
      h('dd', {}, json(row.additional_parameters ?? {})),
      ...extra.flatMap(([k, v]) => [
        h('dt', {}, k),
        h('dd', {}, typeof v === 'object' ? json(v) : String(v)),
      ]),
    ),
    h('h3', {}, 'Data'),
    dataTable(row),
    h('details', {}, h('summary', {}, 'Raw JSON'), json(row)),
    h('p', {}, h('a', { href: routeHref('charts', f) }, 'Chart ±5 minutes around this reading')),
  );
  close.addEventListener('click', () => dlg.close());
  dlg.addEventListener('close', () => {
    dlg.remove();
    returnTo?.focus();
  });
  dlg.addEventListener('click', (ev) => {
    if (ev.target === dlg) dlg.close();
  });
  dlg.querySelector('a')?.addEventListener('click', () => dlg.close());
  document.body.append(dlg);
  dlg.showModal();
  close.focus();
}
