/**
 * The Metrics adapter over prom-client: the families wharf registers come out in Prometheus text
 * format with their labels, hot-path children count, live gauges refresh before each scrape, and a
 * process registry carries prom-client's default process and event-loop-lag metrics.
 */
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/shared/metrics.js';

describe('Metrics (prom-client)', () => {
  it('renders counters and gauges with labels, escaped, in the text format', async () => {
    const m = new Metrics();
    const reads = m.counter('wharf_readings_total', 'Readings written.');
    const child = reads.labels({ method: 'Analogs', board: 'b"1\\x' });
    child.inc();
    child.inc(4);
    reads.inc({ board: 'b2', method: 'Gpio' });
    m.gauge('wharf_board_online', 'Board online.').set({ board: 'b2' }, 1);
    m.counter('wharf_recovered_files_total', 'Recovered files.').inc(undefined, 0);
    const text = await m.render();
    expect(text).toContain('# HELP wharf_readings_total Readings written.');
    expect(text).toMatch(/^# TYPE wharf_readings_total counter$/m);
    expect(text).toContain('wharf_readings_total{board="b\\"1\\\\x",method="Analogs"} 5');
    expect(text).toMatch(/^wharf_readings_total\{board="b2",method="Gpio"\} 1$/m);
    expect(text).toMatch(/^# TYPE wharf_board_online gauge$/m);
    expect(text).toMatch(/^wharf_board_online\{board="b2"\} 1$/m);
    expect(text).toMatch(/^wharf_recovered_files_total 0$/m);
    expect(m.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    // values read back synchronously (tests and benches)
    expect(reads.get({ board: 'b"1\\x', method: 'Analogs' })).toBe(5);
    expect(reads.total()).toBe(6);
    expect(child.value).toBe(5);
  });

  it('the same name is the same family; a name cannot change kind or label names', () => {
    const m = new Metrics();
    expect(m.counter('x_total', 'x')).toBe(m.counter('x_total', 'x'));
    expect(() => m.gauge('x_total', 'x')).toThrow(/already registered as counter/);
    m.counter('x_total', 'x').inc({ a: '1' });
    expect(() => m.counter('x_total', 'x').inc({ b: '1' })).toThrow(/labels/);
  });

  it('refreshes gauges before each scrape and survives a failing collector', async () => {
    const m = new Metrics();
    const g = m.gauge('wharf_store_records_pending', 'Pending.');
    let pending = 3;
    m.onCollect(() => {
      throw new Error('broken collector');
    });
    m.onCollect(() => g.set(undefined, pending));
    expect(await m.render()).toMatch(/^wharf_store_records_pending 3$/m);
    pending = 7;
    expect(await m.render()).toMatch(/^wharf_store_records_pending 7$/m);
  });

  it('a counter scraped twice does not double', async () => {
    const m = new Metrics();
    m.counter('c_total', 'c').inc({ k: 'v' }, 2);
    await m.render();
    expect(await m.render()).toMatch(/^c_total\{k="v"\} 2$/m);
  });

  it('a process registry carries the default process and event-loop-lag metrics', async () => {
    const text = await new Metrics({ processMetrics: true }).render();
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
    expect(await new Metrics().render()).not.toContain('process_cpu');
  });
});

describe('Metrics families registered after a scrape', () => {
  it('a family first used after /metrics was scraped still takes its labels', async () => {
    const m = new Metrics();
    const late = m.counter('wharf_readings_total', 'Readings.');
    expect(await m.render()).not.toContain('wharf_readings_total{');
    late.labels({ board: 'b', method: 'Gpio' }).inc();
    expect(await m.render()).toMatch(/^wharf_readings_total\{board="b",method="Gpio"\} 1$/m);
  });
});

describe('Metrics families with declared label names', () => {
  it('are on /metrics before their first use (label-less ones at 0) and refuse other labels', async () => {
    const m = new Metrics();
    const files = m.counter('wharf_cloud_ingest_files_total', 'Files.', ['status']);
    m.counter('wharf_cloud_auth_failures_total', 'Refused.', []);
    const text = await m.render();
    expect(text).toMatch(/^# TYPE wharf_cloud_ingest_files_total counter$/m);
    expect(text).toMatch(/^wharf_cloud_auth_failures_total 0$/m);
    expect(() => files.inc({ code: 'x' })).toThrow(/labels/);
    files.inc({ status: 'stored' });
    expect(await m.render()).toMatch(/^wharf_cloud_ingest_files_total\{status="stored"\} 1$/m);
  });
});
