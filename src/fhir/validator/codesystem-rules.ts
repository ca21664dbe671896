import { issue } from '../outcomes';
import type { CheckContext } from './context';
import { isJsonObject } from '../json-object';

type Json = Record<string, unknown>;

const records = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isJsonObject) : []);

/**
 * The types of the concept properties the FHIR specification defines
 * (http://hl7.org/fhir/concept-properties: R4 defines the first five, R5 the rest). A CodeSystem
 * that declares one of these URIs declares that property, so it must give it its type.
 */
const KNOWN_PROPERTY_TYPES: ReadonlyMap<string, string> = new Map(
  Object.entries({
    inactive: 'boolean',
    deprecated: 'dateTime',
    notSelectable: 'boolean',
    parent: 'code',
    child: 'code',
    status: 'code',
    effectiveDate: 'dateTime',
    deprecationDate: 'dateTime',
    retirementDate: 'dateTime',
    partOf: 'code',
  }).map(([code, type]) => [`http://hl7.org/fhir/concept-properties#${code}`, type]),
);

/**
 * CodeSystem authoring rules (https://hl7.org/fhir/R4/codesystem.html#properties): property codes
 * and URIs are declared once each; a property with a URI the specification defines has that
 * property's type and, to keep ValueSet filters readable, its usual code; and each concept's
 * property value has the type its declaration gives.
 */
export function checkCodeSystemProperties(cs: Json, path: string, ctx: CheckContext): void {
  const declared = new Map<string, string>();
  const uris = new Set<string>();
  const error = (text: string, expression: string): void => {
    ctx.issues.push(issue({ code: 'business-rule', text, expression }));
  };
  records(cs.property).forEach((p, i) => {
    const at = `${path}.property[${i}]`;
    const { code, uri, type } = p;
    if (typeof code === 'string') {
      if (declared.has(code)) error(`A property is already defined with the code '${code}'.`, at);
      else if (typeof type === 'string') declared.set(code, type);
    }
    if (typeof uri !== 'string') return;
    if (uris.has(uri)) error(`A property is already defined with the URI '${uri}'.`, at);
    uris.add(uri);
    const known = KNOWN_PROPERTY_TYPES.get(uri);
    if (known === undefined) return;
    if (typeof type === 'string' && type !== known) {
      error(`Wrong type '${type}': the URI '${uri}' identifies a property that has the type '${known}'.`, at);
    }
    const usual = uri.slice(uri.indexOf('#') + 1);
    if (
      typeof code === 'string' &&
      code !== usual &&
      KNOWN_PROPERTY_TYPES.has(`${uri.split('#')[0]}#${code}`)
    ) {
      error(
        `The URI '${uri}' is normally assigned the code '${usual}'; the code '${code}' names another defined property and will confuse ValueSet filters.`,
        at,
      );
    }
  });
  checkConceptProperties(records(cs.concept), `${path}.concept`, declared, ctx);
}

function checkConceptProperties(
  concepts: Json[],
  path: string,
  declared: ReadonlyMap<string, string>,
  ctx: CheckContext,
): void {
  concepts.forEach((concept, c) => {
    records(concept.property).forEach((p, i) => {
      const type = typeof p.code === 'string' ? declared.get(p.code) : undefined;
      const valueKey = Object.keys(p).find((k) => k.startsWith('value'));
      if (type === undefined || valueKey === undefined) return;
      const given = valueKey.slice(5);
      if (given.toLowerCase() === type.toLowerCase()) return;
      ctx.issues.push(
        issue({
          code: 'business-rule',
          text: `The property '${String(p.code)}' has the type '${given.charAt(0).toLowerCase()}${given.slice(1)}', but it is declared with the type '${type}'.`,
          expression: `${path}[${c}].property[${i}]`,
        }),
      );
    });
    checkConceptProperties(records(concept.concept), `${path}[${c}].concept`, declared, ctx);
  });
}
