import { describe, expect, it } from 'vitest';
import {
  checkLinkBudget,
  linkBudget,
  protocolEntryBytes,
} from '../../../src/boards/link-budget.js';
import type { CapturePlan, PlanEntry } from '../../../src/config/plan.js';
import { isWharfError } from '../../../src/shared/errors.js';

function plan(
  address: string,
  transport: string,
  entries: { hz: number; readers: string[]; method?: string }[],
): CapturePlan {
  const es: PlanEntry[] = entries.map((e, i) => ({
    key: `b1/board/x/${e.method ?? 'Analogs'}/${i}`,
    boardId: 'b1',
    component_type: 'board',
    component_name: 'x',
    resource: 'rdk:component:board/x',
    method: e.method ?? 'Analogs',
    readers: e.readers,
    hz: e.hz,
    additional_params: {},
    tags: [],
    supported: true,
  }));
  return {
    boards: [{ id: 'b1', address, transport, components: [] }],
    entries: es,
  } as unknown as CapturePlan;
}

describe('link budget', () => {
  it('serial at 115200 carries 11520 B/s: 200 Hz × 2 readers fits, 1000 Hz × 4 readers is refused with the numbers', () => {
    const ok = linkBudget(
      plan('serial:///dev/ttyUSB0?baud=115200', 'serial', [{ hz: 200, readers: ['A1', 'A2'] }]),
    )[0]!;
    expect(ok.capacity).toBe(11520);
    expect(ok.level).toBe('ok');
    const p = plan('serial:///dev/ttyUSB0?baud=115200', 'serial', [
      { hz: 1000, readers: ['A1', 'A2', 'A3', 'A4'] },
    ]);
    expect(linkBudget(p)[0]!.level).toBe('over');
    try {
      checkLinkBudget(p);
      throw new Error('expected a refusal');
    } catch (err) {
      expect(isWharfError(err, 'BOARD_LINK_BUDGET')).toBe(true);
      expect((err as Error).message).toMatch(
        /board b1: plan needs 2\d\.\d kB\/s; serial at 115200 baud carries 11\.5 kB\/s → \d+% — impossible/,
      );
    }
  });

  it('warns above 70% and the baud rate in the address counts', () => {
    // find a rate that lands between 70% and 100% of 9600 baud (960 B/s)
    const p = plan('serial:///dev/ttyUSB0?baud=9600', 'serial', [{ hz: 30, readers: ['A1'] }]);
    const b = linkBudget(p)[0]!;
    expect(b.capacity).toBe(960);
    expect(b.demand).toBeCloseTo(protocolEntryBytes({ hz: 30, readers: ['A1'] }).bytesPerS);
    expect(b.ratio).toBeGreaterThan(0.7);
    expect(b.ratio).toBeLessThan(1);
    expect(checkLinkBudget(p).map((w) => w.board)).toEqual(['b1']);
  });

  it('rates above what the transport can sample are flagged: Firmata, sim (maxhz), firmware boards', () => {
    expect(
      linkBudget(plan('firmata:///dev/ttyACM0', 'firmata', [{ hz: 500, readers: ['A0'] }]))[0]!
        .level,
    ).toBe('over');
    expect(
      linkBudget(plan('firmata:///dev/ttyACM0', 'firmata', [{ hz: 50, readers: ['A0', 'A1'] }]))[0]!
        .level,
    ).toBe('ok');
    // sim links carry any number of bytes, but the sim board samples at most maxhz (default 1000)
    expect(linkBudget(plan('sim://b1', 'sim', [{ hz: 1000, readers: ['A1'] }]))[0]!.level).toBe(
      'ok',
    );
    const sim = linkBudget(plan('sim://b1', 'sim', [{ hz: 100000, readers: ['A1'] }]))[0]!;
    expect(sim.level).toBe('over');
    expect(sim.message).toMatch(/at most 1000 Hz .*Analogs at 100000 Hz is asked/);
    expect(
      linkBudget(plan('mqtt://b1', 'mqtt', [{ hz: 2500, readers: ['A1'] }]), {
        mqttBytesPerS: 1e9,
      })[0]!.level,
    ).toBe('over');
  });
});
