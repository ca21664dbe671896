import fs from 'node:fs';
import path from 'node:path';

// The repository stands on its own (DESIGN.md §9): a clone with nothing beside it passes
// `npm install && npm test`, so no code may read a folder beside the checkout.
const REPO = path.resolve(__dirname, '../..');
const CODE = /\.(ts|js|cjs|mjs)$/;
const VENDORED = path.join(REPO, 'test', 'conformance');
// Built from parts so that this file does not match itself.
const SIBLING = new RegExp(`\\.\\./(\\.\\./)*${'sha'}red\\b|['"]${'sha'}red['"]`);

function codeFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return full === VENDORED ? [] : codeFiles(full);
    return CODE.test(entry.name) ? [full] : [];
  });
}

interface Manifest {
  main?: string;
  bin?: Record<string, string>;
}

describe('the repository stands on its own', () => {
  test('no source, test or script names a folder beside the checkout', () => {
    const files = [
      ...['src', 'test', 'scripts'].flatMap((d) => codeFiles(path.join(REPO, d))),
      path.join(REPO, 'jest.config.js'),
    ];
    const offenders = files
      .filter((f) => SIBLING.test(fs.readFileSync(f, 'utf8')))
      .map((f) => path.relative(REPO, f));
    expect(offenders).toEqual([]);
  });

  test('package.json entry points name files the build produces from src/', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as Manifest;
    const entries = [manifest.main, ...Object.values(manifest.bin ?? {})].filter(
      (e): e is string => e !== undefined,
    );
    const missing = entries.filter((entry) => {
      const source = entry.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts');
      return !fs.existsSync(path.join(REPO, source));
    });
    expect(missing).toEqual([]);
  });
});
