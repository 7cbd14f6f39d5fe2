/**
 * Import rules (`npm run lint` runs them with dependency-cruiser): no cycles, and imports point
 * down the layers. The sources are read with swc, since dependency-cruiser cannot load the
 * TypeScript 7 compiler.
 */

/**
 * The layers above the stages that live in lib/ because the package exports them: the library
 * entry and the command layer. They reach the stages through the catalogue only.
 */
const ABOVE_THE_STAGES = ['^lib/index\\.ts$', '^lib/maintenance/'];

module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      comment: 'A module must not import itself through other modules: cycles make the load order matter and the layers meaningless.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'lib-not-on-stages',
      comment: 'lib/ is what stages are built on: the runtime and the domain modules never import a stage.',
      severity: 'error',
      from: { path: '^lib/', pathNot: ABOVE_THE_STAGES },
      to: { path: '^stages/' },
    },
    {
      name: 'stages-through-the-catalogue',
      comment: 'The library entry and the command layer name stages through the catalogue (stages/index.ts), never a stage file.',
      severity: 'error',
      from: { path: ABOVE_THE_STAGES },
      to: { path: '^stages/', pathNot: '^stages/index\\.ts$' },
    },
    {
      name: 'core-only-on-core',
      comment: 'lib/core/ is the runtime core: it imports only itself (and Node or npm packages).',
      severity: 'error',
      from: { path: '^lib/core/' },
      to: { path: '^(lib|stages|bin|bench|spec)/', pathNot: '^lib/core/' },
    },
    {
      name: 'lib-not-on-commands',
      comment: 'The command layer (lib/maintenance/) and bin/ sit on top of lib/: only the library entry and the command layer itself import them.',
      severity: 'error',
      from: { path: '^lib/', pathNot: ['^lib/index\\.ts$', '^lib/maintenance(/|\\.ts$)'] },
      to: { path: ['^bin/', '^lib/maintenance(/|\\.ts$)'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^dist/', '^spec/fixtures/'] },
    parser: 'swc',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
