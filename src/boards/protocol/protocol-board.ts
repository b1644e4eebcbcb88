/**
 * A Board that speaks wire protocol v1 (docs/protocol.md) over any frame link: the serial and MQTT
 * transports are this class plus a Connector.
 *
 * connect(): open → hello/hi (version check) → cfg (hardware config; the answer gives the analog
 * ranges and accepted pins) → N pings (clock mapping) → online. Pings continue every
 * `pingIntervalMs` for drift tracking; `maxMissedPings` unanswered in a row take the link down.
 * Streamed batches are mapped to gateway time and emitted with the board's sequence number (the
 * capture engine derives sequence gaps and drops duplicates). An unsolicited `hi`, or a board clock
 * stepping backwards, is a reboot: a `board_reboot` gap, clock mapping reset, `cfg` and the current
 * plan re-sent. A reconnect to the same, not restarted board is a rejoin: the clock mapping and the
 * running plan are kept, so the backlog the board drains during the handshake is delivered.
 *
 * Parts: protocol-link.ts (open, offline, reconnect), frame-router.ts (which frame goes where),
 * protocol-options.ts (tunables), handshake.ts (hello, cfg), clock-sync.ts (pings),
 * request-channel.ts (request/answer), stream-intake.ts (batches, gaps).
 */
