/**
 * Metrics for `/metrics`, exposed by prom-client (the registry, the text exposition format and,
 * with `processMetrics`, its default process metrics: CPU, resident memory, heap, GC, open file
 * descriptors and event-loop lag, which Pi operators scrape).
 *
 * wharf code registers families through this thin adapter (`metrics.counter(name, help)`,
 * `metrics.gauge(…)`), takes a labelled child once on hot paths (`counter.labels({...})`) and calls
 * `inc()` on it: a field add, no string building or hashing per increment. The values live here
 * (so tests and benches read them synchronously with `get()`/`total()`); prom-client reads them at
 * scrape time through each family's `collect`.
 */
import { createRequire } from 'node:module';
import type * as Prom from 'prom-client';

/**
 * The four parts of prom-client wharf uses, required one by one: its index also loads the
 * Pushgateway client, which loads `https` and `tls`: +5 MB of RSS on Node 22/24 (OpenSSL set up)
 * for a gateway that never pushes.
 */
const need = createRequire(import.meta.url);
const client = {
  Registry: need('prom-client/lib/registry') as typeof Prom.Registry,
  Counter: need('prom-client/lib/counter') as typeof Prom.Counter,
  Gauge: need('prom-client/lib/gauge') as typeof Prom.Gauge,
  collectDefaultMetrics: need(
    'prom-client/lib/defaultMetrics',
  ) as typeof Prom.collectDefaultMetrics,
};

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
  constructor(readonly labels: Labels) {}
  inc(n = 1): void {
    this.value += n;
  }
  set(v: number): void {
    this.value = v;
  }
}

function labelKey(labels: Labels | undefined): string {
  if (labels === undefined) return '';
  return JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]]),
  );
}

abstract class Family {
  protected readonly children = new Map<string, Child>();
  private labelNames: string[] | undefined;

  constructor(
    protected readonly registry: Prom.Registry,
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge',
    labelNames?: readonly string[],
  ) {
    // Declared label names: the family is on /metrics from the start (a label-less one at 0).
    if (labelNames !== undefined) this.register([...labelNames].sort());
  }

  protected child(labels?: Labels): Child {
    const key = labelKey(labels);
    let c = this.children.get(key);
    if (c === undefined) {
      const names = Object.keys(labels ?? {}).sort();
      if (this.labelNames === undefined) this.register(names);
      else if (names.join() !== this.labelNames.join())
        throw new Error(
          `metric ${this.name}: labels {${names.join()}} differ from {${this.labelNames.join()}}`,
        );
      // labels in name order, as the exposition shows them
      c = new Child(Object.fromEntries(names.map((n) => [n, labels?.[n] ?? ''])));
      this.children.set(key, c);
    }
    return c;
  }

  /**
   * prom-client needs the label names up front: a family declared without them registers with its
   * first child's, so it shows on /metrics from its first use.
   */
  private register(labelNames: string[]): void {
    if (this.labelNames !== undefined) return;
    this.labelNames = labelNames;
    const children = this.children;
    const base = { name: this.name, help: this.help, labelNames, registers: [this.registry] };
    if (this.type === 'counter')
      new client.Counter({
        ...base,
        collect(this: Prom.Counter) {
          collectCounter(this, children);
        },
      });
    else
      new client.Gauge({
        ...base,
        collect(this: Prom.Gauge) {
          collectGauge(this, children);
        },
      });
  }

  /** Current value for these labels (0 if never touched). */
  get(labels?: Labels): number {
    return this.children.get(labelKey(labels))?.value ?? 0;
  }

  /** Sum over every label set. */
  total(): number {
    let s = 0;
    for (const c of this.children.values()) s += c.value;
    return s;
  }
}

function collectCounter(m: Prom.Counter, children: Map<string, Child>): void {
  m.reset();
  for (const c of children.values()) m.inc(c.labels, c.value);
}

function collectGauge(m: Prom.Gauge, children: Map<string, Child>): void {
  for (const c of children.values()) m.set(c.labels, c.value);
}

export class Counter extends Family {
  constructor(registry: Prom.Registry, name: string, help: string, labelNames?: readonly string[]) {
    super(registry, name, help, 'counter', labelNames);
  }
  labels(labels?: Labels): CounterChild {
    return this.child(labels);
  }
  inc(labels?: Labels, n = 1): void {
    this.child(labels).inc(n);
  }
}

export class Gauge extends Family {
  constructor(registry: Prom.Registry, name: string, help: string, labelNames?: readonly string[]) {
    super(registry, name, help, 'gauge', labelNames);
  }
  labels(labels?: Labels): GaugeChild {
    return this.child(labels);
  }
  set(labels: Labels | undefined, v: number): void {
    this.child(labels).set(v);
  }
}

export interface MetricsOptions {
  /**
   * prom-client's default metrics (process_*, nodejs_*: CPU, memory, heap, GC, handles, event-loop
   * lag). On for a process's own registry (the gateway, the cloud); off by default so a library
   * or a test can make as many registries as it likes.
   */
  processMetrics?: boolean;
}

/** A registry of metric families. Asking twice for the same name returns the same family. */
export class Metrics {
  /** The prom-client registry behind it. */
  readonly registry = new client.Registry();
  /** The Content-Type of `render()`'s text. */
  readonly contentType: string = this.registry.contentType;
  private readonly families = new Map<string, Family>();
  private readonly collectors: Array<() => void> = [];

  constructor(o: MetricsOptions = {}) {
    if (o.processMetrics === true) client.collectDefaultMetrics({ register: this.registry });
  }

  /**
   * A counter family. With `labelNames` (`[]` for none) it is on /metrics at once; without, from
   * its first use, with that use's label names.
   */
  counter(name: string, help: string, labelNames?: readonly string[]): Counter {
    return this.family(name, help, Counter, labelNames);
  }

  /** A gauge family; `labelNames` as for `counter()`. */
  gauge(name: string, help: string, labelNames?: readonly string[]): Gauge {
    return this.family(name, help, Gauge, labelNames);
  }

  private family<F extends Family>(
    name: string,
    help: string,
    Kind: new (
      registry: Prom.Registry,
      name: string,
      help: string,
      labelNames?: readonly string[],
    ) => F,
    labelNames: readonly string[] | undefined,
  ): F {
    const f = this.families.get(name);
    if (f !== undefined) {
      if (!(f instanceof Kind)) throw new Error(`metric ${name} already registered as ${f.type}`);
      return f;
    }
    const made = new Kind(this.registry, name, help, labelNames);
    this.families.set(name, made);
    return made;
  }

  /** A function run before each render, to refresh gauges from live state (store stats, ...). */
  onCollect(fn: () => void): void {
    this.collectors.push(fn);
  }

  /** Prometheus text exposition format (prom-client's). */
  async render(): Promise<string> {
    for (const fn of this.collectors) {
      try {
        fn();
      } catch {
        // a failing collector must not break /metrics
      }
    }
    return this.registry.metrics();
  }
}
