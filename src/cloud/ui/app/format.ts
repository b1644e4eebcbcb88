/** Formatting helpers for times and reading values. */
import type { Row } from './api.js';

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Local time with milliseconds: 2026-11-23 18:04:05.123 */
export function fmtTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** Value for <input type="datetime-local"> (local time, seconds precision). */
export function toLocalInput(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function fromLocalInput(s: string): number | null {
  if (s === '') return null;
  const ms = new Date(s).getTime();
  return Number.isFinite(ms) ? ms : null;
}

export function fmtAgo(ms: number | null, now = Date.now()): string {
  if (ms === null) return 'never';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${(s / 3600).toFixed(1)} h ago`;
  return `${(s / 86400).toFixed(1)} d ago`;
}

export function fmtNum(n: number | null | undefined, digits = 1): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return Number.isInteger(n)
    ? n.toLocaleString('en-US')
    : n.toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** An analog value in volts beside its raw count: " (1.65 V)"; "" without a range. */
export function volts(o: Record<string, unknown>): string {
  const { value, min_range: min, step_size: step } = o;
  if (typeof value !== 'number' || typeof step !== 'number' || step <= 0) return '';
  const v = (typeof min === 'number' ? min : 0) + value * step;
  return ` (${v.toFixed(step < 0.001 ? 3 : 2)} V)`;
}

/** One-line summary of a row's data: "A0=512 A1=1023", "pin2=high", "gap: read_error ×3". */
export function summarise(row: Row): string {
  const d = row.data ?? {};
  if (row.kind === 'gap') {
    const reason = String((d as Record<string, unknown>).reason ?? 'unknown');
    const count = (d as Record<string, unknown>).count;
    const detail = (d as Record<string, unknown>).detail;
    if (reason === 'rate_change')
      return `rate change${typeof detail === 'string' ? `: ${detail}` : ''}`;
    return `gap: ${reason}${typeof count === 'number' && count > 0 ? ` ×${count}` : ''}`;
  }
  const parts: string[] = [];
  for (const [k, v] of Object.entries(d)) {
    if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if ('value' in o) parts.push(`${k}=${String(o.value)}${volts(o)}`);
      else if ('high' in o) parts.push(`${k}=${o.high ? 'high' : 'low'}`);
      else parts.push(`${k}=${JSON.stringify(v)}`);
    } else parts.push(`${k}=${String(v)}`);
    if (parts.length >= 6) {
      parts.push('…');
      break;
    }
  }
  return parts.join(' ');
}

export function rowKey(r: Row): string {
  if (r.id !== undefined && r.id !== null) return String(r.id);
  return `${r.machine}|${r.part_id}|${r.component_name}|${r.method_name}|${r.kind}|${r.time_requested}|${r.time_received}`;
}