import type {
  Board,
  BoardHardwareConfig,
  BoardSensor,
  BoardIdentity,
  CaptureMethod,
  ReadOptions,
  SamplingEntry,
} from '../board.js';
import type { Clock } from '../../shared/clock.js';
import { WharfError, errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { ReadingData } from '../../shared/record.js';
import { askCfg, askHello } from './handshake.js';
import type { Connector } from './link.js';
import { ProtocolLink, type ProtocolBoardOptions } from './protocol-link.js';
import { toReadingData } from './values.js';
import { layoutOf, sensorData, wireMethod, type SensorField } from './sensor-values.js';
import { WIRE } from './wire.js';

export type { ProtocolBoardOptions } from './protocol-link.js';

export class ProtocolBoard extends ProtocolLink implements Board {
  /** Boot id the board reported in its last `hi` (firmware extension). */
  private bootId: string | undefined;
  /** Board-side sensors the board accepted in `cfg` (by name), and why it refused the others. */
  private sensors = new Map<string, BoardSensor>();
  private refusedSensors = new Map<string, string>();
  constructor(
    id: string,
    hardware: BoardHardwareConfig,
    connector: Connector,
    clock: Clock,
    logger?: Logger,
    opts: ProtocolBoardOptions = {},
  ) {
    super(id, hardware, connector, clock, logger, opts);
  }

  async configure(entries: SamplingEntry[]): Promise<void> {
    const ident = this.requireOnline();
    // a sensor's Readings carry its named values; a polled one the board refused fails per read
    // (a read_error gap saying why), a streamed one refuses the plan like an unknown reader
    const streamed = entries
      .filter((e) => e.mode === 'streamed')
      .map((e) => (e.method === 'Readings' ? { ...e, layout: this.layout(e.readers) } : e));
    for (const e of entries)
      if (e.method !== 'Readings' || e.mode === 'streamed') this.checkReaders(e.method, e.readers);
    for (const e of streamed) {
      if (!ident.capabilities.streamed)
        throw new WharfError(
          'BOARD_UNSUPPORTED',
          `board ${this.id} cannot stream (its firmware reports st=0); use polled mode for ${e.key}`,
        );
      if (e.hz > ident.capabilities.maxHz)
        throw new WharfError(
          'BOARD_UNSUPPORTED',
          `board ${this.id}: ${e.key} at ${e.hz} Hz exceeds the board's maximum ${ident.capabilities.maxHz} Hz`,
        );
    }
    // After a gateway restart the board may run this plan already (keys of the previous process):
    // take it over, so the backlog keyed by it is delivered.
    if (this.intake.adoptOffered(streamed, this.o.batchMs)) return;
    // After a rejoin the board still runs this very plan: keep it (and its sequence numbers).
    if (await this.intake.keepsPlan(streamed, this.o.batchMs)) return;
    await this.sendNewPlan(streamed);
  }

  async read(method: CaptureMethod, readers: string[], opts: ReadOptions): Promise<ReadingData> {
    this.requireOnline();
    this.checkReaders(method, readers);
    const f = await this.request({ t: 'read', m: wireMethod(method), r: readers }, opts.timeoutMs);
    if (f.t !== WIRE.val)
      throw new WharfError(
        'BOARD_PROTOCOL',
        `board ${this.id}: answer to read was '${f.t}', expected 'val'`,
      );
    this.noteClk(f.clk);
    if (this.clockMap.synced) opts.sampled?.(this.clockMap.toGateway(f.clk));
    if (method === 'Readings') {
      const data = sensorData(this.layout(readers), f.v);
      if (data === undefined)
        throw new WharfError(
          'BOARD_PROTOCOL',
          `board ${this.id}: read of sensors ${readers.join(', ')} answered ${f.v.length} values`,
        );
      return data;
    }
    if (f.v.length !== readers.length)
      throw new WharfError(
        'BOARD_PROTOCOL',
        `board ${this.id}: read of ${readers.length} readers answered ${f.v.length} values`,
      );
    return toReadingData(method, readers, f.v, this.ranges);
  }

  // --- conversation -------------------------------------------------------------------------

  protected async handshake(): Promise<BoardIdentity> {
    const who = `board ${this.id} (${this.connector.where})`;
    this.intake.awaitHi();
    const hi = await askHello(
      (r, signal) => this.request(r, this.o.requestTimeoutMs, signal),
      this.o.helloAttempts,
      who,
      this.lt(),
      (fn) => this.router.onAnnounce(fn),
    );
    if (hi.bid !== this.id)
      this.logger.warn(
        { board: this.id, reported: hi.bid, where: this.connector.where },
        'board reports a different id than configured; data is recorded under the configured id',
      );
    const known = this.identityValue !== undefined && this.clockMap.synced;
    // Same run of the board: the same boot id (when it reports one) and a clock that continues.
    const sameBoot = hi.bt === undefined || this.bootId === undefined || hi.bt === this.bootId;
    const rejoin = known && sameBoot && !this.clockMap.isStep(hi.clk);
    if (hi.bt !== undefined) this.bootId = hi.bt;
    if (known && !rejoin) {
      this.stats.reboots++;
      for (const g of this.intake.decoder.rebootGaps(
        this.clock.now(),
        `board restarted while the link was down (clk ${hi.clk} ms)`,
      ))
        this.safeEmit('gap', g);
    }
    if (!rejoin) this.clockMap.reset();
    this.clockMap.see(hi.clk);
    // A board this gateway process never saw that runs a plan: it kept sampling while the gateway
    // was restarting. Its plan (and the backlog keyed by it) may be taken over in configure().
    this.intake.setResendable(hi.caps.rs === 1);
    // (also on a rejoin, when the link dropped before configure() decided on the plan offered)
    this.intake.reconnected(
      rejoin,
      (!known || (rejoin && this.intake.offering)) && hi.pl !== undefined
        ? { pl: hi.pl, ...(hi.bms === undefined ? {} : { bms: hi.bms }) }
        : undefined,
    );
    await this.sendCfg();
    // A rejoin keeps its mapping; one exchange refreshes it (a pong may wait behind the backlog).
    // A board that kept running while the gateway restarted (it reports a plan) drains its backlog
    // now: a pong stuck behind it is skipped and another ping sent, instead of failing the handshake.
    const draining = rejoin || (!known && hi.pl !== undefined && hi.pl.length > 0);
    await this.sync.sync(rejoin ? 1 : this.o.syncPings, !rejoin, draining);
    this.intake.synced();
    const caps = {
      analogs: [...this.ranges.keys()],
      pins: [...this.pins],
      maxHz: hi.caps.hz,
      streamed: hi.caps.st === 1,
      sensors: [...this.sensors.keys()],
    };
    return { boardId: this.id, firmware: hi.fw, protocol: hi.v, capabilities: caps };
  }

  private async sendCfg(): Promise<void> {
    const r = await askCfg(
      (q) => this.request(q, this.o.requestTimeoutMs),
      this.hardware,
      this.lt(),
    );
    if (r.refused.length > 0)
      this.logger.warn(
        { board: this.id, refused: r.refused },
        'board refused part of its board config (readers/pins it cannot sample); check the pins in the remote part config',
      );
    this.ranges = r.ranges;
    this.pins = r.pins;
    this.sensors = new Map(
      (this.hardware.sensors ?? []).filter((s) => r.sensors.has(s.name)).map((s) => [s.name, s]),
    );
    this.refusedSensors = new Map();
    for (const x of r.refused)
      if (Array.isArray(x) && typeof x[0] === 'string')
        this.refusedSensors.set(x[0], x.slice(1).map(String).join(': '));
  }

  /** The named values of a sample of these (checked) sensors. */
  private layout(readers: string[]): SensorField[] {
    const l = layoutOf(readers, this.sensors);
    return typeof l === 'string' ? [] : l;
  }

  /** A new plan generation (new keys, the board numbers batches from 0). */
  protected async sendNewPlan(streamed: SamplingEntry[]): Promise<void> {
    this.intake.decoder.setPlan(streamed);
    await this.sendPlan();
  }

  private async sendPlan(): Promise<void> {
    await this.request(
      { ...this.intake.decoder.planFrame(this.o.batchMs), ...this.lt() },
      this.o.requestTimeoutMs,
    );
  }

  private lt(): { lt?: number } {
    return this.o.linkTimeoutMs > 0 ? { lt: this.o.linkTimeoutMs } : {};
  }

  protected reboot(why: string): void {
    if (this.rebooting || this.stateValue !== 'online') return;
    this.rebooting = true;
    this.stats.reboots++;
    const now = this.clock.now();
    this.logger.warn(
      { board: this.id, where: this.connector.where, why },
      'board rebooted; re-sending config and plan',
    );
    for (const g of this.intake.decoder.rebootGaps(now, why)) this.safeEmit('gap', g);
    this.clockMap.reset();
    void (async () => {
      try {
        await this.sendCfg();
        await this.sync.sync(this.o.syncPings, true);
        this.intake.synced();
        if (this.intake.decoder.size > 0) await this.sendPlan();
      } catch (err) {
        this.linkDown(`re-handshake after reboot failed: ${errorMessage(err)}`);
      } finally {
        this.rebooting = false;
      }
    })();
  }

  /**
   * Whether `bt` is the board's current run (absent, or no boot id known yet: yes). A new one is
   * taken as the current run at once, so the restart it shows is handled once.
   */
  protected sameBoot(bt: string | undefined): boolean {
    if (bt === undefined || this.bootId === undefined || bt === this.bootId) return true;
    this.bootId = bt;
    return false;
  }

  private noteClk(clk: number): void {
    if (this.clockMap.isStep(clk)) this.reboot(`board clock stepped back to ${clk} ms`);
    else this.clockMap.see(clk);
  }

  private requireOnline(): BoardIdentity {
    if (this.stateValue !== 'online' || this.identityValue === undefined) {
      throw new WharfError(
        'BOARD_DISCONNECTED',
        `board ${this.id} (${this.connector.where}) is ${this.stateValue}: connect() first`,
      );
    }
    return this.identityValue;
  }

  private checkReaders(method: CaptureMethod, readers: string[]): void {
    if (method === 'Readings') {
      for (const r of readers) {
        if (this.sensors.has(r)) continue;
        const why = this.refusedSensors.get(r);
        throw new WharfError(
          'BOARD_UNSUPPORTED',
          why !== undefined
            ? `board ${this.id} cannot read sensor '${r}': ${why}`
            : `board ${this.id}: sensor '${r}' is not in its board config (known: ${[...this.sensors.keys()].join(', ') || 'none'})`,
        );
      }
      return;
    }
    const known = method === 'Analogs' ? this.ranges : this.pins;
    for (const r of readers) {
      if (!known.has(r)) {
        throw new WharfError(
          'BOARD_UNSUPPORTED',
          `board ${this.id}: ${method === 'Analogs' ? 'analog reader' : 'GPIO pin'} '${r}' is not in its board config (known: ${[...known.keys()].join(', ') || 'none'})`,
        );
      }
    }
  }
}
