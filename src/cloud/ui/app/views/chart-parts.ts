/** Chart building blocks: grouping lines per component, gap shading and hover, breaks at gaps, time ticks. */
import type uPlot from 'uplot';
import type { GapSpan, SeriesLine } from '../api.js';
import { fmtTime } from '../format.js';

export const GAP_FILL = 'rgba(220, 60, 40, 0.16)';
export const GAP_EDGE = 'rgba(220, 60, 40, 0.55)';

export interface Group {
  title: string;
  machine: string;
  component: string;
  kind: 'analog' | 'gpio';
  lines: SeriesLine[];
  gaps: GapSpan[];
}

export function groupLines(lines: SeriesLine[], gaps: GapSpan[]): Group[] {
  const groups = new Map<string, Group>();
  for (const l of lines) {
    const id = `${l.machine}\u0000${l.component_name}\u0000${l.kind}`;
    let g = groups.get(id);
    if (!g) {
      g = {
        title: `${l.machine} / ${l.component_name}`,
        machine: l.machine,
        component: l.component_name,
        kind: l.kind,
        lines: [],
        gaps: [],
      };
      groups.set(id, g);
    }
    g.lines.push(l);
  }
  for (const g of groups.values()) {
    g.gaps = gaps.filter(
      (s) => s.machine === g.machine && (s.component_name === g.component || !s.component_name),
    );
  }
  return [...groups.values()];
}

/** Draws gap spans under the lines and shows the reason of the span under the cursor. */
export function gapPlugin(gaps: GapSpan[], tip: HTMLElement): uPlot.Plugin {
  return {
    hooks: {
      drawClear: (u: uPlot) => {
        const ctx = u.ctx;
        ctx.save();
        for (const g of gaps) {
          const x0 = u.valToPos(g.start, 'x', true);
          const x1 = u.valToPos(g.end, 'x', true);
          const left = Math.max(u.bbox.left, Math.min(x0, x1));
          const right = Math.min(u.bbox.left + u.bbox.width, Math.max(x0, x1));
          if (right < u.bbox.left || left > u.bbox.left + u.bbox.width) continue;
          const w = Math.max(2, right - left);
          ctx.fillStyle = GAP_FILL;
          ctx.fillRect(left, u.bbox.top, w, u.bbox.height);
          ctx.fillStyle = GAP_EDGE;
          ctx.fillRect(left, u.bbox.top, 1, u.bbox.height);
        }
        ctx.restore();
      },
      setCursor: (u: uPlot) => {
        const left = u.cursor.left;
        if (left === undefined || left < 0) {
          tip.hidden = true;
          return;
        }
        const t = u.posToVal(left, 'x');
        const slack = u.posToVal(left + 3, 'x') - t || 0;
        const hit = gaps.find(
          (g) => t >= Math.min(g.start, g.end) - slack && t <= Math.max(g.start, g.end) + slack,
        );
        if (!hit) {
          tip.hidden = true;
          return;
        }
        tip.textContent = `Gap: ${hit.reason}${hit.count ? ` · ${hit.count} missing` : ''} · ${fmtTime(hit.start)} → ${fmtTime(hit.end)}${hit.detail ? ` · ${hit.detail}` : ''}`;
        tip.style.left = `${Math.min(left + 12, u.over.clientWidth - 220)}px`;
        tip.style.top = `${(u.cursor.top ?? 0) + 12}px`;
        tip.hidden = false;
      },
    },
  };
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Local-time tick labels sized to the tick spacing; the first tick also carries the date. */
export function timeTicks(
  _u: uPlot,
  ticks: number[],
  _space: number,
  _axis: number,
  incr: number,
): string[] {
  return ticks.map((t, i) => {
    const d = new Date(t);
    const date = `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
    if (incr >= 86_400_000) return date;
    const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
    const time =
      incr >= 60_000
        ? hm
        : incr >= 1000
          ? `${hm}:${pad2(d.getSeconds())}`
          : `${hm}:${pad2(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
    return i === 0 || (d.getHours() === 0 && d.getMinutes() === 0 && incr >= 60_000)
      ? `${date}\n${time}`
      : time;
  });
}

/**
 * A line's points with a null in the middle of every gap it crosses, so the line breaks there
 * instead of drawing a straight segment over missing readings (uPlot: null = break, undefined =
 * alignment artifact of uPlot.join, spanned).
 */
export function breakAtGaps(
  t: number[],
  v: (number | null)[],
  gaps: GapSpan[],
): [number[], (number | null)[]] {
  if (gaps.length === 0 || t.length < 2) return [t, v];
  const first = t[0]!;
  const last = t[t.length - 1]!;
  const mids = gaps
    .map((g) => (Math.min(g.start, g.end) + Math.max(g.start, g.end)) / 2)
    .filter((m) => m > first && m < last)
    .sort((a, b) => a - b);
  if (mids.length === 0) return [t, v];
  const tt: number[] = [];
  const vv: (number | null)[] = [];
  let j = 0;
  for (let i = 0; i < t.length; i++) {
    while (j < mids.length && mids[j]! < t[i]!) {
      if (tt.length === 0 || tt[tt.length - 1] !== mids[j]) {
        tt.push(mids[j]!);
        vv.push(null);
      }
      j++;
    }
    tt.push(t[i]!);
    vv.push(v[i] ?? null);
  }
  return [tt, vv];
}
