/**
 * Tiny Prometheus-style metrics: counters and gauges with labels, rendered as Prometheus text
 * exposition format (version 0.0.4) for `/metrics`. Hot paths take a labelled child once
 * (`counter.labels({...})`) and call `inc()` on it: no string building per increment.
 */
export type Labels = Record<string, string>;

export interface CounterChild {
  inc(n?: number): void;
  readonly value: number;
}

export interface GaugeChild {
  set(v: number): void;
  inc(n?: number): void;
  readonly value: number;
}

class Child {
  value = 0;
  constructor(readonly labelText: string) {}
  inc(n = 1): void {
    this.value += n;
  }
  set(v: number): void {
    this.value = v;
  }
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(labels: Labels | undefined): string {
  if (labels === undefined) return '';
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${escapeLabel(labels[k] ?? '')}"`).join(',')}}`;
}

abstract class Family {
  private readonly children = new Map<string, Child>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge',
  ) {}

  protected child(labels?: Labels): Child {
    const text = labelText(labels);
    let c = this.children.get(text);
    if (c === undefined) {
      c = new Child(text);
      this.children.set(text, c);
    }
    return c;
  }

  /** Current value for these labels (0 if never touched). */
  get(labels?: Labels): number {
    return this.children.get(labelText(labels))?.value ?? 0;
  }

  /** Sum over every label set. */
  total(): number {
    let s = 0;
    for (const c of this.children.values()) s += c.value;
    return s;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const c of this.children.values())
      lines.push(`${this.name}${c.labelText} ${formatValue(c.value)}`);
    return lines.join('\n');
  }
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export class Counter extends Family {
  constructor(name: string, help: string) {
    super(name, help, 'counter');
  }
  labels(labels?: Labels): CounterChild {
    return this.child(labels);
  }
  inc(labels?: Labels, n = 1): void {
    this.child(labels).inc(n);
  }
}

export class Gauge extends Family {
  constructor(name: string, help: string) {
    super(name, help, 'gauge');
  }
  labels(labels?: Labels): GaugeChild {
    return this.child(labels);
  }
  set(labels: Labels | undefined, v: number): void {
    this.child(labels).set(v);
  }
}

/** A registry of metric families. Asking twice for the same name returns the same family. */
export class Metrics {
  private readonly families = new Map<string, Family>();
  private readonly collectors: Array<() => void> = [];

  counter(name: string, help: string): Counter {
    return this.family(name, help, Counter);
  }

  gauge(name: string, help: string): Gauge {
    return this.family(name, help, Gauge);
  }

  private family<F extends Family>(
    name: string,
    help: string,
    Kind: new (name: string, help: string) => F,
  ): F {
    const f = this.families.get(name);
    if (f !== undefined) {
      if (!(f instanceof Kind)) throw new Error(`metric ${name} already registered as ${f.type}`);
      return f;
    }
    const made = new Kind(name, help);
    this.families.set(name, made);
    return made;
  }

  /** A function run before each render, to refresh gauges from live state (store stats, ...). */
  onCollect(fn: () => void): void {
    this.collectors.push(fn);
  }

  /** Prometheus text exposition format. */
  render(): string {
    for (const fn of this.collectors) {
      try {
        fn();
      } catch {
        // a failing collector must not break /metrics
      }
    }
    return `${[...this.families.values()].map((f) => f.render()).join('\n')}\n`;
  }
}
