import fs from 'node:fs';
import path from 'node:path';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { loadFhirPackage } from '../../src/adapters/fhir-packages/load-package';
import { createValidator } from '../../src/fhir/validator';
import type { FhirPackageContents, FhirValidator, ValidateOptions } from '../../src/fhir/validator';
import { CONFORMANCE_DIR, US_CORE_PACKAGE } from './conformance-paths';

/**
 * The extended set of HL7 validator cases (test/conformance/hl7-validator-extended/README.md): 77
 * more R4 cases, with the options and supporting definitions the HL7 harness loads. A case agrees
 * when our valid/invalid call (any error or fatal issue) is Java's (`expectedErrorCount > 0`).
 */
interface ManifestCase {
  name: string;
  file: string;
  options: Record<string, unknown>;
  expectedErrorCount: number;
}

interface DisagreementGroup {
  group: string;
  cases: { name: string }[];
}

const dir = path.join(CONFORMANCE_DIR, 'hl7-validator-extended');
const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
  cases: ManifestCase[];
};
// The kind each case that disagreed at the last measurement was filed under (agreement.json), so
// that what still disagrees is listed by kind.
const groups = (
  JSON.parse(fs.readFileSync(path.join(dir, 'agreement.json'), 'utf8')) as {
    disagreementGroups: DisagreementGroup[];
  }
).disagreementGroups;
const groupOf = new Map(groups.flatMap((g) => g.cases.map((c) => [c.name, g.group] as const)));

/** Case options → validator flags, as the set's README maps them to CLI flags. */
function toOptions(options: Record<string, unknown>): ValidateOptions {
  return {
    securityChecks: options['security-checks'] === true,
    noHtmlInMarkdown: options.noHtmlInMarkdown === true,
    forbidExampleUrls: options.examples === false,
    allowComments: options['allow-comments'] === true,
    validateContains: options.validateContains === 'IGNORE' ? 'ignore' : 'check',
  };
}

/** The supporting files of a case, as one package (what `--ig FOLDER` of copies of them loads). */
function supportingPackage(files: string[]): FhirPackageContents {
  const contents: FhirPackageContents = { structureDefinitions: [], valueSets: [], codeSystems: [] };
  for (const file of files) {
    const r = JSON.parse(fs.readFileSync(path.join(dir, 'cases', file), 'utf8')) as { resourceType: string };
    if (r.resourceType === 'StructureDefinition') contents.structureDefinitions.push(r as never);
    else if (r.resourceType === 'ValueSet') contents.valueSets.push(r as never);
    else if (r.resourceType === 'CodeSystem') contents.codeSystems.push(r as never);
  }
  return contents;
}

const packageFiles: Record<string, string> = { 'hl7.fhir.us.core#3.1.0': US_CORE_PACKAGE };

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

const errorsOf = (issues: OperationOutcomeIssue[] | undefined): OperationOutcomeIssue[] =>
  (issues ?? []).filter((i) => i.severity === 'error' || i.severity === 'fatal');

describe('HL7 reference validator cases, extended set (R4, with supporting definitions)', () => {
  const validators = new Map<string, FhirValidator>();
  const validatorFor = (options: Record<string, unknown>): FhirValidator => {
    const supporting = stringList(options.supporting);
    const packages = stringList(options.packages);
    const key = JSON.stringify([supporting, packages]);
    let v = validators.get(key);
    if (!v) {
      const loaded = packages.map((p) => {
        const file = packageFiles[p];
        if (!file) throw new Error(`package ${p} is not vendored`);
        return loadFhirPackage(file);
      });
      if (supporting.length) loaded.push(supportingPackage(supporting));
      v = createValidator({ packages: loaded });
      validators.set(key, v);
    }
    return v;
  };

  test('the valid/invalid call agrees with the HL7 Java validator on at least 74 of 77 cases (85% asked; 74 measured)', () => {
    const lines: string[] = [];
    const disagreements: { kind: string; line: string }[] = [];
    for (const c of manifest.cases) {
      const text = fs.readFileSync(path.join(dir, 'cases', c.file), 'utf8');
      const result = validatorFor(c.options).validateText(text, toOptions(c.options));
      const errors = errorsOf(result.issue);
      const javaInvalid = c.expectedErrorCount > 0;
      const agree = errors.length > 0 === javaInvalid;
      const call = agree ? 'agree' : javaInvalid ? 'missed invalid' : 'false invalid';
      lines.push(
        `${agree ? 'ok  ' : 'DIFF'} ${c.name}: Java ${c.expectedErrorCount} error(s), ours ${errors.length}`,
      );
      if (!agree) {
        const shown = errors
          .map((i) => `[${i.expression?.join(',') ?? ''}] ${i.details?.text ?? ''}`)
          .join(' | ')
          .slice(0, 300);
        disagreements.push({
          kind: `${groupOf.get(c.name) ?? 'other'} (${call})`,
          line: `${c.name}${shown ? `: ${shown}` : ''}`,
        });
      }
    }
    const agreed = manifest.cases.length - disagreements.length;
    const byKind = new Map<string, string[]>();
    for (const d of disagreements) byKind.set(d.kind, [...(byKind.get(d.kind) ?? []), d.line]);
    console.log(
      `HL7 validator extended cases: ${agreed}/${manifest.cases.length} agree ` +
        `(${((100 * agreed) / manifest.cases.length).toFixed(1)}%)\n  ${lines.join('\n  ')}` +
        [...byKind].map(([kind, cases]) => `\n disagreements, ${kind}:\n  ${cases.join('\n  ')}`).join(''),
    );
    expect(manifest.cases).toHaveLength(77);
    expect(agreed).toBeGreaterThanOrEqual(74);
  });
});
