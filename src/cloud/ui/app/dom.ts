/** A tiny DOM builder: h('tag', {attrs}, ...children). No framework, no innerHTML for data. */
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function')
      el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (k === 'class') el.className = String(v);
    else if (k === 'value' && hasValue(el)) el.value = String(v);
    else if (k === 'checked' && hasChecked(el)) el.checked = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, ...children);
  return el;
}

/** Form controls (input, select, option, textarea, …) have a `value` property to set. */
function hasValue(el: Element): el is Element & { value: string } {
  return 'value' in el;
}

function hasChecked(el: Element): el is Element & { checked: boolean } {
  return 'checked' in el;
}

export function append(el: Element, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(
      typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c,
    );
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.firstChild.remove();
}

/** Replaces the content of `el` with the children. */
export function render(el: Element, ...children: Child[]): void {
  clear(el);
  append(el, ...children);
}

/** Sets a polite live-region message (screen readers hear it; the status bar shows it). */
export function announce(msg: string): void {
  const el = document.getElementById('status');
  if (el) el.textContent = msg;
}
