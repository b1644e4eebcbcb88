/** Entry point: session check, login, navigation and view mounting. */
import { UNAUTHORIZED_EVENT, logout, sessionStatus } from './api.js';
import { announce, h, render } from './dom.js';
import {
  VIEWS,
  VIEW_LABELS,
  currentRoute,
  navigate,
  routeHref,
  type View,
  type ViewName,
} from './router.js';
import { chartsView } from './views/charts.js';
import { dataView } from './views/data.js';
import { fleetView } from './views/fleet.js';
import { imagesView } from './views/images.js';
import { liveView } from './views/live.js';
import { loginView } from './views/login.js';
import { sqlView } from './views/sql.js';

const VIEW_IMPL: Record<ViewName, View> = {
  data: dataView,
  charts: chartsView,
  images: imagesView,
  fleet: fleetView,
  live: liveView,
  sql: sqlView,
};

const main = document.getElementById('main')!;
const nav = document.getElementById('nav')!;
let dispose: () => void = () => undefined;
let authed = false;

function renderNav(active: ViewName): void {
  const { filter } = currentRoute();
  const out = h('button', { type: 'button', id: 'logout', class: 'link' }, 'Sign out');
  out.addEventListener('click', () => {
    void logout().finally(() => showLogin('Signed out.'));
  });
  render(
    nav,
    h(
      'ul',
      {},
      ...VIEWS.map((v) =>
        h(
          'li',
          {},
          h(
            'a',
            {
              href: routeHref(v, filter),
              id: `nav-${v}`,
              'aria-current': v === active ? 'page' : null,
            },
            VIEW_LABELS[v],
          ),
        ),
      ),
    ),
    out,
  );
}

function mountRoute(): void {
  const focusedId = document.activeElement instanceof HTMLElement ? document.activeElement.id : '';
  dispose();
  const route = currentRoute();
  renderNav(route.view);
  document.title = `${VIEW_LABELS[route.view]} · wharf`;
  document.body.dataset.view = route.view;
  dispose = VIEW_IMPL[route.view](main, { route, navigate });
  // keep keyboard users where they were (e.g. on Apply) when the view re-renders
  const again = focusedId ? document.getElementById(focusedId) : null;
  if (again && main.contains(again)) again.focus();
}

function showLogin(reason?: string): void {
  dispose();
  dispose = () => undefined;
  authed = false;
  document.body.dataset.auth = 'out';
  nav.hidden = true;
  loginView(main, () => void start(), reason);
}

async function start(): Promise<void> {
  if (await sessionStatus()) {
    authed = true;
    document.body.dataset.auth = 'in';
    nav.hidden = false;
    mountRoute();
    announce('Signed in');
  } else {
    showLogin();
  }
}

window.addEventListener('hashchange', () => {
  if (authed) mountRoute();
});
window.addEventListener(UNAUTHORIZED_EVENT, () => {
  if (authed) showLogin('Your session has ended; sign in again.');
});
document.querySelector('a.skip')?.addEventListener('click', (ev) => {
  ev.preventDefault();
  main.focus();
});
void start();
