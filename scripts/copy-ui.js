// `npm run build` step after tsc: the dashboard's static files (src/entry/http/ui/: HTML, CSS,
// browser JavaScript) are not TypeScript, so tsc does not emit them; they are copied next to the
// compiled `ui-static.js`, which serves the folder beside it, so the package (`files: dist`)
// ships them.
const fs = require('node:fs');
const path = require('node:path');

const from = path.join(__dirname, '..', 'src', 'entry', 'http', 'ui');
const to = path.join(__dirname, '..', 'dist', 'entry', 'http', 'ui');
fs.rmSync(to, { recursive: true, force: true });
fs.cpSync(from, to, { recursive: true });
