/**
 * MQTT link over WiFi with Espruino's MQTT module: frames up on `wharf/<bid>/up`, down on
 * `wharf/<bid>/down`, `online` on `wharf/<bid>/status` at every connect (Espruino's module has no
 * last will: the broker sees the disconnect). Username = board id, password = the remote's secret.
 * The module does not reconnect by itself, so a watchdog retries every 5 s while disconnected.
 *
 * CONNACK is not "the gateway hears us": the data link (backlog drain, replies) comes up only when
 * a frame from the gateway arrives on this connection (its `hello`), so nothing of the backlog is
 * published before the gateway has the board attached and identified. A connected session is not
 * either: on an external broker it outlives a gateway that died, so with `lt` set the link also goes
 * down after lt/3 ms without a gateway frame (watchLink), as on serial.
 */
function startMqtt(): void {
  var C = WHARF_CFG;
  var base = WIRE.topicRoot + '/' + C.bid + '/';
  var mq: EspMqtt | null = null;
  var conn = false;
  var tried = 0;
  var greeted = false;
  if (typeof require === 'undefined') return;
  mq = require('MQTT').create(C.mh, {
    port: C.mp || 1883,
    client_id: C.bid,
    username: C.bid,
    password: C.sec,
    keep_alive: 30,
  }) as EspMqtt;
  var m = mq;
  linkWrite = function (line: string) {
    if (conn) m.publish(base + WIRE.up, line);
  };
  m.on('connected', function () {
    conn = true;
    m.subscribe(base + WIRE.down);
    m.publish(base + WIRE.status, WIRE.online);
    if (!greeted) {
      greeted = true;
      sendHi(undefined, true);
    }
  });
  m.on('disconnected', function () {
    conn = false;
    setLink(false);
  });
  m.on('publish', function (msg: { topic: string; message: string }) {
    if (conn && msg.topic === base + WIRE.down) handleLine(msg.message);
  });
  function dial(): void {
    tried = now();
    try {
      m.disconnect();
    } catch (e) {
      /* not connected yet */
    }
    m.connect();
  }
  setInterval(function () {
    if (!conn && now() - tried > 5000) dial();
  }, 1000);
  watchLink();
  if (C.ws) {
    tried = now();
    require('Wifi').connect(C.ws, { password: C.wp }, function (err: unknown) {
      if (!err) dial();
    });
  } else dial();
}
