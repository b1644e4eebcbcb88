/** Resolution of valid configs: normalisation, warnings that do not stop a start, defaults. */
import { describe, expect, it } from 'vitest';
import { BOARD, errors, load, planOf, warnings, withRemote } from './helpers.js';

const NAME = 'rdk:component:board/my-esp32';

describe('capture methods', () => {
  it('normalises both spellings to one entry per resource, method and reader set', () => {
    const plan = planOf(
      load(
        withRemote([
          {
            name: NAME,
            method: 'Analogs',
            capture_frequency_hz: 2,
            additional_params: { reader_name: 'A1' },
          },
          {
            name: NAME,
            method: 'Analogs',
            capture_frequency_hz: 3,
            additional_params: { A2: '', A1: '' },
          },
          {
            name: NAME,
            method: 'Gpio',
            capture_frequency_hz: 1,
            additional_params: { pin_name: '27' },
          },
          {
            name: `esp-home:${NAME}`,
            method: 'Gpios',
            capture_frequency_hz: 4,
            additional_params: { '27': '', '4': '' },
          },
        ]),
      ),
    );
    expect(plan.entries.map((e) => [e.key, e.method, e.readers, e.hz])).toEqual([
      ['esp-home/board/my-esp32/Analogs/A1', 'Analogs', ['A1'], 2],
      ['esp-home/board/my-esp32/Analogs/A1,A2', 'Analogs', ['A1', 'A2'], 3],
      ['esp-home/board/my-esp32/Gpio/27', 'Gpio', ['27'], 1],
      ['esp-home/board/my-esp32/Gpio/4,27', 'Gpio', ['4', '27'], 4],
    ]);
    expect(
      plan.entries.every(
        (e) => e.supported && e.resource === NAME && e.component_name === 'my-esp32',
      ),
    ).toBe(true);
    expect(plan.boards).toEqual([
      {
        id: 'esp-home',
        address: 'sim://esp-home',
        transport: 'sim',
        components: [
          {
            name: 'my-esp32',
            type: 'board',
            hardware: {
              analogs: [
                { name: 'A1', pin: '34' },
                { name: 'A2', pin: '35' },
              ],
              pins: ['27', '4'],
            },
          },
        ],
      },
    ]);
  });

  it('keeps additional_params as written and merges tags (service first, deduplicated)', () => {
    const plan = planOf(
      load(
        withRemote([
          {
            name: NAME,
            method: 'Analogs',
            capture_frequency_hz: 1,
            additional_params: { reader_name: 'A1', unit: 'V' },
            tags: ['x', 'svc', 'x'],
          },
        ]),
      ),
    );
    expect(plan.entries[0]?.additional_params).toEqual({ reader_name: 'A1', unit: 'V' });
    expect(plan.entries[0]?.tags).toEqual(['svc', 'x']);
  });

  it('turns a method off with a warning at 0 Hz or without a frequency, silently when disabled', () => {
    const r = load(
      withRemote([
        {
          name: NAME,
          method: 'Analogs',
          capture_frequency_hz: 0,
          additional_params: { reader_name: 'A1' },
        },
        { name: NAME, method: 'Analogs', additional_params: { reader_name: 'A2' } },
        {
          name: NAME,
          method: 'Gpio',
          capture_frequency_hz: 5,
          disabled: true,
          additional_params: { pin_name: '27' },
        },
      ]),
    );
    expect(planOf(r).entries).toEqual([]);
    expect(warnings(r).map((w) => [w.path, w.message])).toEqual([
      [
        'remotes[0].service_configs[0].attributes.capture_methods[0].capture_frequency_hz',
        `Analogs of ${NAME} is off: capture_frequency_hz is 0`,
      ],
      [
        'remotes[0].service_configs[0].attributes.capture_methods[1].capture_frequency_hz',
        `Analogs of ${NAME} is off: capture_frequency_hz is absent`,
      ],
    ]);
  });

  it('refuses an unknown method with an error, and suggests the right case', () => {
    const r = load(
      withRemote([
        {
          name: NAME,
          method: 'analogs',
          capture_frequency_hz: 1,
          additional_params: { reader_name: 'A1' },
        },
      ]),
    );
    expect(r.ok).toBe(false);
    expect(errors(r)[0]?.message).toBe(`unknown capture method "analogs" for ${NAME}`);
    expect(errors(r)[0]?.hint).toMatch(
      /^did you mean "Analogs"\? \(method names are case-sensitive/,
    );
  });

  it('takes a remote with a foreign address (a Viam cloud host) as a board dialing in over MQTT', () => {
    const r = load(
      withRemote(
        [
          {
            name: NAME,
            method: 'Gpio',
            capture_frequency_hz: 1,
            additional_params: { pin_name: '27' },
          },
        ],
        { address: 'esp-home.abc.viam.cloud:80' },
      ),
    );
    const plan = planOf(r);
    expect(plan.boards[0]?.transport).toBe('mqtt');
    expect(plan.boards[0]?.address).toBe(`mqtt://${plan.boards[0]?.id}`);
    expect(plan.boards[0]?.dial_in).toBe('esp-home.abc.viam.cloud:80');
    expect(plan.entries[0]?.supported).toBe(true);
    expect(warnings(r).map((w) => w.path)).toContain('remotes[0].address');
  });

  it('captures the methods in a remote part config (as in the seed esp32-board-part.json)', () => {
    const part = JSON.stringify({
      components: [
        {
          ...BOARD,
          service_configs: [
            {
              type: 'data_manager',
              attributes: {
                capture_methods: [
                  {
                    method: 'Analogs',
                    capture_frequency_hz: 10,
                    additional_params: { reader_name: 'A2' },
                  },
                ],
              },
            },
          ],
        },
      ],
    });
    const r = load(
      withRemote(
        [
          {
            name: NAME,
            method: 'Gpio',
            capture_frequency_hz: 1,
            additional_params: { pin_name: '4' },
          },
        ],
        { components: undefined, part_config: 'esp.json' },
      ),
      {
        parts: { 'esp.json': part },
      },
    );
    expect(planOf(r).entries.map((e) => e.key)).toEqual([
      'esp-home/board/my-esp32/Gpio/4',
      'esp-home/board/my-esp32/Analogs/A2',
    ]);
    expect(planOf(r).boards[0]?.components[0]?.hardware.pins).toEqual(['27', '4']);
  });

  it('matches across remotes and names candidates from every remote when nothing matches', () => {
    const cfg = withRemote([
      {
        name: 'rdk:component:board/other-esp',
        method: 'Gpio',
        capture_frequency_hz: 1,
        additional_params: { pin_name: '5' },
      },
    ]);
    cfg.remotes.push({
      name: 'r2',
      address: 'mqtt://r2',
      components: [{ name: 'other-esp', type: 'board', attributes: { pins: [5] } }] as never,
      service_configs: [],
    });
    expect(planOf(load(cfg)).entries.map((e) => [e.boardId, e.key])).toEqual([
      ['r2', 'r2/board/other-esp/Gpio/5'],
    ]);
    cfg.remotes[0]!.service_configs = [
      {
        type: 'data_manager',
        attributes: {
          capture_methods: [
            {
              name: 'rdk:component:board/othr-esp',
              method: 'Gpio',
              capture_frequency_hz: 1,
              additional_params: { pin_name: '5' },
            },
          ],
        },
      },
    ];
    const e = errors(load(cfg))[0];
    expect(e?.message).toBe('"rdk:component:board/othr-esp" matches no component on any remote');
    expect(e?.hint).toBe(
      'closest: r2:rdk:component:board/other-esp, esp-home:rdk:component:board/my-esp32',
    );
  });

  it('captures from local board components with a wharf address', () => {
    const r = load({
      components: [
        {
          ...BOARD,
          attributes: { ...BOARD.attributes, address: 'serial:///dev/ttyUSB0?baud=115200' },
          service_configs: [
            {
              type: 'data_manager',
              attributes: {
                capture_methods: [
                  {
                    method: 'Analogs',
                    capture_frequency_hz: 10,
                    additional_params: { reader_name: 'A1' },
                  },
                ],
              },
            },
          ],
        },
      ],
    });
    const plan = planOf(r);
    expect(plan.boards[0]).toMatchObject({
      id: 'my-esp32',
      transport: 'serial',
      address: 'serial:///dev/ttyUSB0?baud=115200',
    });
    expect(plan.entries[0]).toMatchObject({
      key: 'my-esp32/board/my-esp32/Analogs/A1',
      supported: true,
    });
  });

  it('accepts the api spelling of a component type and tolerates unknown keys', () => {
    const r = load({
      some_future_key: { x: 1 },
      components: [
        {
          name: 'b',
          api: 'rdk:component:board',
          attributes: { address: 'sim://b', pins: ['13'], frobnicate: true },
          depends_on: ['x'],
          service_configs: [
            {
              type: 'data_manager',
              attributes: {
                capture_methods: [
                  { method: 'Gpio', capture_frequency_hz: 1, additional_params: { pin_name: 13 } },
                ],
              },
            },
          ],
        },
      ],
    });
    expect(planOf(r).entries.map((e) => e.key)).toEqual(['b/board/b/Gpio/13']);
  });

  it('warns about an MQTT board without a secret', () => {
    const r = load({
      services: [{ type: 'data_manager' }],
      remotes: [
        { name: 'esp', address: 'mqtt://esp' },
        { name: 'esp2', address: 'mqtt://esp2', secret: 's' },
      ],
    });
    expect(warnings(r).map((w) => [w.path, w.message])).toEqual([
      [
        'remotes[0]',
        'remote "esp" reaches its board over MQTT without a "secret": any client on the broker could publish as this board',
      ],
    ]);
    expect(planOf(r).boards.map((b) => [b.id, b.transport, b.secret])).toEqual([
      ['esp', 'mqtt', undefined],
      ['esp2', 'mqtt', 's'],
    ]);
  });

  it('warns that nothing is captured when capture_disabled is true', () => {
    const r = load({
      services: [{ name: 'dm', type: 'data_manager', attributes: { capture_disabled: true } }],
    });
    expect(warnings(r).map((w) => w.path)).toEqual(['services[0].attributes.capture_disabled']);
  });
});

describe('data_manager and wharf defaults', () => {
  it('fills Viam defaults and wharf defaults', () => {
    const plan = planOf(load({ services: [{ name: 'data_manager', type: 'data_manager' }] }));
    expect(plan.dataManager).toEqual({
      capture_dir: '/home/tester/.wharf/capture',
      sync_interval_mins: 0.1,
      sync_disabled: false,
      capture_disabled: false,
      tags: [],
      maximum_capture_file_size_bytes: 262144,
      disk_usage_deletion_threshold: 0.9,
      capture_dir_deletion_threshold: 0.5,
      delete_every_nth_when_disk_full: 5,
      flush_interval_ms: 1000,
      capture_dir_max_bytes: null,
      maximum_capture_file_age_ms: 60000,
      disk_budget_interval_ms: 10000,
    });
    expect(plan.gateway).toEqual({
      broker: { mode: 'embedded', host: '127.0.0.1', port: 1883 },
      sync: null,
      http: { host: '127.0.0.1', port: 8787 },
    });
  });

  it.each([
    ['', { HOME: '/h', WHARF_HOME: '/srv/wharf' }, '/srv/wharf/capture'],
    ['', { HOME: '/h', WHARF_HOME: '~/wh' }, '/h/wh/capture'],
    ['~', { HOME: '/h' }, '/h'],
    ['~/data/cap', { HOME: '/h' }, '/h/data/cap'],
    ['rel/cap', { HOME: '/h' }, '/cfg/rel/cap'],
    ['/abs/cap', { HOME: '/h', WHARF_HOME: '/x' }, '/abs/cap'],
  ])('capture_dir %j with %j → %s', (dir, env, want) => {
    expect(
      planOf(
        load({ services: [{ type: 'data_manager', attributes: { capture_dir: dir } }] }, { env }),
      ).dataManager.capture_dir,
    ).toBe(want);
  });

  it('reads the wharf section: machine, part_id, external broker, dir sync target, http off', () => {
    const plan = planOf(
      load({
        wharf: {
          machine: 'line-3',
          broker: { url: 'mqtt://mosquitto.local:1883', username: 'gw', password: 'pw' },
          sync: { dir: '~/usb' },
          http: null,
        },
      }),
    );
    expect(plan.machine).toBe('line-3');
    expect(plan.part_id).toBe('line-3');
    expect(plan.gateway).toEqual({
      broker: {
        mode: 'external',
        url: 'mqtt://mosquitto.local:1883',
        username: 'gw',
        password: 'pw',
      },
      sync: { kind: 'dir', path: '/home/tester/usb' },
      http: null,
    });
    const p2 = planOf(
      load({
        wharf: {
          part_id: 'p',
          broker: { port: 0, tls: { cert: 'c.pem', key: 'k.pem' } },
          http: { port: 0 },
        },
      }),
    );
    expect(p2.part_id).toBe('p');
    expect(p2.gateway.broker).toEqual({
      mode: 'embedded',
      host: '127.0.0.1',
      port: 0,
      tls: { cert: '/cfg/c.pem', key: '/cfg/k.pem' },
    });
    expect(p2.gateway.http).toEqual({ host: '127.0.0.1', port: 0 });
  });
});
