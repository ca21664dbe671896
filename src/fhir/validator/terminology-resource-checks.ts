import { issue } from '../outcomes';
import { checkCodeSystemProperties } from './codesystem-rules';
import type { CheckContext } from './context';
import { eclSyntaxError } from './ecl-syntax';
import { stripVersion } from './terminology';
import { isJsonObject } from '../json-object';

type Json = Record<string, unknown>;

const records = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isJsonObject) : []);

const SNOMED_CT = 'http://snomed.info/sct';
// https://hl7.org/fhir/R4/codesystem-definitions.html#CodeSystem.property.type: a Coding-typed
// property's filter value is written `system(|version)#code`, as the HL7 validator reads it.
const CODING_FILTER_VALUE = /^([^|#\s]+)(\|[^#]*)?#(.+)$/;

/**
 * Rules on the terminology resources themselves, beyond their structure: CodeSystem properties
 * (codesystem-rules.ts), ValueSet filters, and the source codes of a ConceptMap.
 */
export function checkTerminologyResource(resource: Json, path: string, ctx: CheckContext): void {
  switch (resource.resourceType) {
    case 'CodeSystem':
      checkCodeSystemProperties(resource, path, ctx);
      break;
    case 'ValueSet':
      checkValueSetFilters(resource, path, ctx);
      break;
    case 'ConceptMap':
      checkConceptMapSources(resource, path, ctx);
      break;
    default:
  }
}

/**
 * ValueSet.compose filters (https://hl7.org/fhir/R4/valueset.html#compose): a filter on a
 * Coding-typed property of a loaded code system names a code as `system(|version)#code`, and that
 * code exists when its code system is loaded complete; a SNOMED CT `constraint` filter is an ECL
 * expression (https://hl7.org/fhir/R4/snomedct.html#filter).
 */
function checkValueSetFilters(vs: Json, path: string, ctx: CheckContext): void {
  const compose = isJsonObject(vs.compose) ? vs.compose : undefined;
  for (const part of ['include', 'exclude'] as const) {
    records(compose?.[part]).forEach((inc, i) => {
      const system = typeof inc.system === 'string' ? inc.system : undefined;
      if (!system) return;
      records(inc.filter).forEach((filter, f) => {
        if (typeof filter.property !== 'string' || typeof filter.value !== 'string') return;
        const at = `${path}.compose.${part}[${i}].filter[${f}]`;
        const why = filterValueProblem(system, filter.property, filter.value, ctx);
        if (why) ctx.issues.push(issue({ code: 'invalid', text: why, expression: at }));
      });
    });
  }
}

function filterValueProblem(
  system: string,
  property: string,
  value: string,
  ctx: CheckContext,
): string | undefined {
  if (stripVersion(system) === SNOMED_CT && property === 'constraint') {
    const why = eclSyntaxError(value);
    return why ? `The value '${value}' of the constraint filter is not valid ECL: ${why}.` : undefined;
  }
  const declared = records(ctx.terminology.codeSystem(system)?.property).find((p) => p.code === property);
  if (declared?.type !== 'Coding') return undefined;
  const m = CODING_FILTER_VALUE.exec(value);
  if (!m) {
    return `The value of a filter on the Coding property '${property}' must be written system(|version)#code, not '${value}'.`;
  }
  const [, codeSystem = '', , code = ''] = m;
  if (ctx.terminology.lookup(codeSystem, code) === 'unknown') {
    return `The value of the filter on property '${property}' is '${value}', which is not a valid code: unknown code '${code}' in the CodeSystem '${codeSystem}'.`;
  }
  return undefined;
}

/**
 * ConceptMap source codes (https://hl7.org/fhir/R4/conceptmap.html): a group maps codes of its
 * `source` system in the context of the map's source value set, so when that value set can be
 * expanded here and includes the group's system, each mapped code is one of its codes.
 */
function checkConceptMapSources(cm: Json, path: string, ctx: CheckContext): void {
  const source = [cm.sourceCanonical, cm.sourceUri].find((s): s is string => typeof s === 'string');
  const expansion = source ? ctx.terminology.expand(source) : undefined;
  if (!source || !expansion) return;
  records(cm.group).forEach((group, g) => {
    if (typeof group.source !== 'string') return;
    const system = stripVersion(group.source);
    const prefix = `${system}|`;
    if (![...expansion.pairs].some((p) => p.startsWith(prefix))) return;
    records(group.element).forEach((element, e) => {
      if (typeof element.code !== 'string' || expansion.pairs.has(`${prefix}${element.code}`)) return;
      ctx.issues.push(
        issue({
          code: 'required',
          text: `The source code '${element.code}' is not in the map's source value set ${source}.`,
          expression: `${path}.group[${g}].element[${e}].code`,
        }),
      );
    });
  });
}
