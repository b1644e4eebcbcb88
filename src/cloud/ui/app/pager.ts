/**
 * Cursor paging shared by the Data and Images views: "⇤ Newest", "← Newer" (the cursors of the
 * pages before this one are kept on a stack, so Newer steps back) and "Older →" (the API's
 * next_cursor). The stack resets when the view's parameters other than the cursor change.
 */
import { h } from './dom.js';

export class CursorPager {
  private stack: string[] = [];
  private key = '';

  /** `idPrefix` names the buttons: `${idPrefix}-first`, `-newer`, `-older`. */
  constructor(private readonly idPrefix: string) {}

  /** At each render of the view: the current cursor ('' = the newest page). */
  enter(params: URLSearchParams): string {
    const cursor = params.get('cursor') ?? '';
    const rest = new URLSearchParams(params);
    rest.delete('cursor');
    const key = rest.toString();
    if (key !== this.key || cursor === '') {
      this.stack = [];
      this.key = key;
    }
    return cursor;
  }

  /** The pager of the page at `cursor`; `go(c)` shows the page at cursor c ('' = newest). */
  nav(cursor: string, next: string | null | undefined, go: (c: string) => void): HTMLElement {
    const id = this.idPrefix;
    const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
    const button = (suffix: string, label: string, onclick: () => void) =>
      h('button', { type: 'button', id: `${id}-${suffix}`, onclick }, label);
    if (cursor) {
      pager.append(button('first', '⇤ Newest', () => go('')));
      if (this.stack.length > 0) {
        const prev = this.stack[this.stack.length - 1]!;
        pager.append(
          button('newer', '← Newer', () => {
            this.stack.pop();
            go(prev);
          }),
        );
      }
    }
    if (next) {
      pager.append(
        button('older', 'Older →', () => {
          this.stack.push(cursor);
          go(next);
        }),
      );
    }
    return pager;
  }
}
