/**
 * Fleet: per board last seen, online/offline, its current rate (readings in the minute before its
 * last reading), readings and gaps over the range; counts of machines and of boards; per machine
 * the config revision the cloud wants (desired) and the one the gateway reported (applied).
 */
import { ApiError, fleet, fleetMachines, type Board, type MachineRollout } from '../api.js';
import { announce, h, render } from '../dom.js';
import { filterBar, suggestions } from '../filterbar.js';
import { describeFilter, emptyFilter, filterToApiParams } from '../filters.js';
import { fmtAgo, fmtNum, fmtTime } from '../format.js';
import { routeHref, type View } from '../router.js';

const REFRESH_MS = 10_000;

function table(boards: Board[]): HTMLElement {
  return h(
    'table',
    { class: 'grid', id: 'fleet-table' },
    h('caption', { class: 'sr-only' }, 'Boards'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...[
          'Board',
          'Component',
          'Status',
          'Last seen',
          'Readings / min (last minute)',
          'Readings',
          'Gaps',
          '',
        ].map((c) => h('th', { scope: 'col' }, c)),
      ),
    ),
    h(
      'tbody',
      {},
      ...boards.map((b) => {
        const f = emptyFilter();
        f.machine = b.machine;
        if (b.component_name) f.component_name = b.component_name;
        f.range = '1h';
        return h(
          'tr',
          {},
          h(
            'th',
            { scope: 'row' },
            b.machine,
            b.part_id ? h('small', { class: 'muted' }, ` (${b.part_id})`) : null,
          ),
          h(
            'td',
            {},
            b.component_name
              ? h(
                  'span',
                  {},
                  h('span', { class: 'ctype' }, b.component_type ?? ''),
                  ' ',
                  b.component_name,
                )
              : '—',
          ),
          h(
            'td',
            {},
            h(
              'span',
              { class: `badge ${b.online ? 'ok' : 'off'}` },
              b.online ? 'online' : 'offline',
            ),
          ),
          h('td', { title: fmtTime(b.last_seen) }, fmtAgo(b.last_seen)),
          h(
            'td',
            {
              class: 'num',
              title:
                b.rate_window === 'range'
                  ? 'average over the range'
                  : 'readings in the minute before the last reading',
            },
            fmtNum(b.readings_per_min),
          ),
          h('td', { class: 'num' }, fmtNum(b.readings)),
          h('td', { class: `num ${b.gap_count > 0 ? 'warn' : ''}` }, fmtNum(b.gap_count)),
          h(
            'td',
            {},
            h('a', { href: routeHref('data', f) }, 'data'),
            ' · ',
            h('a', { href: routeHref('charts', f) }, 'charts'),
          ),
        );
      }),
    ),
  );
}

/** "2 of 3 machines online · 4 of 6 boards online": a machine is online when any of its boards is. */
export function counts(boards: Board[]): string {
  const machines = new Set(boards.map((b) => b.machine));
  const onlineMachines = new Set(boards.filter((b) => b.online).map((b) => b.machine));
  const online = boards.filter((b) => b.online).length;
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  return `${onlineMachines.size} of ${plural(machines.size, 'machine', 'machines')} online · ${online} of ${plural(boards.length, 'board', 'boards')} online · updated ${fmtTime(Date.now())}`;
}

const revText = (r: { config_revision: number; fragments: { id: string; revision: number }[] }) =>
  [`r${r.config_revision}`, ...r.fragments.map((f) => `${f.id}@${f.revision}`)].join(' ');

function rolloutTable(ms: MachineRollout[]): HTMLElement {
  return h(
    'table',
    { class: 'grid', id: 'rollout-table' },
    h('caption', {}, 'Config rollout: desired (cloud) vs applied (reported by the gateway)'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['Machine', 'Desired', 'Applied', 'Applied at', 'In sync'].map((c) =>
          h('th', { scope: 'col' }, c),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      ...ms.map((m) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, m.machine),
          h('td', {}, m.desired === null ? '(no config)' : revText(m.desired)),
          h(
            'td',
            { title: m.applied?.error ?? '' },
            m.applied === null
              ? '(never reported)'
              : `${revText(m.applied)}${m.applied.status === 'rejected' ? ' — refused' : ''}`,
          ),
          h('td', {}, m.applied === null ? '—' : fmtTime(m.applied.applied_ms)),
          h(
            'td',
            {},
            h('span', { class: `badge ${m.in_sync ? 'ok' : 'off'}` }, m.in_sync ? 'yes' : 'no'),
          ),
        ),
      ),
    ),
  );
}

export const fleetView: View = (root, ctx) => {
  // per-minute rates need a bounded window: "All time" means the last hour here
  const filter =
    ctx.route.filter.range === 'all'
      ? { ...ctx.route.filter, range: '1h' as const }
      : ctx.route.filter;
  const keep = (b: Board): boolean =>
    (!filter.machine || b.machine === filter.machine) &&
    (!filter.component_type || b.component_type === filter.component_type) &&
    (!filter.component_name || b.component_name === filter.component_name);
  let ac = new AbortController();
  const out = h(
    'section',
    { id: 'fleet', 'aria-labelledby': 'fleet-title', 'aria-busy': 'true' },
    h('p', { class: 'muted' }, 'Loading…'),
  );
  render(
    root,
    h('h1', { class: 'sr-only' }, 'Fleet'),
    filterBar(filter, (f) => ctx.navigate('fleet', f), {
      noKind: true,
      noMethod: true,
      noTags: true,
    }),
    h(
      'div',
      { class: 'toolbar' },
      h('h2', { id: 'fleet-title' }, 'Fleet'),
      h(
        'span',
        { class: 'muted' },
        `${describeFilter(filter)} · refreshes every ${REFRESH_MS / 1000} s`,
      ),
    ),
    out,
  );
  const load = (): void => {
    ac = new AbortController();
    const p = filterToApiParams(filter);
    p.delete('kind');
    const rolloutBox = h('div', { id: 'fleet-rollout' });
    fleetMachines(ac.signal)
      .then((ms) => {
        const shown = ms.filter((m) => !filter.machine || m.machine === filter.machine);
        if (shown.length > 0) render(rolloutBox, rolloutTable(shown));
      })
      .catch(() => undefined); // the board table says what failed
    fleet(p, ac.signal)
      .then((all) => {
        const boards = all.filter(keep);
        for (const b of boards)
          if (suggestions.machines.size < 500) suggestions.machines.add(b.machine);
        out.setAttribute('aria-busy', 'false');
        render(
          out,
          boards.length === 0
            ? h('p', { class: 'empty' }, 'No boards have sent data in this range.')
            : table(boards),
          h('p', { class: 'muted', id: 'fleet-counts' }, counts(boards)),
          rolloutBox,
        );
        announce(`${boards.length} boards`);
      })
      .catch((err: unknown) => {
        if (ac.signal.aborted) return;
        out.setAttribute('aria-busy', 'false');
        render(
          out,
          h(
            'p',
            { class: 'error', role: 'alert' },
            `Could not load the fleet: ${err instanceof ApiError ? err.message : String(err)}`,
          ),
        );
      });
  };
  load();
  const timer = setInterval(() => {
    if (!document.hidden) load();
  }, REFRESH_MS);
  return () => {
    clearInterval(timer);
    ac.abort();
  };
};
