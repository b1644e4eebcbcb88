/**
 * Images: a grid of thumbnails newest first with the shared filter bar and time presets, an image
 * type selector, cursor paging (the images index pages by (time_received, id), so page N is as
 * fast as page 1), keyboard navigation (arrows move, Home/End, Enter opens) and a detail dialog
 * with the full image, its metadata and the readings of the same machine around it.
 */
import {
  ApiError,
  IMAGE_DOWNLOAD_MAX,
  imageCount,
  imageExportUrl,
  images,
  type ImageMeta,
  thumbUrl,
} from '../api.js';
import { announce, h, render } from '../dom.js';
import { filterBar } from '../filterbar.js';
import { describeFilter, filterToApiParams, type Filter } from '../filters.js';
import { fmtTime } from '../format.js';
import type { View } from '../router.js';
import { showImageDetail } from './image-detail.js';
import { CursorPager } from '../pager.js';

export const IMAGE_PAGE = 48;

const pager = new CursorPager('img-page');

/** Moves focus in the grid by arrow keys, using the real column count of the layout. */
function gridKeys(grid: HTMLElement, ev: KeyboardEvent, open: (i: number) => void): void {
  const cells = Array.from(grid.querySelectorAll<HTMLButtonElement>('button.thumb'));
  const i = cells.indexOf(document.activeElement as HTMLButtonElement);
  if (i < 0) return;
  const top = cells[0]!.offsetTop;
  const cols = Math.max(1, cells.filter((c) => c.offsetTop === top).length);
  const to: Record<string, number> = {
    ArrowRight: i + 1,
    ArrowLeft: i - 1,
    ArrowDown: i + cols,
    ArrowUp: i - cols,
    Home: 0,
    End: cells.length - 1,
  };
  if (ev.key === 'Enter' || ev.key === ' ') {
    ev.preventDefault();
    open(i);
    return;
  }
  const j = to[ev.key];
  if (j === undefined) return;
  ev.preventDefault();
  cells[Math.min(cells.length - 1, Math.max(0, j))]?.focus();
}

/** The CLI command that exports exactly this filter's images for ML (docs/cameras.md). */
function exportHint(filter: Filter, mime: string): HTMLElement {
  const q = (v: string): string =>
    /^[A-Za-z0-9._:/,@=-]+$/.test(v) ? v : `'${v.replace(/'/g, "'\\''")}'`;
  const api = filterToApiParams(filter);
  const args = ['wharf cloud export --images --out images/'];
  const flag: Record<string, string> = {
    machine: '--machine',
    part_id: '--part-id',
    component_type: '--component-type',
    component_name: '--component-name',
    method: '--method',
    tags: '--tags',
    from: '--from',
    to: '--to',
  };
  for (const [k, f] of Object.entries(flag)) {
    const v = api.get(k);
    if (v)
      args.push(`${f} ${q(k === 'from' || k === 'to' ? new Date(Number(v)).toISOString() : v)}`);
  }
  if (mime) args.push(`--mime-type ${mime}`);
  const cmd = args.join(' ');
  const code = h('code', { id: 'export-images-cmd' }, cmd);
  const copy = h('button', { type: 'button', id: 'export-images-copy' }, 'Copy');
  copy.addEventListener('click', () => {
    void navigator.clipboard?.writeText(cmd).then(
      () => announce('Export command copied'),
      () => announce('Copy failed: select the command and copy it'),
    );
  });
  return h(
    'details',
    { class: 'exports', id: 'export-images' },
    h('summary', {}, 'Export these images for ML'),
    h('p', {}, 'Every image of this filter as files named by time, plus images.jsonl (resumable):'),
    h('p', {}, code, ' ', copy),
  );
}

/**
 * The download button: this filter's images and images.jsonl as one tar, streamed by the cloud
 * (file names start with time_requested, so name order is time order). The count is asked first:
 * above the download limit the button is off and says why (the CLI above exports any number).
 */
function downloadButton(params: URLSearchParams, signal: AbortSignal): HTMLElement {
  const a = h(
    'a',
    { id: 'export-images-download', class: 'export', href: imageExportUrl(params), download: '' },
    'Download images + metadata (.tar)',
  );
  const note = h('span', { class: 'muted', id: 'export-images-note', 'aria-live': 'polite' });
  imageCount(params, signal).then(
    (n) => {
      if (n > IMAGE_DOWNLOAD_MAX) {
        a.removeAttribute('href');
        a.setAttribute('aria-disabled', 'true');
        note.textContent = `${n} images match: more than ${IMAGE_DOWNLOAD_MAX} for one download; narrow the filter or use the export command`;
      } else if (n === 0) {
        a.removeAttribute('href');
        a.setAttribute('aria-disabled', 'true');
        note.textContent = 'no image to download';
      } else {
        a.textContent = `Download ${n} image${n === 1 ? '' : 's'} + metadata (.tar)`;
      }
    },
    () => undefined,
  );
  return h('p', { class: 'exports', id: 'export-images-bar' }, a, ' ', note);
}

