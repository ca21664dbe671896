import path from 'node:path';

/** Third-party conformance material (../shared/conformance/README.md); never edited here. */
export const CONFORMANCE_DIR = path.resolve(__dirname, '../../../shared/conformance');
