/**
 * Serial link: protocol frames on `WHARF_CFG.sp` (Serial1, USB, …) with the REPL console moved to
 * LoopbackA. Input arrives in small chunks (≤ 32 bytes on ESP32) and is buffered to newline; a line
 * over 1024 bytes is dropped up to the next newline. A serial line has no connection state: when the
 * gateway set `lt` (and so promised a frame at least every lt/3 ms), the link counts as down after
 * lt/3 ms without one; batches then go to the backlog, together with those written just before.
 */
function startSerial(): void {
  var sp = WHARF_CFG.sp as EspSerial;
  var buf = '';
  var skip = false;
  if (typeof LoopbackA !== 'undefined') LoopbackA.setConsole(true);
  var o: { path?: string } = {};
  if (WHARF_CFG.path) o.path = WHARF_CFG.path;
  sp.setup(WHARF_CFG.baud || 115200, o);
  linkWrite = function (line: string) {
    sp.write(line + '\n');
  };
  onRepl = function () {
    sp.removeAllListeners('data');
    sp.setConsole();
  };
  sp.on('data', function (d: string) {
    buf += d;
    var i = buf.indexOf('\n');
    while (i >= 0) {
      var line = buf.substr(0, i);
      buf = buf.substr(i + 1);
      if (line.charAt(line.length - 1) === '\r') line = line.substr(0, line.length - 1);
      if (skip) skip = false;
      else handleLine(line);
      i = buf.indexOf('\n');
    }
    if (buf.length > 1024) {
      buf = '';
      skip = true;
      badFrames++;
    }
  });
  watchLink();
  setLink(true);
  // end whatever the REPL left on the line (boot banner, prompt) so the first frame parses
  sp.write('\n');
  sendHi();
}
