/**
 * `wharf config explain`: the resolved plan as a table (and as JSON rows).
 *
 * Extension point: a column is `{header, value(row), align?}`. `explainPlan(plan, {columns})`
 * renders any list of columns; pass `[...DEFAULT_COLUMNS, myColumn]` to add one (the boards layer
 * adds its link-budget column this way). `explainRows` gives the same data for `--json`, with any
 * extra columns' values under `extra[header]`.
 */
import type { CapturePlan, PlanEntry, BoardSpec, OffMethod } from './plan.js';
import { dialInNote, hideUserinfo } from './address.js';
import { CAMERA_TRANSPORT, cameraOf, cameraReach, estimatedImageBytes } from './cameras.js';
import { SENSOR_TRANSPORT } from './sensors.js';

/**
 * Estimated bytes on disk per reading (one reader or pin value in one record), used for the
 * "bytes/s" column. A rough figure for cbor-x records with their frame; measure real files with
 * `wharf data stats`.
 */
export const ESTIMATED_BYTES_PER_READING_RECORD = 40;

export interface ExplainRow {
  board: string;
  transport: string;
  resource: string;
  method: string;
  hz: number;
  readers: string[];
  /** Readings per second: hz × max(1, readers). */
  readings_per_s: number;
  /** readings_per_s × ESTIMATED_BYTES_PER_READING_RECORD. */
  bytes_per_s: number;
  /** Scheduled: the method is supported, the board is reachable, capture is not disabled. */
  scheduled: boolean;
  /** Why it is not scheduled (empty when it is). */
  note: string;
  /** True for a method that is off in the config (`"disabled": true` or 0 Hz): note says which. */
  disabled?: boolean;
  tags: string[];
  key: string;
  /** Values of extra columns, by header. */
  extra?: Record<string, string>;
}

export interface ExplainContext {
  entry: PlanEntry;
  board: BoardSpec | undefined;
  plan: CapturePlan;
  row: ExplainRow;
}

export interface ExplainColumn {
  header: string;
  value: (ctx: ExplainContext) => string;
  align?: 'left' | 'right';
}

export function expectedBytesPerSecond(entry: Pick<PlanEntry, 'hz' | 'readers'>): number {
  return entry.hz * Math.max(1, entry.readers.length) * ESTIMATED_BYTES_PER_READING_RECORD;
}

/** Bytes/s of an entry: images (camera entries) by their estimated size, readings by count. */
function entryBytesPerSecond(plan: CapturePlan, entry: PlanEntry): number {
  // the gateway health sensor: 8 named values per reading
  if (entry.component_type === 'sensor' && plan.sensors?.some((c) => c.id === entry.boardId))
    return entry.hz * 8 * ESTIMATED_BYTES_PER_READING_RECORD;
  const cam = cameraOf(plan.cameras, entry);
  if (cam === undefined) return expectedBytesPerSecond(entry);
  return entry.hz * estimatedImageBytes(cam, String(entry.additional_params.mime_type));
}

function baseRow(plan: CapturePlan, entry: PlanEntry, board: BoardSpec | undefined): ExplainRow {
  const camera = cameraOf(plan.cameras, entry) !== undefined;
  const sensor = plan.sensors?.some((c) => c.id === entry.boardId) === true;
  const transport =
    board?.transport ?? (camera ? CAMERA_TRANSPORT : sensor ? SENSOR_TRANSPORT : 'none');
  let note = '';
  if (!entry.supported) {
    if (board === undefined)
      note = entry.component_type === 'board' ? 'no board' : 'method not supported';
    else if (board.transport === 'unsupported') note = 'board not reachable';
    else note = 'method not supported';
  } else if (plan.dataManager.capture_disabled) note = 'capture_disabled';
  const readings = entry.hz * Math.max(1, entry.readers.length);
  return {
    board: entry.boardId,
    transport,
    resource: entry.resource,
    method: entry.method,
    hz: entry.hz,
    readers: entry.readers,
    readings_per_s: readings,
    bytes_per_s: entryBytesPerSecond(plan, entry),
    scheduled: note === '',
    note,
    tags: entry.tags,
    key: entry.key,
  };
}

