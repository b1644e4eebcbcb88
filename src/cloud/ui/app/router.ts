/** Hash routing: `#/<view>?<filter params>`. The filter in the URL is the single source of truth. */
import { filterFromParams, filterToParams, type Filter } from './filters.js';

export const VIEWS = ['data', 'charts', 'images', 'fleet', 'live', 'sql'] as const;
export type ViewName = (typeof VIEWS)[number];

export const VIEW_LABELS: Record<ViewName, string> = {
  data: 'Data',
  charts: 'Charts',
  images: 'Images',
  fleet: 'Fleet',
  live: 'Live',
  sql: 'SQL',
};

export interface Route {
  view: ViewName;
  params: URLSearchParams;
  filter: Filter;
}

export function currentRoute(hash = location.hash): Route {
  const m = /^#\/?([a-z]*)\??(.*)$/.exec(hash);
  const name = (m?.[1] ?? '') as ViewName;
  const params = new URLSearchParams(m?.[2] ?? '');
  const view = (VIEWS as readonly string[]).includes(name) ? name : 'data';
  return { view, params, filter: filterFromParams(params) };
}

export function routeHref(
  view: ViewName,
  filter: Filter,
  extra: Record<string, string> = {},
): string {
  const p = filterToParams(filter);
  for (const [k, v] of Object.entries(extra)) if (v !== '') p.set(k, v);
  const q = p.toString();
  return `#/${view}${q ? `?${q}` : ''}`;
}

export function navigate(view: ViewName, filter: Filter, extra: Record<string, string> = {}): void {
  const href = routeHref(view, filter, extra);
  if (location.hash === href) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = href;
}

export interface ViewContext {
  route: Route;
  navigate: typeof navigate;
}

/** A mounted view returns its disposer (stop timers, abort fetches, destroy charts). */
export type View = (root: HTMLElement, ctx: ViewContext) => () => void;
