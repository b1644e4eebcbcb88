/**
 * Gateway-side ends of a link to a board agent, for the HIL suite's own protocol driver: a serial
 * port (pty or real USB-UART) framed by newline, an MQTT client on `wharf/<bid>/up|down`, or an
 * in-memory wire. Lines that are not JSON objects (REPL noise, boot banner) are counted as noise.
 */
import { ReadlineParser } from '@serialport/parser-readline';
import mqtt, { type MqttClient } from 'mqtt';
import { SerialPort } from 'serialport';
import type { MemorySerial } from '../../src/emulator/serial-binding.js';

export type Frame = { t: string; id?: number; [k: string]: unknown };

export interface FrameLink {
  send(frame: Record<string, unknown>): void;
  onFrame(fn: (f: Frame) => void): void;
  close(): Promise<void>;
  noise: number;
}

function parseLine(line: string): Frame | null {
  const l = line.replace(/\r$/, '');
  if (!l.startsWith('{')) return null;
  try {
    const f = JSON.parse(l) as unknown;
    return f && typeof f === 'object' && typeof (f as Frame).t === 'string' ? (f as Frame) : null;
  } catch {
    return null;
  }
}

abstract class LineLink implements FrameLink {
  noise = 0;
  protected listeners: ((f: Frame) => void)[] = [];
  onFrame(fn: (f: Frame) => void): void {
    this.listeners.push(fn);
  }
  protected line(l: string): void {
    const f = parseLine(l);
    if (!f) {
      if (l.trim().length) this.noise++;
      return;
    }
    for (const fn of this.listeners) fn(f);
  }
  abstract send(frame: Record<string, unknown>): void;
  abstract close(): Promise<void>;
}

export class SerialFrameLink extends LineLink {
  private constructor(private port: SerialPort) {
    super();
    this.attach();
  }

  private attach(): void {
    const parser = this.port.pipe(new ReadlineParser({ delimiter: '\n', encoding: 'latin1' }));
    parser.on('data', (l: string) => this.line(l));
  }

  static open(path: string, baudRate = 115200): Promise<SerialFrameLink> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path, baudRate, autoOpen: false });
      port.open((err) =>
        err
          ? reject(new Error(`cannot open ${path}: ${err.message}`))
          : resolve(new SerialFrameLink(port)),
      );
    });
  }

  send(frame: Record<string, unknown>): void {
    if (this.port.isOpen) this.port.write(`${JSON.stringify(frame)}\n`);
  }

  /** Gateway-side link pull: close the port; reopen() later. */
  async pause(): Promise<void> {
    await new Promise<void>((r) => (this.port.isOpen ? this.port.close(() => r()) : r()));
  }

  async reopen(): Promise<void> {
    const path = this.port.path;
    const baudRate = this.port.baudRate;
    this.port = new SerialPort({ path, baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) =>
      this.port.open((e) => (e ? reject(e) : resolve())),
    );
    this.attach();
  }

  close(): Promise<void> {
    return this.pause();
  }
}

export class MqttFrameLink extends LineLink {
  private constructor(
    private readonly client: MqttClient,
    private readonly boardId: string,
  ) {
    super();
    client.on('message', (topic, payload) => {
      if (topic === `wharf/${boardId}/up`) this.line(payload.toString('latin1'));
    });
  }

  static async open(
    url: string,
    boardId: string,
    auth?: { username: string; password: string },
  ): Promise<MqttFrameLink> {
    const client = await mqtt.connectAsync(url, {
      reconnectPeriod: 500,
      clientId: `wharf-hil-${process.pid}-${Math.random().toString(16).slice(2, 6)}`,
      ...(auth ?? {}),
    });
    await client.subscribeAsync(`wharf/${boardId}/up`, { qos: 0 });
    return new MqttFrameLink(client, boardId);
  }

  send(frame: Record<string, unknown>): void {
    this.client.publish(`wharf/${this.boardId}/down`, JSON.stringify(frame), { qos: 0 });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

export class MemoryFrameLink extends LineLink {
  private buf = '';
  constructor(private readonly wire: MemorySerial) {
    super();
    wire.onReceive((d) => {
      this.buf += d;
      let i = this.buf.indexOf('\n');
      while (i >= 0) {
        this.line(this.buf.slice(0, i));
        this.buf = this.buf.slice(i + 1);
        i = this.buf.indexOf('\n');
      }
    });
  }

  send(frame: Record<string, unknown>): void {
    this.wire.send(`${JSON.stringify(frame)}\n`);
  }

  /** Raw bytes host → board (garbage, partial lines). */
  sendRaw(data: string): void {
    this.wire.send(data);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
