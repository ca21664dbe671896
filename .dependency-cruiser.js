// Layering rules of DESIGN.md §9: dependencies point inward; the pure core does no I/O.
const PURE = '^src/(domain|mapping|fhir|consent|outbox|audit)/';
const IO_MODULES = [
  'express',
  'better-sqlite3',
  'pg',
  'node-cron',
  'pino',
  'prom-client',
  'helmet',
  'commander',
  'fs',
  'node:fs',
  'fs/promises',
  'node:fs/promises',
  'http',
  'node:http',
  'https',
  'node:https',
  'net',
  'node:net',
  'dns',
  'node:dns',
  'child_process',
  'node:child_process',
];
// Programs: the CLI (and the worker threads of its validate command), and the snapshot generator
// that scripts/build-profiles.js runs from its sources.
const PROGRAMS = '^src/(entry/cli/main|entry/cli/validate-worker|fhir/snapshot/index)\\.ts$';
module.exports = {
  forbidden: [
    {
      name: 'pure-core-no-io',
      comment: 'domain, mapping, fhir, consent, outbox and audit are pure: no I/O modules',
      severity: 'error',
      from: { path: PURE },
      to: {
        path: `^(node:)?(${IO_MODULES.map((m) => m.replace(/[/.]/g, '\\$&')).join('|')})$`,
        dependencyTypes: ['core', 'npm', 'npm-dev', 'npm-no-pkg', 'unknown'],
      },
    },
    {
      name: 'pure-core-no-outer-layers',
      comment: 'the pure core imports nothing of the layers around it',
      severity: 'error',
      from: { path: PURE },
      to: { path: '^src/(app|adapters|entry|bootstrap|sandbox)/' },
    },
    {
      name: 'domain-is-innermost',
      severity: 'error',
      comment: 'domain may build OperationOutcomes (a pure value builder), nothing else of fhir',
      from: { path: '^src/domain/' },
      to: { path: '^src/(mapping|fhir|consent|outbox|audit)/', pathNot: '^src/fhir/outcomes\\.ts$' },
    },
    {
      name: 'app-not-outer-layers',
      comment:
        'app/ holds use cases and their ports; adapters, entry points and bootstrap depend on it, never the reverse',
      severity: 'error',
      from: { path: '^src/app/' },
      to: { path: '^src/(adapters|entry|bootstrap|sandbox)/' },
    },
    {
      name: 'adapters-only-app-ports',
      comment: 'adapters implement the ports of app/ (src/app/ports*), never import its use cases',
      severity: 'error',
      from: { path: '^src/adapters/' },
      to: { path: '^src/app/', pathNot: '^src/app/ports' },
    },
    {
      name: 'adapters-not-entry-or-bootstrap',
      comment: 'adapters are built by the composition root and know nothing of who calls them',
      severity: 'error',
      from: { path: '^src/adapters/' },
      to: { path: '^src/(entry|bootstrap|sandbox)/' },
    },
    {
      name: 'entry-not-adapters',
      comment:
        'entry points get adapters from the composition root (src/bootstrap/), never build or import one',
      severity: 'error',
      from: { path: '^src/entry/' },
      to: { path: '^src/adapters/' },
    },
    {
      name: 'no-orphans',
      comment: 'a module nothing imports is dead code (entry points and type-only files excepted)',
      severity: 'error',
      from: {
        orphan: true,
        // The dashboard's browser scripts are loaded by the page (src/entry/http/ui/index.html).
        pathNot: ['\\.d\\.ts$', '^src/entry/cli/main\\.ts$', '^src/entry/http/ui/'],
      },
      to: {},
    },
    {
      name: 'no-unreachable',
      comment:
        'every module is reachable from a program (the CLI, the profile build): an orphan that still imports something is dead code too',
      severity: 'error',
      from: { path: PROGRAMS },
      to: { path: '^src/', pathNot: [PROGRAMS, '\\.d\\.ts$', '^src/entry/http/ui/'], reachable: false },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
