import { readFileSync } from 'node:fs';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { finished } from 'node:stream/promises';
const cpu = (pid: number) => { const st = readFileSync(`/proc/${pid}/stat`, 'utf8'); const f = st.slice(st.indexOf(')') + 2).split(' '); return (Number(f[11]) + Number(f[12])) / 100; };
const c = new pg.Client({ host: '/var/run/postgresql', user: 'root', database: 'postgres' });
await c.connect();
await c.query('DROP DATABASE IF EXISTS p14x WITH (FORCE)'); await c.query('CREATE DATABASE p14x'); await c.end();
const d = new pg.Client({ host: '/var/run/postgresql', user: 'root', database: 'p14x' });
await d.connect();
const pid = (await d.query('SELECT pg_backend_pid() AS p')).rows[0].p;
const N = 200000;
const data = JSON.stringify({ A1: { value: 1234, min_range: 0, max_range: 3.3, step_size: 3.3 / 4096 }, A2: { value: 567, min_range: 0, max_range: 3.3, step_size: 3.3 / 4096 } });
const small = JSON.stringify({ A1: { value: 1234 }, A2: { value: 567 } });
const t0 = 1.76e12;
function text(dat: string) { const l: string[] = []; for (let i = 0; i < N; i++) l.push(`${i}\t${i % 500}\t1\treading\t${t0 + i * 10}\t${t0 + i * 10 + 1}\t${dat}\n`); return l.join(''); }
const variants: [string, string, string][] = [
  ['json + 2 idx', 'data JSON', 'CREATE INDEX ON r (time_received, id); CREATE INDEX ON r (stream_id, time_received, id);'],
  ['text + 2 idx', 'data TEXT', 'CREATE INDEX ON r (time_received, id); CREATE INDEX ON r (stream_id, time_received, id);'],
  ['json + 1 idx (stream,time,id)', 'data JSON', 'CREATE INDEX ON r (stream_id, time_received, id);'],
  ['json + brin time + 1 idx', 'data JSON', 'CREATE INDEX ON r USING brin (time_received); CREATE INDEX ON r (stream_id, time_received, id);'],
  ['json no idx', 'data JSON', ''],
  ['small json + 2 idx', 'data JSON', 'CREATE INDEX ON r (time_received, id); CREATE INDEX ON r (stream_id, time_received, id);'],
];
for (const [label, col, idx] of variants) {
  await d.query(`DROP TABLE IF EXISTS r; CREATE SEQUENCE IF NOT EXISTS s; CREATE TABLE r (id BIGINT NOT NULL DEFAULT nextval('s'), file_seq BIGINT NOT NULL, record_index INT NOT NULL, stream_id BIGINT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('reading','gap')), time_requested float8 NOT NULL, time_received float8 NOT NULL, ${col} NOT NULL) PARTITION BY RANGE (time_received); CREATE TABLE r_d PARTITION OF r DEFAULT; ${idx}`);
  const txt = text(label.startsWith('small') ? small : data);
  const c0 = cpu(pid); const w0 = performance.now();
  await d.query('BEGIN');
  const s = d.query(copyStreams.from('COPY r (file_seq, record_index, stream_id, kind, time_requested, time_received, data) FROM STDIN'));
  const done = finished(s); s.end(txt); await done;
  await d.query('COMMIT');
  console.log(`${label.padEnd(32)} pg CPU ${((cpu(pid) - c0) / N * 1e6).toFixed(2)} µs/row, wall ${((performance.now() - w0) / N * 1e3).toFixed(2)} µs/row`);
}
await d.end();
