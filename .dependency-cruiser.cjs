/**
 * The arrows of docs/architecture.md, checked by `npm run lint:deps` (part of `npm run lint`, which
 * .ci/run runs). A new back-arrow, a cycle or shipped code reaching test/lab/build-only code fails CI.
 *
 * Layers, each importing only from its left (and from src/shared):
 *
 *   shared ← config ← boards ← capture ← sync | cloud ← app ← cli
 *   shared ← emulator ← app (the demo's emulated ESP32s)
 *
 * with three narrowings: capture sees boards only through the Board contract (board.ts, the registry
 * is injected); sync, capture and boards see config only as the plan (plan.ts: types and the period
 * helpers; names.ts: resource names), loading config files is for the composition roots; cloud (the
 * server a gateway ships to) knows nothing of the gateway's boards, of its config only the fragment
 * schema its fleet service serves, and reads capture files only through the format.
 */

/** A layer may import from itself, from src/shared and from the folders listed. */
function layer(name, allowed) {
  const others = ['config', 'boards', 'capture', 'sync', 'cloud', 'emulator', 'app', 'cli'].filter(
    (l) => l !== name && !allowed.includes(l),
  );
  return {
    name: `layer-${name}`,
    comment: `src/${name} imports only from its left (${['shared', ...allowed].join(', ')}); see docs/architecture.md`,
    severity: 'error',
    from: { path: `^src/${name}/` },
    to: { path: `^src/(${others.join('|')})/` },
  };
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment:
        'A cycle is a layer that does not know which way it points: cut it with a type module.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    layer('shared', []),
    layer('config', []),
    layer('boards', ['config']),
    layer('capture', ['config', 'boards']),
    layer('sync', ['config', 'capture']),
    {
      // the fleet service validates the config fragments it serves with the config layer's schema
      ...layer('cloud', ['capture']),
      to: {
        path: layer('cloud', ['capture']).to.path,
        pathNot: '^src/config/fragments[.]ts$',
      },
    },
    // the Espruino emulator the demo runs firmware bundles in: Node and src/shared only
    layer('emulator', []),
    layer('app', ['config', 'boards', 'capture', 'sync', 'cloud', 'emulator']),
    // cli may import everything in src.
    {
      name: 'capture-sees-only-the-board-contract',
      comment:
        'The capture engine gets its boards injected (BoardSource) and never loads a transport: only src/boards/board.ts.',
      severity: 'error',
      from: { path: '^src/capture/' },
      to: { path: '^src/boards/', pathNot: '^src/boards/board[.]ts$' },
    },
    {
      name: 'config-files-are-read-by-composition-roots',
      comment:
        'Below app/cli the config is the plan (src/config/plan.ts, and the resource-name rules in names.ts); loading and watching config files belongs to src/app and src/cli.',
      severity: 'error',
      from: { path: '^src/(boards|capture|sync)/' },
      to: { path: '^src/config/', pathNot: '^src/config/(plan|names)[.]ts$' },
    },
    {
      name: 'cloud-reads-capture-files-only-through-the-format',
      comment:
        'The cloud decodes uploaded files with src/capture/file-format.ts and nothing else of capture.',
      severity: 'error',
      from: { path: '^src/cloud/' },
      to: { path: '^src/capture/', pathNot: '^src/capture/file-format[.]ts$' },
    },
    {
      name: 'ui-bundle-takes-only-types-from-the-server',
      comment:
        'The browser bundle (src/cloud/ui/app) may take types, not code, from outside its folder.',
      severity: 'error',
      from: { path: '^src/cloud/ui/app/' },
      to: { path: '^src/', pathNot: '^src/cloud/ui/app/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'shipped-code-imports-no-lab-code',
      comment:
        'src/ is what npm pack ships: it never imports test/, hil/, bench/, scripts/ or the firmware toolchain.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|hil|bench|scripts|firmware)/' },
    },
    {
      name: 'shipped-code-uses-no-dev-dependency',
      comment:
        'A devDependency is not installed for a user (npm install --omit=dev): src/ may use one for types, or by a dynamic import that says what to install when it is missing (esbuild for a stale UI bundle, tsx for the firmware toolchain). The browser bundle (src/cloud/ui/app) is built by npm run build.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cloud/ui/app/' },
      to: {
        dependencyTypes: ['npm-dev'],
        dependencyTypesNot: ['type-only', 'type-import', 'dynamic-import'],
      },
    },
    {
      name: 'no-unresolvable',
      comment: 'An import that does not resolve is a typo or a missing dependency.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|firmware/build)/' },
    tsPreCompilationDeps: true,
    // node_modules may be a symlink (worktrees share one): keep its paths as node_modules/…
    preserveSymlinks: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.mjs', '.js', '.cjs', '.json', '.d.ts'],
    },
  },
};
