// Layering rules of DESIGN.md §9: dependencies point inward; the pure core does no I/O.
const PURE = '^src/(domain|mapping|fhir|consent|outbox)/';
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
module.exports = {
  forbidden: [
    {
      name: 'pure-core-no-io',
      comment: 'domain, mapping, fhir, consent and outbox are pure: no I/O modules',
      severity: 'error',
      from: { path: PURE },
      to: {
        path: `^(node:)?(${IO_MODULES.map((m) => m.replace(/[/.]/g, '\\$&')).join('|')})$`,
        dependencyTypes: ['core', 'npm', 'npm-dev', 'npm-no-pkg', 'unknown'],
      },
    },
    {
      name: 'pure-core-no-outer-layers',
      comment: 'the pure core must not import the outer layers',
      severity: 'error',
      from: { path: PURE },
      to: { path: '^src/(delivery|audit|store|app|http|cli|schedule)/|^src/(config|main)\\.ts$' },
    },
    {
      name: 'domain-is-innermost',
      severity: 'error',
      comment: 'domain may build OperationOutcomes (a pure value builder), nothing else of fhir',
      from: { path: '^src/domain/' },
      to: { path: '^src/(mapping|fhir|consent|outbox)/', pathNot: '^src/fhir/outcomes\\.ts$' },
    },
    {
      name: 'use-cases-not-entry-points',
      comment: 'app/ holds use cases; entry points depend on it, never the reverse',
      severity: 'error',
      from: { path: '^src/(app|store|delivery|audit)/' },
      to: { path: '^src/(http|cli|schedule)/|^src/main\\.ts$' },
    },
    {
      name: 'adapters-not-app-internals',
      comment:
        'delivery and store are adapters: they import nothing from app/ (a port type they need lives outside app/, e.g. store/store-port.ts or consent/)',
      severity: 'error',
      from: { path: '^src/(delivery|store)/' },
      to: { path: '^src/app/' },
    },
    {
      name: 'only-main-builds-adapters',
      comment: 'entry points receive adapters from the composition root',
      severity: 'error',
      from: { path: '^src/(http|app)/' },
      to: { path: '^src/store/(sqlite|postgres)-store' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
