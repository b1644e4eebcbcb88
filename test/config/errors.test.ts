/** Every error path of the config layer: the message says what, the path says where, the hint what to do. */
import { describe, expect, it } from 'vitest';
import { BOARD, errors, load, method, warnings, withRemote } from './helpers.js';

const A1 = {
  name: 'rdk:component:board/my-esp32',
  method: 'Analogs',
  capture_frequency_hz: 1,
  additional_params: { reader_name: 'A1' },
};
const M0 = 'remotes[0].service_configs[0].attributes.capture_methods[0]';

function onlyError(cfg: unknown, opts?: Parameters<typeof load>[1]) {
  const r = load(cfg, opts);
  expect(r.ok).toBe(false);
  const errs = errors(r);
  expect(errs, JSON.stringify(errs, null, 1)).toHaveLength(1);
  return errs[0]!;
}

describe('syntax errors', () => {
  it('reports line:column and a hint for a missing comma', () => {
    const e = onlyError('{\n  "components": []\n  "services": []\n}');
    expect(e.message).toBe("syntax error at 3:3: expected ',' or '}' but found '\"'");
    expect(e.line).toBe(3);
    expect(e.hint).toMatch(/comma is probably missing/);
  });
  it('reports an unclosed object with the line it was opened on', () => {
    const e = onlyError('{\n "remotes": [\n  {"name": "x"\n');
    expect(e.message).toMatch(/the object opened on line 3 is never closed/);
    expect(e.hint).toBe('add the missing }');
  });
  it('names the bracket that is wrong, in objects and arrays alike', () => {
    const cases: [string, string, string][] = [
      [
        '{\n "a": [1, 2\n}',
        "syntax error at 3:1: expected ',' or ']' but found '}'",
        'the array opened on line 2 is not closed: add ] before this }',
      ],
      [
        '{\n "a": {"b": 1\n]',
        "syntax error at 3:1: expected ',' or '}' but found ']'",
        'the object opened on line 2 is not closed: add } before this ]',
      ],
      [
        '{"a": [1 2]}',
        "syntax error at 1:10: expected ',' or ']' but found '2'",
        'a comma is probably missing after the previous element',
      ],
      ['{"a": [1\n', 'the array opened on line 1 is never closed', 'add the missing ]'],
    ];
    for (const [text, message, hint] of cases) {
      const e = onlyError(text);
      expect(e.message, text).toContain(message);
      expect(e.hint, text).toBe(hint);
    }
  });
  it('explains single quotes and bare words', () => {
    expect(onlyError("{'a': 1}").hint).toMatch(/double quotes/);
    expect(onlyError('{"a": yes}').hint).toBe(
      'strings need double quotes: "yes"; literals are true, false and null',
    );
  });
  it('rejects an empty file and a top level that is not an object', () => {
    expect(onlyError('  // nothing\n').message).toMatch(/the file is empty/);
    expect(onlyError('[1, 2]').message).toBe('expected an object, found an array');
  });
});

describe('schema errors', () => {
  it('rejects negative numbers with the JSON path and line', () => {
    const r = load(
      JSON.stringify(
        {
          services: [
            {
              name: 'data_manager',
              type: 'data_manager',
              attributes: {
                sync_interval_mins: -1,
                maximum_capture_file_size_bytes: -5,
                capture_dir_max_bytes: -1,
              },
            },
          ],
          remotes: [
            {
              name: 'r',
              address: 'sim://r',
              service_configs: [method({ ...A1, capture_frequency_hz: -2 })],
            },
          ],
        },
        null,
        2,
      ),
    );
    expect(r.ok).toBe(false);
    const byPath = Object.fromEntries(errors(r).map((e) => [e.path, e]));
    expect(byPath['services[0].attributes.sync_interval_mins']?.message).toBe(
      'must be greater than 0 (found -1)',
    );
    expect(byPath['services[0].attributes.maximum_capture_file_size_bytes']?.message).toBe(
      'must be greater than 0 (found -5)',
    );
    expect(byPath['services[0].attributes.capture_dir_max_bytes']?.message).toBe(
      'must not be negative (found -1)',
    );
    const hz =
      byPath['remotes[0].service_configs[0].attributes.capture_methods[0].capture_frequency_hz'];
    expect(hz?.message).toBe('must not be negative (found -2)');
    expect(hz?.hint).toMatch(/readings per second/);
    expect(hz?.line).toBeGreaterThan(1);
  });
  it('names the wrong type it found', () => {
    const e = onlyError({
      services: [{ name: 'data_manager', type: 'data_manager', attributes: { tags: 'line-3' } }],
    });
    expect(e.path).toBe('services[0].attributes.tags');
    expect(e.message).toBe('expected an array, found the string "line-3"');
  });
  it('rejects thresholds outside 0..1 and fractional counts', () => {
    const r = load({
      services: [
        {
          type: 'data_manager',
          attributes: { disk_usage_deletion_threshold: 1.5, delete_every_nth_when_disk_full: 2.5 },
        },
      ],
    });
    expect(errors(r).map((e) => e.message)).toEqual([
      'must be at most 1 (found 1.5)',
      'must be a whole number (found 2.5)',
    ]);
  });
  it('requires a remote name and address', () => {
    const r = load({ remotes: [{ address: 'sim://a' }, { name: 'b' }] });
    expect(errors(r).map((e) => [e.path, e.message])).toEqual([
      ['remotes[0].name', 'name is required (a string)'],
      ['remotes[1].address', 'address is required (a string)'],
    ]);
  });
  it('requires a component type', () => {
    const e = onlyError({ components: [{ name: 'x' }] });
    expect(e.message).toBe('component "x" has no type');
    expect(e.hint).toMatch(/"type": "board"/);
  });
});

