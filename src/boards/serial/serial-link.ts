/**
 * The serial Connector: opens the port with the project's serialport, frames lines with the
 * bounded LineFramer, and reports the link down when the port closes or errors (unplugged, pty
 * gone). `available()` is whether the device node exists, so the board reconnects within a poll
 * interval of the port reappearing.
 */
import { existsSync } from 'node:fs';
import { SerialPort } from 'serialport';
import { WharfError, errorMessage } from '../../shared/errors.js';
import { LineFramer } from '../protocol/line-framer.js';
import type { Connector, FrameLink, LinkHandlers } from '../protocol/link.js';
import type { SerialAddress } from './address.js';

export class SerialConnector implements Connector {
  readonly where: string;

  constructor(private readonly addr: SerialAddress) {
    this.where = `serial ${addr.path}`;
  }

  available(): boolean {
    return existsSync(this.addr.path);
  }

  open(h: LinkHandlers): Promise<FrameLink> {
    const port = new SerialPort({
      path: this.addr.path,
      baudRate: this.addr.baud,
      autoOpen: false,
    });
    return new Promise<FrameLink>((resolve, reject) => {
      port.open((err) => {
        if (err) {
          reject(
            new WharfError(
              'BOARD_DISCONNECTED',
              `cannot open ${this.addr.path}: ${err.message} (is the board plugged in, and may this user open it? e.g. add it to the 'dialout' group)`,
              { cause: err },
            ),
          );
          return;
        }
        let up = true;
        const framer = new LineFramer(
          (line) => h.frame(line),
          (n) => h.junk('overlong line', n),
        );
        const down = (why: string) => {
          if (!up) return;
          up = false;
          h.down(why);
        };
        port.on('data', (chunk: Buffer) => {
          if (up) framer.push(chunk);
        });
        port.on('close', () => down(`${this.addr.path} closed`));
        port.on('error', (e: Error) => down(`${this.addr.path}: ${errorMessage(e)}`));
        resolve({
          send: (frame) => {
            if (!up) throw new WharfError('BOARD_DISCONNECTED', `${this.addr.path} is closed`);
            port.write(frame + '\n');
          },
          close: () =>
            new Promise<void>((r) => {
              up = false;
              if (!port.isOpen) return r();
              port.close(() => r());
            }),
        });
      });
    });
  }
}
