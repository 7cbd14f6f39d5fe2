/**
 * Import rules (`npm run lint` runs them with dependency-cruiser): no cycles, and imports point
 * down the layers. The sources are read with swc, since dependency-cruiser cannot load the
 * TypeScript 7 compiler.
 */

/** The only lib/ files that may import stages/ (the stage catalogue). Empty it once stages/index.ts holds the catalogue. */
const LIB_FILES_THAT_MAY_IMPORT_STAGES = ['lib/registry.ts', 'lib/core/registry.ts', 'lib/index.ts'];

const exactly = (files) => files.map((file) => `^${file.replaceAll('.', '\\.')}$`);

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
      comment: 'lib/ is what stages are built on; it never imports a stage (only the catalogue does, until it moves to stages/index.ts).',
      severity: 'error',
      from: { path: '^lib/', pathNot: exactly(LIB_FILES_THAT_MAY_IMPORT_STAGES) },
      to: { path: '^stages/' },
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
