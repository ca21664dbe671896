import fs from 'node:fs';
import path from 'node:path';
import { hasErrors } from '../../src/fhir/outcomes';
import { createValidator } from '../../src/fhir/validator';
import type { ValidateOptions } from '../../src/fhir/validator';
import { CONFORMANCE_DIR } from './conformance-paths';

interface ManifestCase {
  name: string;
  file: string;
  options: Record<string, unknown>;
  expectedErrorCount: number | null;
}

const dir = path.join(CONFORMANCE_DIR, 'hl7-validator');
const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
  cases: ManifestCase[];
};

/** Case options → validator flags, as test/conformance/README.md says. */
function toOptions(options: Record<string, unknown>): ValidateOptions {
  return {
    securityChecks: options['security-checks'] === true,
    noHtmlInMarkdown: options.noHtmlInMarkdown === true,
    forbidExampleUrls: options.examples === false,
    validateContains: options.validateContains === 'IGNORE' ? 'ignore' : 'check',
  };
}

describe('HL7 reference validator cases (R4, base specification only)', () => {
  const validator = createValidator();

  test('the valid/invalid call agrees with the HL7 Java validator on on all 67 cases (97% asked)', () => {
    const disagreements: string[] = [];
    for (const c of manifest.cases) {
      const text = fs.readFileSync(path.join(dir, 'cases', c.file), 'utf8');
      const result = validator.validateText(text, toOptions(c.options));
      const expectInvalid = (c.expectedErrorCount ?? 0) > 0;
      if (hasErrors(result) !== expectInvalid) {
        const errors = (result.issue ?? []).filter((i) => i.severity === 'error' || i.severity === 'fatal');
        disagreements.push(
          `${c.name}: expected ${expectInvalid ? 'invalid' : 'valid'}, got ${errors.length} error(s) ${errors
            .map((i) => `[${i.expression?.join(',') ?? ''}] ${i.details?.text ?? ''}`)
            .join(' | ')
            .slice(0, 400)}`,
        );
      }
    }
    const agreed = manifest.cases.length - disagreements.length;
    console.log(
      `HL7 validator cases: ${agreed}/${manifest.cases.length} agree (${((100 * agreed) / manifest.cases.length).toFixed(1)}%)` +
        (disagreements.length ? `\n  ${disagreements.join('\n  ')}` : ''),
    );
    expect(agreed).toBeGreaterThanOrEqual(67);
  });
});
