/**
 * A StandardFirmata-like board (Arduino Uno pin layout) for tests, speaking the Firmata protocol on
 * the board end of a pty: answers version/firmware/capability/analog-mapping queries, honours the
 * sampling interval, reports enabled analog channels every interval and digital ports on change
 * (and at once when reporting is enabled, as StandardFirmata does).
 */
import { SerialPort } from 'serialport';

const ANALOG_PINS = [14, 15, 16, 17, 18, 19];

export class FirmataResponder {
  readonly analog = [0, 0, 0, 0, 0, 0];
  readonly digital = new Array<number>(20).fill(0);
  private readonly reportAnalog = new Set<number>();
  private readonly reportPort = new Set<number>();
  private interval = 19;
  private timer: NodeJS.Timeout | undefined;
  private buf: number[] = [];
  private port: SerialPort | undefined;
  /** Bytes received (for assertions). */
  received = 0;
  analogReports = 0;

  async attach(path: string, baudRate = 57600): Promise<void> {
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
    port.on('error', () => undefined);
    port.on('data', (d: Buffer) => this.onData(d));
    this.port = port;
    this.arm();
  }

  async detach(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.reportAnalog.clear();
    this.reportPort.clear();
    const p = this.port;
    this.port = undefined;
    if (p?.isOpen) await new Promise<void>((r) => p.close(() => r()));
  }

  setAnalog(channel: number, v: number): void {
    this.analog[channel] = v;
  }

  setDigital(pin: number, high: boolean): void {
    this.digital[pin] = high ? 1 : 0;
    const port = pin >> 3;
    if (this.reportPort.has(port)) this.sendPort(port);
  }

  private write(bytes: number[]): void {
    if (this.port?.isOpen) this.port.write(Buffer.from(bytes));
  }

  private arm(): void {
    this.timer = setTimeout(() => {
      for (const ch of this.reportAnalog) {
        const v = this.analog[ch] ?? 0;
        this.write([0xe0 | ch, v & 0x7f, (v >> 7) & 0x7f]);
        this.analogReports++;
      }
      if (this.port !== undefined) this.arm();
    }, this.interval);
  }

  private sendPort(port: number): void {
    let v = 0;
    for (let i = 0; i < 8; i++) if (this.digital[port * 8 + i] === 1) v |= 1 << i;
    this.write([0x90 | port, v & 0x7f, (v >> 7) & 0x7f]);
  }

  private onData(d: Buffer): void {
    for (const b of d) {
      this.received++;
      if (b & 0x80 && this.buf[0] !== 0xf0) this.buf = [];
      this.buf.push(b);
      this.tryCommand();
    }
  }

  private tryCommand(): void {
    const c = this.buf[0]!;
    const n = this.buf.length;
    if (c === 0xf0) {
      if (this.buf[n - 1] === 0xf7) this.sysex(this.buf.slice(1, -1));
      else return;
    } else if (c === 0xf9) {
      this.write([0xf9, 2, 5]);
    } else if (c === 0xff) {
      this.reportAnalog.clear();
      this.reportPort.clear();
    } else if ((c & 0xf0) === 0xc0 || (c & 0xf0) === 0xd0) {
      if (n < 2) return;
      const on = this.buf[1] === 1;
      const idx = c & 0x0f;
      if ((c & 0xf0) === 0xc0) {
        if (on) this.reportAnalog.add(idx);
        else this.reportAnalog.delete(idx);
      } else if (on) {
        this.reportPort.add(idx);
        this.sendPort(idx);
      } else this.reportPort.delete(idx);
    } else if (c === 0xf4 || c === 0xf5 || (c & 0xf0) === 0x90 || (c & 0xf0) === 0xe0) {
      if (n < 3) return;
    } else {
      // unknown single byte: drop
    }
    this.buf = [];
  }

  private sysex(body: number[]): void {
    const cmd = body[0];
    if (cmd === 0x79) {
      const name = 'StandardFirmata.ino';
      const out = [0xf0, 0x79, 2, 5];
      for (const ch of name) out.push(ch.charCodeAt(0) & 0x7f, 0);
      out.push(0xf7);
      this.write(out);
    } else if (cmd === 0x6b) {
      const out = [0xf0, 0x6c];
      for (let pin = 0; pin < 20; pin++) {
        out.push(0, 1, 1, 1); // INPUT, OUTPUT
        if (ANALOG_PINS.includes(pin)) out.push(2, 10); // ANALOG, 10 bit
        out.push(0x7f);
      }
      out.push(0xf7);
      this.write(out);
    } else if (cmd === 0x69) {
      const out = [0xf0, 0x6a];
      for (let pin = 0; pin < 20; pin++) out.push(ANALOG_PINS.includes(pin) ? pin - 14 : 0x7f);
      out.push(0xf7);
      this.write(out);
    } else if (cmd === 0x7a) {
      this.interval = Math.max(1, (body[1] ?? 19) | ((body[2] ?? 0) << 7));
    }
  }
}