describe('resolution errors', () => {
  it('requires a fully qualified name on a remote capture method', () => {
    const { name: _n, ...noName } = A1;
    const e = onlyError(withRemote([noName]));
    expect(e.path).toBe(M0);
    expect(e.message).toMatch(/needs "name"/);
    expect(e.hint).toContain('"rdk:component:board/my-esp32"');
  });
  it('rejects a name that is not fully qualified', () => {
    const e = onlyError(withRemote([{ ...A1, name: 'my-esp32' }]));
    expect(e.path).toBe(`${M0}.name`);
    expect(e.message).toBe('"my-esp32" is not a fully qualified resource name');
  });
  it('rejects a service name', () => {
    expect(onlyError(withRemote([{ ...A1, name: 'rdk:service:data_manager/dm' }])).message).toMatch(
      /names a service/,
    );
  });
  it('names the closest candidates when nothing matches', () => {
    const e = onlyError(withRemote([{ ...A1, name: 'rdk:component:board/my-esp23' }]));
    expect(e.message).toBe(
      '"rdk:component:board/my-esp23" matches no component of remote "esp-home"',
    );
    expect(e.hint).toBe('closest: rdk:component:board/my-esp32');
  });
  it('names an unknown remote prefix and the closest configured remotes', () => {
    const e = onlyError(withRemote([{ ...A1, name: 'esp-hom:rdk:component:board/my-esp32' }]));
    expect(e.message).toBe(
      '"esp-hom:rdk:component:board/my-esp32" names remote "esp-hom", which is not configured',
    );
    expect(e.hint).toBe('configured remotes closest to it: esp-home');
  });
  it('is an error naming both remotes when a name matches on two', () => {
    const cfg = withRemote([A1]);
    cfg.remotes.push({
      name: 'esp-away',
      address: 'sim://esp-away',
      components: [BOARD],
      service_configs: [],
    });
    const e = onlyError(cfg);
    expect(e.message).toBe(
      '"rdk:component:board/my-esp32" matches resources on 2 remotes: esp-home:rdk:component:board/my-esp32 and esp-away:rdk:component:board/my-esp32',
    );
    expect(e.hint).toMatch(/prefix the name with the remote/);
    // With the prefix it resolves.
    const ok = load({
      ...cfg,
      remotes: [
        {
          ...cfg.remotes[0],
          service_configs: [method({ ...A1, name: 'esp-away:rdk:component:board/my-esp32' })],
        },
        cfg.remotes[1],
      ],
    });
    expect(ok.ok && ok.plan.entries.map((x) => x.boardId)).toEqual(['esp-away']);
  });
  it('rejects readers and pins the board does not have, with the ones it has', () => {
    const e = onlyError(withRemote([{ ...A1, additional_params: { reader_name: 'A3' } }]));
    expect(e.path).toBe(`${M0}.additional_params`);
    expect(e.message).toBe(
      '"A3" is not an analog reader of rdk:component:board/my-esp32 (it has: A1, A2)',
    );
    expect(e.hint).toMatch(/add \{"name": "A3", "pin": "…"\} to the board's attributes.analogs/);
    const g = onlyError(
      withRemote([{ ...A1, method: 'Gpio', additional_params: { '28': '', '27': '' } }]),
    );
    expect(g.message).toBe(
      '"28" is not a GPIO pin of rdk:component:board/my-esp32 (it has: 27, 4)',
    );
    expect(g.hint).toMatch(/closest: 27/);
  });
  it('requires at least one reader, and the right parameter name', () => {
    expect(onlyError(withRemote([{ ...A1, additional_params: {} }])).message).toBe(
      'Analogs of rdk:component:board/my-esp32 names no analog reader',
    );
    const e = onlyError(withRemote([{ ...A1, additional_params: { pin_name: 'A1' } }]));
    expect(e.path).toBe(`${M0}.additional_params.pin_name`);
    expect(e.message).toBe('pin_name is not a parameter of Analogs');
    expect(onlyError(withRemote([{ ...A1, additional_params: { reader_name: '' } }])).message).toBe(
      'reader_name must be a non-empty string',
    );
  });
  it('rejects the same resource, method and readers twice', () => {
    const e = onlyError(
      withRemote([A1, { ...A1, additional_params: { A1: '' }, capture_frequency_hz: 5 }]),
    );
    expect(e.message).toBe(
      `Analogs of rdk:component:board/my-esp32 (A1) is configured twice (also at ${M0})`,
    );
  });
  it('rejects duplicate remote names, component names and board ids', () => {
    expect(
      onlyError({
        remotes: [
          { name: 'a', address: 'sim://a' },
          { name: 'a', address: 'sim://b' },
        ],
      }).message,
    ).toBe('remote name "a" is used twice (also at remotes[0])');
    expect(onlyError({ components: [BOARD, BOARD] }).message).toBe(
      'component name "my-esp32" is used twice (also at components[0])',
    );
    expect(
      onlyError({
        components: [{ ...BOARD, attributes: { ...BOARD.attributes, address: 'sim://x' } }],
        remotes: [{ name: 'my-esp32', address: 'sim://y' }],
      }).message,
    ).toBe('board id "my-esp32" is used twice (also by components[0])');
  });
  it('rejects a second data_manager service', () => {
    const e = onlyError({
      services: [
        { name: 'a', type: 'data_manager' },
        { name: 'b', api: 'rdk:service:data_manager' },
      ],
    });
    expect(e.path).toBe('services[1]');
    expect(e.message).toBe('a second data_manager service (the first is services[0])');
  });
  it('rejects an analog reader defined twice on a board', () => {
    const e = onlyError({
      components: [
        {
          ...BOARD,
          attributes: {
            analogs: [
              { name: 'A1', pin: '1' },
              { name: 'A1', pin: '2' },
            ],
          },
        },
      ],
    });
    expect(e.path).toBe('components[0].attributes.analogs[1].name');
  });
});

describe('part_config errors', () => {
  it('reports a missing part file with the resolved path', () => {
    const e = onlyError(withRemote([A1], { components: undefined, part_config: 'parts/esp.json' }));
    expect(e.path).toBe('remotes[0].part_config');
    expect(e.message).toBe('cannot read part config /cfg/parts/esp.json (ENOENT)');
    expect(e.hint).toMatch(/relative to this config file/);
  });
  it('reports a syntax error in the part file with that file and its line', () => {
    const r = load(withRemote([A1], { components: undefined, part_config: 'esp.json' }), {
      parts: { 'esp.json': '{\n "components": [\n  {"name": "x",}\n  oops\n ]\n}' },
    });
    const [syn, ref] = errors(r);
    expect(syn?.file).toBe('/cfg/esp.json');
    expect(syn?.line).toBe(4);
    expect(syn?.message).toMatch(/^syntax error at 4:3/);
    expect(ref?.path).toBe('remotes[0].part_config');
    // The trailing comma on line 3 of the part file is a warning that names that file.
    expect(warnings(r).find((w) => w.message.includes('trailing comma'))?.file).toBe(
      '/cfg/esp.json',
    );
  });
  it('checks readers against the part file and rejects both inline and part_config', () => {
    const part = JSON.stringify({
      components: [
        { name: 'my-esp32', type: 'board', attributes: { analogs: [{ name: 'X1', pin: '3' }] } },
      ],
    });
    expect(
      onlyError(withRemote([A1], { components: undefined, part_config: 'esp.json' }), {
        parts: { 'esp.json': part },
      }).message,
    ).toBe('"A1" is not an analog reader of rdk:component:board/my-esp32 (it has: X1)');
    expect(
      onlyError(withRemote([A1], { part_config: 'esp.json' }), { parts: { 'esp.json': part } })
        .message,
    ).toBe('remote "esp-home" has both "components" and "part_config"');
  });
});

describe('address errors', () => {
  it.each([
    ['serial://', 'has no device path', /three slashes/],
    ['serial:///dev/ttyUSB0?baud=fast', 'baud=fast is not a positive whole number', /115200/],
    ['firmata:///dev/ttyACM0?baud=0', 'baud=0 is not a positive whole number', /57600/],
    ['sim://', 'has no board name', /sim:\/\/NAME/],
    ['mqtt://', 'has no board id', /mqtt:\/\/BOARD-ID/],
  ])('%s', (address, msg, hint) => {
    const e = onlyError({ remotes: [{ name: 'r', address }] });
    expect(e.path).toBe('remotes[0].address');
    expect(e.message).toContain(msg);
    expect(e.hint).toMatch(hint);
  });
});

describe('wharf section errors', () => {
  it('rejects both an external broker url and embedded settings, and a non-broker url', () => {
    const r = load({ wharf: { broker: { url: 'http://x', port: 1883 } } });
    expect(errors(r).map((e) => [e.path, e.message])).toEqual([
      [
        'wharf.broker',
        'both "url" (external broker) and "host"/"port"/"tls" (embedded broker) are set',
      ],
      ['wharf.broker.url', '"http://x" is not a broker URL'],
    ]);
  });
  it('needs an API key for a cloud target (config or WHARF_API_KEY)', () => {
    const e = onlyError({ wharf: { sync: { url: 'http://cloud:8080' } } });
    expect(e.message).toBe('a cloud sync target needs an API key');
    expect(e.hint).toMatch(/WHARF_API_KEY/);
    const r = load(
      { wharf: { sync: { url: 'http://cloud:8080', api_key: 'from-file' } } },
      { env: { HOME: '/h', WHARF_API_KEY: 'from-env' } },
    );
    expect(r.ok && r.plan.gateway.sync).toEqual({
      kind: 'cloud',
      url: 'http://cloud:8080',
      api_key: 'from-env',
    });
  });
  it('rejects a sync target with both or neither of url and dir, and a non-http url', () => {
    expect(
      onlyError({ wharf: { sync: { url: 'http://c', dir: '/d', api_key: 'k' } } }).message,
    ).toMatch(/both "url" \(cloud\) and "dir"/);
    expect(onlyError({ wharf: { sync: {} } }).message).toMatch(/needs "url" \(cloud\) or "dir"/);
    expect(onlyError({ wharf: { sync: { url: 'ftp://c', api_key: 'k' } } }).message).toBe(
      '"ftp://c" is not an http(s) URL',
    );
  });
  it('rejects a port out of range', () => {
    const e = onlyError({ wharf: { http: { port: 70000 } } });
    expect([e.path, e.message]).toEqual(['wharf.http.port', 'must be at most 65535 (found 70000)']);
    expect(onlyError({ wharf: { broker: { port: -1 } } }).message).toBe(
      'must not be negative (found -1)',
    );
  });
});

describe('every problem at once', () => {
  it('collects all errors of a file in one pass, sorted by line', () => {
    const text = `{
  "services": [{"type": "data_manager", "attributes": {"sync_interval_mins": -1}}],
  "components": [{"name": "b", "type": "board", "attributes": {"address": "serial://"}}],
  "remotes": [
    {"name": "r", "address": "sim://r", "components": [${JSON.stringify(BOARD)}],
     "service_configs": [{"type": "data_manager", "attributes": {"capture_methods": [
        {"name": "rdk:component:board/nope", "method": "Analogs", "capture_frequency_hz": 1, "additional_params": {"reader_name": "A1"}},
        {"name": "rdk:component:board/my-esp32", "method": "Analogs", "capture_frequency_hz": 1, "additional_params": {"reader_name": "Z9"}}
     ]}}]}
  ]
}`;
    const r = load(text);
    expect(r.ok).toBe(false);
    expect(errors(r).map((e) => e.line)).toEqual([2, 3, 7, 8]);
  });
});

describe('hints', () => {
  it('every error carries a hint', () => {
    const r = load({
      components: [{ name: '' }, { name: 'b', type: 'board', attributes: { pins: 'x' } }],
      services: [{ type: 'data_manager', attributes: { capture_dir: 7, sync_disabled: 'no' } }],
      remotes: [
        {
          name: 'r',
          address: 'sim://r',
          secret: 5,
          service_configs: [
            { type: 'data_manager', attributes: { capture_methods: [{ method: 5 }, 'x'] } },
          ],
        },
      ],
      wharf: { machine: 3, sync: 'http://x' },
    });
    const errs = errors(r);
    expect(errs.length).toBeGreaterThanOrEqual(8);
    for (const e of errs) expect(e.hint, `${e.path}: ${e.message}`).toMatch(/\S/);
  });
});

describe('messages never carry credentials', () => {
  it('hides the userinfo of an address in warnings and errors', () => {
    const r = load({
      remotes: [
        { name: 'a', address: 'https://me:pw123@cloud.example' },
        { name: 'b', address: 'serial://me:pw456@' },
      ],
    });
    const text = JSON.stringify(r.issues);
    expect(text).toContain('https://***@cloud.example');
    expect(text).not.toMatch(/pw123|pw456/);
  });
});