export function formatHz(hz: number): string {
  return Number.isInteger(hz) ? String(hz) : String(Number(hz.toPrecision(4)));
}

export function formatBytesPerSecond(b: number): string {
  if (b < 1024) return `${Number(b.toPrecision(3))} B/s`;
  if (b < 1024 * 1024) return `${Number((b / 1024).toPrecision(3))} KiB/s`;
  return `${Number((b / 1024 / 1024).toPrecision(3))} MiB/s`;
}

export const DEFAULT_COLUMNS: ExplainColumn[] = [
  { header: 'board', value: ({ row }) => row.board },
  { header: 'transport', value: ({ row }) => row.transport },
  { header: 'resource', value: ({ row }) => row.resource },
  { header: 'method', value: ({ row }) => row.method },
  { header: 'Hz', value: ({ row }) => formatHz(row.hz), align: 'right' },
  {
    header: 'readers/pins',
    value: ({ row }) => (row.readers.length > 0 ? row.readers.join(',') : '-'),
  },
  { header: 'bytes/s', value: ({ row }) => formatBytesPerSecond(row.bytes_per_s), align: 'right' },
  { header: 'status', value: ({ row }) => (row.scheduled ? 'capture' : `off: ${row.note}`) },
];

/** A method that is off, as an entry-shaped row source (never scheduled). */
function offEntry(o: OffMethod): PlanEntry {
  return {
    key: o.path,
    boardId: o.boardId,
    component_type: '',
    component_name: '',
    resource: o.resource,
    method: o.method,
    readers: [],
    hz: o.hz,
    additional_params: {},
    tags: [],
    supported: false,
  };
}

function contexts(plan: CapturePlan, columns: readonly ExplainColumn[]): ExplainContext[] {
  const boards = new Map(plan.boards.map((b) => [b.id, b]));
  const offs = (plan.off ?? []).map((o) => ({ entry: offEntry(o), off: o }));
  const all = [...plan.entries.map((entry) => ({ entry, off: undefined })), ...offs];
  return all.map(({ entry, off }) => {
    const board = boards.get(entry.boardId);
    const row = baseRow(plan, entry, board);
    if (off !== undefined) {
      row.note = off.reason;
      row.scheduled = false;
      row.readings_per_s = 0;
      row.bytes_per_s = 0;
      row.disabled = true;
    }
    const ctx: ExplainContext = { entry, board, plan, row };
    const extra = columns.filter((c) => !DEFAULT_COLUMNS.includes(c));
    if (extra.length > 0)
      row.extra = Object.fromEntries(extra.map((c) => [c.header, c.value(ctx)]));
    return ctx;
  });
}

/** Machine-readable explain output (`wharf config explain --json`). Secrets are never included. */
export function explainRows(
  plan: CapturePlan,
  opts: { columns?: readonly ExplainColumn[] } = {},
): ExplainRow[] {
  return contexts(plan, opts.columns ?? DEFAULT_COLUMNS).map((c) => c.row);
}

export function explainJson(plan: CapturePlan, opts: { columns?: readonly ExplainColumn[] } = {}) {
  const rows = explainRows(plan, opts);
  return {
    machine: plan.machine,
    part_id: plan.part_id,
    capture_dir: plan.dataManager.capture_dir,
    boards: plan.boards.map((b) => ({
      id: b.id,
      address: hideUserinfo(b.address),
      transport: b.transport,
      ...(b.dial_in === undefined ? {} : { dial_in: hideUserinfo(b.dial_in) }),
      components: b.components,
    })),
    entries: rows,
    cameras: cameraLines(plan, rows).map(({ id, reached, bytes_per_s }) => ({
      id,
      reached,
      bytes_per_s,
    })),
    total_bytes_per_s: rows.filter((r) => r.scheduled).reduce((s, r) => s + r.bytes_per_s, 0),
    warnings: plan.warnings,
  };
}

