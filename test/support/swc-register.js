// Lets a child `node` process require TypeScript sources, compiled with the same @swc/core that
// jest uses (`node -r ./test/support/swc-register.js script.ts`). For tests that must kill a real
// process (crash mid-transaction), which jest's in-process transform cannot do.
const fs = require('node:fs');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
