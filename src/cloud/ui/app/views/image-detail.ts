/**
 * One image in a modal <dialog>: the full image, its metadata, and the readings of the same machine
 * within ±1 minute of it (other components: what the sensors said when the picture was taken).
 * ←/→ step through the page's images, Escape closes, focus returns to the thumbnail.
 */
import { imageUrl, readings, type ImageMeta } from '../api.js';
import { h, render } from '../dom.js';
import { fmtTime, summarise } from '../format.js';

const NEIGHBOUR_MS = 60_000;

function fields(im: ImageMeta): HTMLElement {
  const row = (k: string, v: string): HTMLElement[] => [h('dt', {}, k), h('dd', {}, v)];
  return h(
    'dl',
    { class: 'fields', id: 'image-meta' },
    ...row(
      'Time requested',
      `${fmtTime(im.time_requested)} (${new Date(im.time_requested).toISOString()})`,
    ),
    ...row(
      'Time received',
      `${fmtTime(im.time_received)} (${new Date(im.time_received).toISOString()})`,
    ),
    ...row('Machine', im.machine),
    ...row('Part', im.part_id),
    ...row('Component', `${im.component_type} / ${im.component_name}`),
    ...row('Method', im.method_name),
    ...row('Type', im.mime_type),
    ...row('Size', `${im.size} bytes`),
    ...row('Tags', im.tags.length ? im.tags.join(', ') : '—'),
    ...row('SHA-256', im.sha256),
  );
}

export function showImageDetail(list: ImageMeta[], index: number): void {
  document.getElementById('image-detail')?.remove();
  const returnTo = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  let i = index;
  let ac = new AbortController();
  const close = h('button', { type: 'button', class: 'close', 'aria-label': 'Close image' }, '×');
  const body = h('div', { class: 'image-body' });
  const dlg = h(
    'dialog',
    { id: 'image-detail', 'aria-labelledby': 'image-title', class: 'detail image-detail' },
    h('header', {}, h('h2', { id: 'image-title' }, 'Image'), close),
    body,
  );
  const show = (): void => {
    ac.abort();
    ac = new AbortController();
    const im = list[i]!;
    dlg.querySelector('#image-title')!.textContent =
      `Image · ${im.machine} / ${im.component_name} · ${i + 1} of ${list.length}`;
    const neighbours = h(
      'section',
      { id: 'image-neighbours', 'aria-busy': 'true' },
      h('p', { class: 'muted' }, 'Loading readings…'),
    );
    render(
      body,
      h('img', {
        id: 'image-full',
        src: imageUrl(im.id),
        alt: `${im.component_name} at ${fmtTime(im.time_requested)}`,
      }),
      h('p', { class: 'muted' }, '← → previous / next image · Esc closes'),
      fields(im),
      h('h3', {}, `Readings of ${im.machine} within ±1 minute`),
      neighbours,
    );
    const p = new URLSearchParams({
      machine: im.machine,
      from: String(im.time_received - NEIGHBOUR_MS),
      to: String(im.time_received + NEIGHBOUR_MS),
      kind: 'reading',
      limit: '20',
      order: 'desc',
    });
    readings(p, ac.signal)
      .then((page) => {
        const rows = page.rows.filter((r) => !(r.data && 'image' in r.data));
        neighbours.setAttribute('aria-busy', 'false');
        render(
          neighbours,
          rows.length === 0
            ? h('p', { class: 'empty' }, 'No other readings of this machine around this image.')
            : h(
                'table',
                { class: 'grid compact', id: 'neighbour-rows' },
                h(
                  'thead',
                  {},
                  h(
                    'tr',
                    {},
                    ...['Time received', 'Component', 'Method', 'Data'].map((c) =>
                      h('th', { scope: 'col' }, c),
                    ),
                  ),
                ),
                h(
                  'tbody',
                  {},
                  ...rows.map((r) =>
                    h(
                      'tr',
                      {},
                      h('td', { class: 'time' }, fmtTime(r.time_received)),
                      h('td', {}, r.component_name),
                      h('td', {}, r.method_name),
                      h('td', { class: 'data' }, summarise(r)),
                    ),
                  ),
                ),
              ),
        );
      })
      .catch(() => {
        if (ac.signal.aborted) return;
        neighbours.setAttribute('aria-busy', 'false');
        render(
          neighbours,
          h('p', { class: 'error' }, 'Could not load the readings around this image.'),
        );
      });
  };
  dlg.addEventListener('keydown', (ev) => {
    if (ev.key === 'ArrowRight' && i < list.length - 1) {
      i++;
      show();
      ev.preventDefault();
    } else if (ev.key === 'ArrowLeft' && i > 0) {
      i--;
      show();
      ev.preventDefault();
    }
  });
  close.addEventListener('click', () => dlg.close());
  dlg.addEventListener('close', () => {
    ac.abort();
    dlg.remove();
    const cells = document.querySelectorAll<HTMLButtonElement>('#image-grid button.thumb');
    (cells[i] ?? returnTo)?.focus();
  });
  dlg.addEventListener('click', (ev) => {
    if (ev.target === dlg) dlg.close();
  });
  document.body.append(dlg);
  show();
  dlg.showModal();
  close.focus();
}
