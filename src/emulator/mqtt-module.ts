/**
 * Espruino's `require("MQTT")` for the emulator, bound to a real broker through mqtt.js. It keeps
 * the Espruino module's behaviour: `create(server, {port, client_id, username, password,
 * keep_alive})`, `connect()` with no retry of its own, events `connected` / `disconnected` /
 * `publish` ({topic, message}) / `error`, QoS 0 only, publish while disconnected is lost.
 */
import mqtt, { type MqttClient } from 'mqtt';

export interface MqttHost {
  /** Runs a callback on the board's event loop. */
  defer(fn: () => void): void;
  /** Broker URL override (the emulator's broker), else mqtt://server:port from the firmware. */
  url?: string;
  /** True while the emulated link is pulled: connections fail and live ones are cut. */
  pulled(): boolean;
  track(m: EspruinoMqtt): void;
  /** Sees every publish that goes out (tests count what the board sent). */
  sent?(topic: string, message: string): void;
}

type Listener = (...args: unknown[]) => void;

export class EspruinoMqtt {
  connected = false;
  private client: MqttClient | undefined;
  private readonly listeners = new Map<string, Listener[]>();

  constructor(
    private readonly host: MqttHost,
    private readonly server: string,
    private readonly opts: {
      port?: number;
      client_id?: string;
      username?: string;
      password?: string;
      keep_alive?: number;
    },
  ) {}

  on(event: string, fn: Listener): void {
    const l = this.listeners.get(event) ?? [];
    l.push(fn);
    this.listeners.set(event, l);
  }

  emit(event: string, ...args: unknown[]): void {
    for (const fn of this.listeners.get(event) ?? []) this.host.defer(() => fn(...args));
  }

  connect(): void {
    if (this.host.pulled()) return; // like a TCP connect that never completes: no event
    this.drop();
    const url = this.host.url ?? `mqtt://${this.server}:${this.opts.port ?? 1883}`;
    const client = mqtt.connect(url, {
      clientId: this.opts.client_id ?? `espruino-${Math.random().toString(16).slice(2, 8)}`,
      username: this.opts.username,
      password: this.opts.password,
      keepalive: this.opts.keep_alive ?? 60,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      clean: true,
    });
    this.client = client;
    client.on('connect', () => {
      if (this.client !== client) return;
      this.connected = true;
      this.emit('connected');
    });
    client.on('message', (topic, payload) => {
      if (this.client === client)
        this.emit('publish', { topic, message: payload.toString('latin1') });
    });
    client.on('error', (err) => {
      if (this.client === client) this.emit('error', `Connection refused, ${err.message}`);
    });
    client.on('close', () => {
      if (this.client !== client) return;
      this.client = undefined;
      if (this.connected) {
        this.connected = false;
        this.emit('disconnected');
      }
      client.end(true);
    });
    this.host.track(this);
  }

  disconnect(): void {
    this.drop();
  }

  publish(topic: string, message: unknown): void {
    if (!(this.client && this.connected)) return;
    this.host.sent?.(topic, String(message));
    this.client.publish(topic, String(message), { qos: 0 });
  }

  subscribe(topic: string): void {
    if (this.client && this.connected) this.client.subscribe(topic, { qos: 0 });
  }

  unsubscribe(topic: string): void {
    if (this.client && this.connected) this.client.unsubscribe(topic);
  }

  /** Cuts the connection the way a pulled link does: the board sees `disconnected`. */
  cut(): void {
    const c = this.client;
    if (!c) return;
    c.stream?.destroy();
  }

  /** Closes silently (board reboot / stop). */
  drop(): void {
    const c = this.client;
    this.client = undefined;
    this.connected = false;
    if (c) c.end(true);
  }
}
