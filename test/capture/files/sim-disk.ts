/**
 * A simulated disk with POSIX durability rules, for power-cut tests of the capture writer:
 * file bytes survive a power cut only once fsync/fdatasync ran on the file, and a directory
 * entry (create, rename, mkdir) only once fsync ran on the directory that holds it. Written but
 * unsynced bytes may partly reach the disk (a torn tail). `cut()` takes what a power cut at this
 * instant would leave; `writeSnapshot()` puts it into a real directory.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CaptureFileHandle, CaptureIo } from '../../../src/capture/files.js';

interface Inode {
  current: Uint8Array;
  durable: Uint8Array;
}
type Entry = { kind: 'file'; inode: Inode } | { kind: 'dir'; dir: Dir };
interface Dir {
  current: Map<string, Entry>;
  durable: Map<string, Entry>;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

function errno(code: string, p: string): Error {
  return Object.assign(new Error(`${code}: ${p}`), { code });
}

export class SimDisk implements CaptureIo {
  private readonly root: Dir = { current: new Map(), durable: new Map() };
  syncs = 0;

  constructor(readonly rootPath: string) {}

  private parts(p: string): string[] {
    const rel = path.posix.relative(this.rootPath, p);
    if (rel.startsWith('..')) throw errno('EACCES', p);
    return rel === '' ? [] : rel.split('/');
  }

  private dirAt(p: string): Dir | undefined {
    let d: Dir = this.root;
    for (const name of this.parts(p)) {
      const e = d.current.get(name);
      if (e?.kind !== 'dir') return undefined;
      d = e.dir;
    }
    return d;
  }

  async mkdir(p: string): Promise<string | undefined> {
    await tick();
    let d = this.root;
    let first: string | undefined;
    let cur = this.rootPath;
    for (const name of this.parts(p)) {
      cur = path.posix.join(cur, name);
      let e = d.current.get(name);
      if (e === undefined) {
        e = { kind: 'dir', dir: { current: new Map(), durable: new Map() } };
        d.current.set(name, e);
        first ??= cur;
      }
      if (e.kind !== 'dir') throw errno('ENOTDIR', cur);
      d = e.dir;
    }
    return first;
  }

  async open(p: string, flags: 'wx' | 'r+'): Promise<CaptureFileHandle> {
    await tick();
    const d = this.dirAt(path.posix.dirname(p));
    if (d === undefined) throw errno('ENOENT', p);
    const name = path.posix.basename(p);
    let e = d.current.get(name);
    if (flags === 'wx') {
      if (e !== undefined) throw errno('EEXIST', p);
      e = { kind: 'file', inode: { current: new Uint8Array(0), durable: new Uint8Array(0) } };
      d.current.set(name, e);
    }
    if (e?.kind !== 'file') throw errno('ENOENT', p);
    const inode = e.inode;
    return {
      write: async (buf, off, len, pos) => {
        await tick();
        const end = pos + len;
        if (end > inode.current.length) {
          const grown = new Uint8Array(end);
          grown.set(inode.current);
          inode.current = grown;
        }
        inode.current.set(buf.subarray(off, off + len), pos);
        return { bytesWritten: len };
      },
      datasync: async () => {
        await tick();
        inode.durable = inode.current.slice();
        this.syncs++;
      },
      sync: async () => {
        await tick();
        inode.durable = inode.current.slice();
        this.syncs++;
      },
      truncate: async (n) => {
        await tick();
        inode.current = inode.current.slice(0, n);
      },
      close: async () => {
        await tick();
      },
    };
  }

  async rename(from: string, to: string): Promise<void> {
    await tick();
    const a = this.dirAt(path.posix.dirname(from));
    const b = this.dirAt(path.posix.dirname(to));
    const e = a?.current.get(path.posix.basename(from));
    if (a === undefined || b === undefined || e === undefined) throw errno('ENOENT', from);
    a.current.delete(path.posix.basename(from));
    b.current.set(path.posix.basename(to), e);
  }

  async fsyncDir(p: string): Promise<void> {
    await tick();
    const d = this.dirAt(p);
    if (d === undefined) throw errno('ENOENT', p);
    d.durable = new Map(d.current);
    this.syncs++;
  }

  /**
   * The power cut, synchronously, now: durable entries and bytes, plus for each file a
   * `torn(unsyncedBytes)` part of its unsynced tail (the page cache got that far). Write it to a
   * real directory with `writeSnapshot` (the writer may keep running meanwhile; it no longer matters).
   */
  cut(torn: (unsynced: Uint8Array) => Uint8Array): { rel: string; bytes: Uint8Array | null }[] {
    const out: { rel: string; bytes: Uint8Array | null }[] = [];
    const walk = (d: Dir, rel: string): void => {
      for (const [name, e] of d.durable) {
        const r = path.posix.join(rel, name);
        if (e.kind === 'dir') {
          out.push({ rel: r, bytes: null });
          walk(e.dir, r);
        } else {
          const { durable, current } = e.inode;
          const tail = torn(
            current.length > durable.length ? current.slice(durable.length) : new Uint8Array(0),
          );
          const bytes = new Uint8Array(durable.length + tail.length);
          bytes.set(durable);
          bytes.set(tail, durable.length);
          out.push({ rel: r, bytes });
        }
      }
    };
    walk(this.root, '');
    return out;
  }
}

export async function writeSnapshot(
  realDir: string,
  out: { rel: string; bytes: Uint8Array | null }[],
): Promise<void> {
  await mkdir(realDir, { recursive: true });
  for (const o of out) {
    const p = path.join(realDir, o.rel);
    if (o.bytes === null) await mkdir(p, { recursive: true });
    else {
      await mkdir(path.dirname(p), { recursive: true });
      await writeFile(p, o.bytes);
    }
  }
}
