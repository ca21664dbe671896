// @ts-check
const eslint = require('@eslint/js');
const tseslint = require('typescript-eslint');
const regexp = require('eslint-plugin-regexp');

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'profiles/**', 'fixtures/**', 'coverage/**', 'data/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  // DESIGN.md §8 "Trust at the edge": every regular expression is linear-time, so no input can
  // make a pattern block the event loop (ReDoS). The recommended set includes both ReDoS rules;
  // they are named again so that loosening the set cannot silently drop them. Its pure-spelling
  // rules are off: they would rewrite correct patterns (FHIR's own `[A-Za-z0-9\-\.]` id rule
  // into `[\w.-]` with an `i` flag) without making any of them safer.
  regexp.configs['flat/recommended'],
  {
    rules: {
      'regexp/no-super-linear-backtracking': 'error',
      'regexp/no-super-linear-move': 'error',
      'regexp/use-ignore-case': 'off',
      'regexp/prefer-d': 'off',
      'regexp/prefer-w': 'off',
      'regexp/no-unused-capturing-group': 'off',
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        __dirname: 'readonly',
        console: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The dashboard's browser scripts (served at /ui/): ES modules in a browser, no Node globals.
    files: ['src/entry/http/ui/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'document',
          'window',
          'location',
          'history',
          'sessionStorage',
          'fetch',
          'setTimeout',
          'setInterval',
          'clearInterval',
          'URLSearchParams',
          'FormData',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'error',
    },
  },
  {
    // DESIGN.md §9: the environment is read in the composition root only (bootstrap/settings.ts).
    files: ['src/**/*.ts'],
    ignores: ['src/bootstrap/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'read the environment in src/bootstrap/ only (DESIGN.md §9)',
        },
      ],
    },
  },
  {
    files: ['src/entry/cli/**/*.ts', 'scripts/**', 'test/**'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
);
