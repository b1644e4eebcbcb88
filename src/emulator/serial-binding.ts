/**
 * What an emulated Serial1 is wired to. `PtySerial` opens a real pty (the board end of a socat
 * pair) through serialport; `MemorySerial` is an in-process wire for virtual-time tests.
 */
import { SerialPort } from 'serialport';

export interface SerialBinding {
  /** Board → host bytes (Espruino strings are byte strings: latin1). */
  write(data: string): void;
  /** Host → board bytes, delivered as they arrive (the emulator chunks them to ≤ 32 bytes). */
  onData(fn: (data: string) => void): void;
  close(): Promise<void>;
}

export class PtySerial implements SerialBinding {
  private listener: (data: string) => void = () => {};
  private constructor(private readonly port: SerialPort) {
    port.on('data', (buf: Buffer) => this.listener(buf.toString('latin1')));
  }

  static open(path: string, baudRate = 115200): Promise<PtySerial> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path, baudRate, autoOpen: false });
      port.open((err) =>
        err
          ? reject(new Error(`cannot open pty ${path} for the emulated board: ${err.message}`))
          : resolve(new PtySerial(port)),
      );
    });
  }

  write(data: string): void {
    if (this.port.isOpen) this.port.write(Buffer.from(data, 'latin1'));
  }

  onData(fn: (data: string) => void): void {
    this.listener = fn;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.port.isOpen) return resolve();
      this.port.close(() => resolve());
    });
  }
}

/** Both ends of an in-memory wire: `board` goes to the emulator, the host side is `send`/`received`. */
export class MemorySerial implements SerialBinding {
  private listener: (data: string) => void = () => {};
  private readonly hostListeners: ((data: string) => void)[] = [];

  write(data: string): void {
    for (const l of this.hostListeners) l(data);
  }

  onData(fn: (data: string) => void): void {
    this.listener = fn;
  }

  /** Host → board. */
  send(data: string): void {
    this.listener(data);
  }

  /** Board → host. */
  onReceive(fn: (data: string) => void): void {
    this.hostListeners.push(fn);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