/** How each camera with scheduled entries is reached, and the bytes/s its images need. */
function cameraLines(
  plan: CapturePlan,
  rows: readonly ExplainRow[],
): { id: string; reached: string; bytes_per_s: number; text: string }[] {
  return (plan.cameras ?? []).flatMap((cam) => {
    const mine = plan.entries.filter((e) => cameraOf([cam], e) !== undefined).map((e) => e.key);
    const scheduled = rows.filter((r) => r.scheduled && mine.includes(r.key));
    if (scheduled.length === 0) return [];
    const bytes = scheduled.reduce((s, r) => s + r.bytes_per_s, 0);
    const reached = cameraReach(cam);
    const net = cam.remote !== undefined ? ' over the network' : '';
    return [
      {
        id: cam.id,
        reached,
        bytes_per_s: bytes,
        text: `camera ${cam.id}: ${reached}; ≈ ${formatBytesPerSecond(bytes)}${net}`,
      },
    ];
  });
}

function syncText(plan: CapturePlan): string {
  const s = plan.gateway.sync;
  if (plan.dataManager.sync_disabled) return 'disabled';
  if (s === null) return 'off (no wharf.sync target: files stay in the capture dir)';
  const where = s.kind === 'cloud' ? hideUserinfo(s.url) : s.path;
  return `to ${where} every ${formatHz(plan.dataManager.sync_interval_mins)} min`;
}

/** The plan as a readable table, with a header and a total line. */
export function explainPlan(
  plan: CapturePlan,
  opts: { columns?: readonly ExplainColumn[] } = {},
): string {
  const columns = opts.columns ?? DEFAULT_COLUMNS;
  const ctxs = contexts(plan, columns);
  const cells = ctxs.map((ctx) => columns.map((c) => c.value(ctx)));
  const widths = columns.map((c, i) =>
    Math.max(c.header.length, ...cells.map((r) => (r[i] ?? '').length)),
  );
  const fmt = (vals: readonly string[]) =>
    vals
      .map((v, i) =>
        columns[i]?.align === 'right' ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd();
  const lines: string[] = [];
  lines.push(
    `machine ${plan.machine}, part ${plan.part_id}; capture dir ${plan.dataManager.capture_dir}`,
  );
  lines.push(
    `flush every ${plan.dataManager.flush_interval_ms} ms; sync ${syncText(plan)}` +
      (plan.dataManager.capture_disabled ? '; CAPTURE DISABLED' : ''),
  );
  lines.push('');
  if (ctxs.length === 0) {
    lines.push('no capture methods configured');
  } else {
    lines.push(fmt(columns.map((c) => c.header)));
    lines.push(fmt(widths.map((w) => '-'.repeat(w))));
    for (const r of cells) lines.push(fmt(r));
  }
  const dialIns = plan.boards.filter((b) => b.dial_in !== undefined);
  if (dialIns.length > 0) lines.push('');
  for (const b of dialIns) lines.push(dialInNote(b.id, b.dial_in ?? ''));
  const cams = cameraLines(
    plan,
    ctxs.map((c) => c.row),
  );
  if (cams.length > 0) lines.push('');
  for (const c of cams) lines.push(c.text);
  const scheduled = ctxs.filter((c) => c.row.scheduled);
  const total = scheduled.reduce((s, c) => s + c.row.bytes_per_s, 0);
  const readings = scheduled.reduce((s, c) => s + c.row.readings_per_s, 0);
  lines.push('');
  lines.push(
    `${plan.boards.length} board(s), ${ctxs.length} entr${ctxs.length === 1 ? 'y' : 'ies'} (${scheduled.length} captured): ` +
      `${formatHz(readings)} readings/s ≈ ${formatBytesPerSecond(total)} (estimate: ${ESTIMATED_BYTES_PER_READING_RECORD} bytes per reading${(plan.cameras?.length ?? 0) > 0 ? '; images: about 0.15 byte/pixel JPEG, 1.5 PNG, 640×480 unless sized' : ''})`,
  );
  return lines.join('\n') + '\n';
}
