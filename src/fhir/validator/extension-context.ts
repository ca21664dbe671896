import { isPrimitiveType, tryGetDataType } from '@medplum/core';
import type { StructureDefinition, StructureDefinitionContext } from '@medplum/fhirtypes';
import type { Visit } from './walker';
import { findElement } from './walker';

const INDEX = /\[\d+\]/g;
const EXTENSION_STEP = /\.(?:modifierExtension|extension)(?:\[\d+\])?$/;
// Contexts that admit any resource (R4 Resource/DomainResource; R5's canonical ones).
const ANY_RESOURCE = new Set(['Resource', 'DomainResource', 'CanonicalResource', 'MetadataResource']);
// Values inside which any extension is allowed: examples, fixed and pattern values of a profile.
const ANY_EXTENSION_INSIDE = /^ElementDefinition\.(example\.value|pattern|fixed)/;

/**
 * Contexts that R4's own definitions state too narrowly for how R4's own examples and tooling use
 * them (FHIR-13328 and the like); the HL7 validator widens them the same way.
 */
const WIDENED: ReadonlyMap<string, string[]> = new Map([
  ['http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type', ['ElementDefinition.type']],
  ['http://hl7.org/fhir/StructureDefinition/regex', ['ElementDefinition.type']],
  ['http://hl7.org/fhir/StructureDefinition/structuredefinition-normative-version', ['ElementDefinition']],
]);

/**
 * Where an extension may be used (https://hl7.org/fhir/R4/structuredefinition-definitions.html#StructureDefinition.context,
 * https://hl7.org/fhir/R4/extensibility.html#context): an `element` context names an element
 * path from a resource or a datatype (`Patient`, `Patient.contact`, `HumanName.family`,
 * `Observation.value[x]`) or a type (`HumanName`; `Element`: anywhere), an `extension` context
 * another extension; a `fhirpath` context cannot be judged here and admits the use. An extension
 * without a context is not restricted. Returns the contexts when the use at `visit` matches none.
 */
export function disallowedContext(definition: StructureDefinition, visit: Visit): string[] | undefined {
  const contexts: StructureDefinitionContext[] = [
    ...(definition.context ?? []),
    ...(WIDENED.get(definition.url ?? '') ?? []).map((expression) => ({
      type: 'element' as const,
      expression,
    })),
  ];
  if (contexts.length === 0) return undefined;
  const holder = holderOf(visit);
  if (!holder) return undefined; // where it sits cannot be told: not judged
  if (holder.paths.some((p) => ANY_EXTENSION_INSIDE.test(p))) return undefined;
  for (const c of contexts) {
    if (c.type === 'fhirpath' || typeof c.expression !== 'string') return undefined;
    if (c.type === 'extension' ? holder.type === 'Extension' : matchesElement(c.expression, holder))
      return undefined;
  }
  return contexts.map((c) => `${c.type}:${c.expression}`);
}

interface Holder {
  /** The holder's type: a datatype (`HumanName`), a backbone element (`Patient.contact`), a resource. */
  type: string;
  /** Element paths that name the holder: from its resource, and from its nearest datatype. */
  paths: string[];
  isResource: boolean;
}

/**
 * The element holding the extension, found by following the instance path from the enclosing
 * resource through the type definitions (only when an extension with a context is met).
 */
function holderOf(visit: Visit): Holder | undefined {
  const rt = visit.resource?.resourceType;
  if (
    typeof rt !== 'string' ||
    visit.resourcePath === undefined ||
    !visit.path.startsWith(visit.resourcePath)
  ) {
    return undefined;
  }
  const steps = visit.path
    .slice(visit.resourcePath.length)
    .replace(EXTENSION_STEP, '')
    .replace(INDEX, '')
    .split('.')
    .filter((s) => s !== '');
  let schema = tryGetDataType(rt);
  let literal = rt;
  let typed = rt;
  let type = rt;
  for (const step of steps) {
    const found = schema ? findElement(schema, step) : undefined;
    if (!found) return undefined;
    literal = `${literal}.${found.key}`;
    const sub = isPrimitiveType(found.type) ? undefined : tryGetDataType(found.type);
    if (sub && sub.kind !== 'resource') {
      schema = sub;
      typed = sub.path ?? found.type;
      type = typed;
    } else {
      typed = `${typed}.${found.key}`;
      type = found.type;
      schema = undefined;
    }
  }
  return { type, paths: [...new Set([literal, typed])], isResource: steps.length === 0 };
}

function matchesElement(expression: string, holder: Holder): boolean {
  if (expression === 'Element' || expression === 'Base') return true;
  if (ANY_RESOURCE.has(expression)) return holder.isResource;
  if (expression === 'BackboneElement') return holder.type.includes('.');
  if (expression === holder.type || holder.paths.includes(expression)) return true;
  // `Observation.value[x]` admits `Observation.valueQuantity`.
  return expression.endsWith('[x]') && holder.paths.some((p) => p.startsWith(expression.slice(0, -3)));
}
