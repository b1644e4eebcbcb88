/**
 * Live: new readings appear without reload. Polls `/api/v1/readings` for rows newer than the newest
 * one shown; keeps at most MAX_ROWS rows (older ones leave the table), so memory stays flat however
 * long the page is open.
 */
import { ApiError, readings, type Row } from '../api.js';
import { h, render } from '../dom.js';
import { filterBar, learn } from '../filterbar.js';
import { describeFilter, filterToApiParams } from '../filters.js';
import { fmtTime, rowKey } from '../format.js';
import type { View } from '../router.js';
import { rowElement, rowsTable } from './data.js';

export const MAX_ROWS = 500;
const POLL_MS = 1000;
const BATCH = 500;

export const liveView: View = (root, ctx) => {
  const { filter } = ctx.route;
  const liveFilter = { ...filter, range: 'all' as const, from: null, to: null };
  let paused = false;
  let since: number | null = null;
  /** Keys of the rows whose time equals `since` (the next poll asks from `since` inclusive). */
  let atSince = new Set<string>();
  let total = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let ac = new AbortController();
  let stopped = false;

  const table = rowsTable([], 'Live readings, newest first', 'live-rows');
  const body = table.tBodies[0]!;
  const state = h('span', { id: 'live-state', class: 'badge ok', role: 'status' }, 'live');
  const counter = h('span', { class: 'muted', id: 'live-count' }, '0 new');
  const pause = h('button', { type: 'button', id: 'live-pause', 'aria-pressed': 'false' }, 'Pause');
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.textContent = paused ? 'Resume' : 'Pause';
    pause.setAttribute('aria-pressed', String(paused));
    state.textContent = paused ? 'paused' : 'live';
    state.className = `badge ${paused ? 'off' : 'ok'}`;
  });
  const err = h('p', { class: 'error', role: 'alert', hidden: true });
  render(
    root,
    h('h1', { class: 'sr-only' }, 'Live'),
    filterBar(filter, (f) => ctx.navigate('live', f), { noTime: true }),
    h(
      'div',
      { class: 'toolbar' },
      h('h2', {}, 'Live'),
      state,
      counter,
      pause,
      h(
        'span',
        { class: 'muted' },
        `${describeFilter(liveFilter).replace(/( · )?All time$/, '') || 'Everything'} · new rows polled every second · newest ${MAX_ROWS} kept`,
      ),
    ),
    err,
    table,
  );

  const add = (rows: Row[]): void => {
    // rows arrive newest first
    const fresh = rows.filter(
      (r) =>
        since === null ||
        r.time_received > since ||
        (r.time_received === since && !atSince.has(rowKey(r))),
    );
    if (fresh.length === 0) return;
    learn(fresh);
    const newest = fresh[0]!.time_received;
    if (since === null || newest > since) {
      since = newest;
      atSince = new Set();
    }
    for (const r of fresh) if (r.time_received === since) atSince.add(rowKey(r));
    const frag = document.createDocumentFragment();
    for (const r of fresh.slice(0, MAX_ROWS)) {
      const tr = rowElement(r);
      if (total > 0) tr.classList.add('new');
      frag.append(tr);
    }
    body.prepend(frag);
    while (body.rows.length > MAX_ROWS) body.lastElementChild?.remove();
    total += fresh.length;
    counter.textContent = `${total} received · ${body.rows.length} shown · last ${fmtTime(since)}`;
  };

  const poll = async (): Promise<void> => {
    if (stopped) return;
    if (!paused && !document.hidden) {
      ac = new AbortController();
      const p = filterToApiParams(liveFilter);
      p.set('order', 'desc');
      p.set('limit', String(since === null ? 50 : BATCH));
      if (since !== null) p.set('from', String(Math.floor(since)));
      try {
        const page = await readings(p, ac.signal);
        add(page.rows);
        err.hidden = true;
      } catch (e) {
        if (stopped) return;
        err.textContent = `Live update failed, retrying: ${e instanceof ApiError ? e.message : String(e)}`;
        err.hidden = false;
      }
    }
    if (!stopped) timer = setTimeout(() => void poll(), POLL_MS);
  };
  void poll();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    ac.abort();
  };
};
