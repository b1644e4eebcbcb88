/**
 * An emulated board's uplink as frames: what the board writes to its serial line arrives in pieces
 * of any size; `lines` cuts it into complete lines, `uplinkFrames` parses each line as a JSON frame
 * and skips what is not one (the REPL banner, boot text).
 */

/** `onLine` gets each complete line of the written text (without its newline). */
export function lines(onLine: (line: string) => void): (text: string) => void {
  let tail = '';
  return (text) => {
    tail += text;
    let i = tail.indexOf('\n');
    while (i >= 0) {
      const line = tail.slice(0, i);
      tail = tail.slice(i + 1);
      onLine(line);
      i = tail.indexOf('\n');
    }
  };
}

/** Parses one line as a frame: a JSON object, else undefined. */
export function parseFrame<F = Record<string, unknown>>(line: string): F | undefined {
  let f: unknown;
  try {
    f = JSON.parse(line);
  } catch {
    return undefined;
  }
  return f !== null && typeof f === 'object' ? (f as F) : undefined;
}

/** `onFrame` gets each line of the written text that is a JSON frame. */
export function uplinkFrames<F = Record<string, unknown>>(
  onFrame: (f: F) => void,
): (text: string) => void {
  return lines((line) => {
    const f = parseFrame<F>(line);
    if (f !== undefined) onFrame(f);
  });
}