export const imagesView: View = (root, ctx) => {
  const { filter, params } = ctx.route;
  const cursor = pager.enter(params);
  const mime = params.get('mime') ?? '';
  const extra = (more: Record<string, string> = {}) => ({ ...(mime ? { mime } : {}), ...more });
  const ac = new AbortController();
  const results = h(
    'section',
    { id: 'image-results', 'aria-labelledby': 'images-title', 'aria-busy': 'true' },
    h('p', { class: 'muted' }, 'Loading…'),
  );
  const mimeSel = h(
    'select',
    { id: 'f-mime', name: 'mime' },
    h('option', { value: '' }, 'Any type'),
    h('option', { value: 'image/jpeg' }, 'JPEG'),
    h('option', { value: 'image/png' }, 'PNG'),
  );
  mimeSel.value = mime;
  const exportParams = filterToApiParams(filter);
  exportParams.delete('kind');
  if (mime) exportParams.set('mime_type', mime);
  mimeSel.addEventListener('change', () =>
    ctx.navigate('images', filter, mimeSel.value ? { mime: mimeSel.value } : {}),
  );
  render(
    root,
    h('h1', { class: 'sr-only' }, 'Images'),
    filterBar(filter, (f) => ctx.navigate('images', f, extra()), { noKind: true }),
    h(
      'div',
      { class: 'toolbar' },
      h('h2', { id: 'images-title' }, 'Images, newest first'),
      h('span', { class: 'muted', id: 'filter-desc' }, describeFilter(filter)),
      h('label', { for: 'f-mime' }, 'Image type '),
      mimeSel,
    ),
    downloadButton(exportParams, ac.signal),
    exportHint(filter, mime),
    results,
  );

  const api = filterToApiParams(filter);
  api.delete('kind');
  api.set('limit', String(IMAGE_PAGE));
  api.set('order', 'desc');
  if (mime) api.set('mime_type', mime);
  if (cursor) api.set('cursor', cursor);
  const started = performance.now();
  images(api, ac.signal)
    .then((page) => {
      const ms = Math.round(performance.now() - started);
      const list = page.images;
      const open = (i: number): void => showImageDetail(list, i);
      const grid = h('ul', { id: 'image-grid', class: 'image-grid', 'aria-label': 'Images' });
      list.forEach((im: ImageMeta, i) => {
        const label = `${im.machine} / ${im.component_name} at ${fmtTime(im.time_requested)}`;
        grid.append(
          h(
            'li',
            {},
            h(
              'button',
              {
                type: 'button',
                class: 'thumb',
                'data-id': im.id,
                'aria-label': `${label}; press Enter to open`,
                onclick: () => open(i),
              },
              h('img', {
                src: thumbUrl(im.id),
                alt: label,
                loading: 'lazy',
                width: 240,
                height: 180,
              }),
              h(
                'span',
                { class: 'cap' },
                h('span', { class: 'time' }, fmtTime(im.time_requested)),
                ' ',
                im.component_name,
              ),
            ),
          ),
        );
      });
      grid.addEventListener('keydown', (ev) => gridKeys(grid, ev, open));
      const nav = pager.nav(cursor, page.next_cursor, (c) =>
        ctx.navigate('images', filter, extra(c ? { cursor: c } : {})),
      );
      render(
        results,
        list.length === 0
          ? h(
              'p',
              { class: 'empty', id: 'no-images' },
              'No images match this filter. Widen the time range or clear a field.',
            )
          : grid,
        h(
          'p',
          { class: 'muted', id: 'image-page-info' },
          `${list.length} images · ${ms} ms${page.next_cursor ? ' · more on the next page' : ''}`,
        ),
        nav,
      );
      results.setAttribute('aria-busy', 'false');
      document.body.dataset.imagesMs = String(ms);
      announce(`${list.length} images loaded`);
    })
    .catch((err: unknown) => {
      if (ac.signal.aborted) return;
      results.setAttribute('aria-busy', 'false');
      render(
        results,
        h(
          'p',
          { class: 'error', role: 'alert' },
          `Could not load images: ${err instanceof ApiError ? err.message : String(err)}`,
        ),
      );
    });
  return () => ac.abort();
};
