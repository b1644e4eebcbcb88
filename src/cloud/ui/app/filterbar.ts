/**
 * The filter bar: a labelled <form> (every control has a <label>, natural tab order, Enter applies,
 * Escape in a field resets that field). Applying writes the filter to the URL.
 */
import { h } from './dom.js';
import { RANGE_LABELS, emptyFilter, type Filter, type RangePreset } from './filters.js';
import { fromLocalInput, toLocalInput } from './format.js';

export interface Suggestions {
  machines: Set<string>;
  componentTypes: Set<string>;
  componentNames: Set<string>;
  methods: Set<string>;
  tags: Set<string>;
}

export const suggestions: Suggestions = {
  machines: new Set(),
  componentTypes: new Set(['Analogs', 'Gpio', 'Gpios']),
  componentNames: new Set(),
  methods: new Set(['Analogs', 'Gpio', 'Gpios']),
  tags: new Set(),
};

/** Remember values seen in rows so the filter fields can offer them (bounded). */
export function learn(
  rows: {
    machine: string;
    component_type: string;
    component_name: string;
    method_name: string;
    tags: string[];
  }[],
): void {
  const add = (set: Set<string>, v: unknown): void => {
    if (typeof v === 'string' && v !== '' && set.size < 500) set.add(v);
  };
  for (const r of rows) {
    add(suggestions.machines, r.machine);
    add(suggestions.componentTypes, r.component_type);
    add(suggestions.componentNames, r.component_name);
    add(suggestions.methods, r.method_name);
    for (const t of r.tags ?? []) add(suggestions.tags, t);
  }
}

function datalist(id: string, values: Set<string>): HTMLDataListElement {
  return h('datalist', { id }, ...[...values].sort().map((v) => h('option', { value: v })));
}

function field(id: string, label: string, input: HTMLElement, hint?: string): HTMLElement {
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    input,
    hint ? h('span', { class: 'hint', id: `${id}-hint` }, hint) : null,
  );
}

export interface FilterBarOptions {
  /** Hide the time controls (Live view follows "now"). */
  noTime?: boolean;
  /** Hide the kind selector. */
  noKind?: boolean;
  /** Hide fields the view cannot filter on. */
  noMethod?: boolean;
  noTags?: boolean;
}

export function filterBar(
  current: Filter,
  onApply: (f: Filter) => void,
  opts: FilterBarOptions = {},
): HTMLFormElement {
  const text = (
    id: string,
    name: keyof Filter,
    list: string,
    placeholder: string,
  ): HTMLInputElement =>
    h('input', {
      id,
      name,
      type: 'text',
      list,
      value: String(current[name] ?? ''),
      placeholder,
      autocomplete: 'off',
      spellcheck: 'false',
    });

  const machine = text('f-machine', 'machine', 'dl-machines', 'any machine');
  const ctype = text('f-ctype', 'component_type', 'dl-ctypes', 'any type');
  const cname = text('f-cname', 'component_name', 'dl-cnames', 'any component');
  const method = text('f-method', 'method', 'dl-methods', 'any method');
  const kind = h(
    'select',
    { id: 'f-kind', name: 'kind' },
    h('option', { value: '' }, 'Readings and gaps'),
    h('option', { value: 'reading' }, 'Readings only'),
    h('option', { value: 'gap' }, 'Gaps only'),
  );
  kind.value = current.kind;
  const range = h(
    'select',
    { id: 'f-range', name: 'range', 'aria-controls': 'f-custom' },
    ...(Object.keys(RANGE_LABELS) as RangePreset[]).map((k) =>
      h('option', { value: k }, RANGE_LABELS[k]),
    ),
  );
  range.value = current.range;
  const from = h('input', {
    id: 'f-from',
    name: 'from',
    type: 'datetime-local',
    step: '1',
    value: toLocalInput(current.from),
  });
  const to = h('input', {
    id: 'f-to',
    name: 'to',
    type: 'datetime-local',
    step: '1',
    value: toLocalInput(current.to),
  });
  const custom = h(
    'fieldset',
    { id: 'f-custom', class: 'custom-range' },
    h('legend', {}, 'Custom range (local time)'),
    field('f-from', 'From', from),
    field('f-to', 'To', to),
  );
  custom.hidden = current.range !== 'custom';
  range.addEventListener('change', () => {
    custom.hidden = range.value !== 'custom';
  });
  const tags = h('input', {
    id: 'f-tags',
    name: 'tags',
    type: 'text',
    list: 'dl-tags',
    value: current.tags.join(', '),
    placeholder: 'any tags',
    'aria-describedby': 'f-tags-hint',
  });

  const read = (): Filter => {
    const f = emptyFilter();
    f.part_id = current.part_id;
    f.machine = machine.value.trim();
    f.component_type = ctype.value.trim();
    f.component_name = cname.value.trim();
    f.method = method.value.trim();
    f.kind = opts.noKind ? current.kind : kind.value;
    f.tags = tags.value
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '');
    f.range = opts.noTime ? current.range : (range.value as RangePreset);
    if (f.range === 'custom') {
      f.from = opts.noTime ? current.from : fromLocalInput(from.value);
      f.to = opts.noTime ? current.to : fromLocalInput(to.value);
    }
    return f;
  };

  const form = h(
    'form',
    { class: 'filterbar', role: 'search', 'aria-label': 'Filter readings', novalidate: true },
    datalist('dl-machines', suggestions.machines),
    datalist('dl-ctypes', suggestions.componentTypes),
    datalist('dl-cnames', suggestions.componentNames),
    datalist('dl-methods', suggestions.methods),
    datalist('dl-tags', suggestions.tags),
    field('f-machine', 'Machine', machine),
    field('f-ctype', 'Component type', ctype),
    field('f-cname', 'Component name', cname),
    opts.noMethod ? null : field('f-method', 'Method', method),
    opts.noKind ? null : field('f-kind', 'Kind', kind),
    opts.noTime ? null : field('f-range', 'Time range', range),
    opts.noTime ? null : custom,
    opts.noTags ? null : field('f-tags', 'Tags (any of)', tags, 'comma-separated'),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary', id: 'f-apply' }, 'Apply'),
      h(
        'button',
        { type: 'button', id: 'f-reset', onclick: () => onApply(emptyFilter()) },
        'Reset',
      ),
    ),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = read();
    if (f.range === 'custom' && f.from !== null && f.to !== null && f.from > f.to) {
      to.setCustomValidity('"To" must be after "From"');
      to.reportValidity();
      return;
    }
    to.setCustomValidity('');
    onApply(f);
  });
  form.addEventListener('keydown', (ev) => {
    const t = ev.target;
    if (ev.key === 'Escape' && t instanceof HTMLInputElement && t.value !== '') {
      t.value = '';
      ev.preventDefault();
    }
  });
  return form;
}
