import fs from 'node:fs';
import path from 'node:path';
import { createValidator } from '../../src/fhir/validator';
import { CONFORMANCE_DIR } from './conformance-paths';

const dir = path.join(CONFORMANCE_DIR, 'r4-examples');
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('official FHIR R4 examples (all valid R4)', () => {
  const validator = createValidator();

  test('the folder holds the 177 examples the suite expects', () => {
    expect(files).toHaveLength(177);
  });

  test('every official example validates with no errors', () => {
    const failures: string[] = [];
    for (const file of files) {
      const result = validator.validateText(fs.readFileSync(path.join(dir, file), 'utf8'));
      const errors = (result.issue ?? []).filter((i) => i.severity === 'error' || i.severity === 'fatal');
      for (const e of errors)
        failures.push(`${file} [${e.expression?.join(',') ?? ''}] ${e.details?.text ?? ''}`);
    }
    console.log(
      `R4 examples: ${files.length - new Set(failures.map((f) => f.split(' ')[0])).size}/${files.length} without errors`,
    );
    expect(failures).toEqual([]);
  });
});
