import type { SearchParameter } from '@medplum/fhirtypes';
import { issue } from '../outcomes';
import type { CheckContext } from './context';
import { stripVersion } from './terminology';
import { isJsonObject } from '../json-object';

type Json = Record<string, unknown>;

function records(v: unknown): Json[] {
  return Array.isArray(v) ? v.filter(isJsonObject) : [];
}

/**
 * Rules on conformance resources that refer to the base specification's search parameters:
 * a CapabilityStatement searchParam that names a `definition` must declare that parameter's
 * type (https://hl7.org/fhir/R4/capabilitystatement-definitions.html#CapabilityStatement.rest.resource.searchParam.type),
 * and a SearchParameter derived from another applies only to the bases that one lists, with
 * an expression on those bases (https://hl7.org/fhir/R4/searchparameter.html).
 */
export function checkConformanceResource(
  resource: Json,
  path: string,
  ctx: CheckContext,
  searchParameters: ReadonlyMap<string, SearchParameter>,
): void {
  if (resource.resourceType === 'CapabilityStatement')
    checkCapabilityStatement(resource, path, ctx, searchParameters);
  if (resource.resourceType === 'SearchParameter')
    checkSearchParameter(resource, path, ctx, searchParameters);
}

function checkCapabilityStatement(
  cs: Json,
  path: string,
  ctx: CheckContext,
  sps: ReadonlyMap<string, SearchParameter>,
): void {
  records(cs.rest).forEach((rest, r) => {
    records(rest.resource).forEach((res, i) => {
      records(res.searchParam).forEach((param, p) => {
        if (typeof param.definition !== 'string' || typeof param.type !== 'string') return;
        const sp = sps.get(stripVersion(param.definition));
        if (sp?.type && sp.type !== param.type) {
          ctx.issues.push(
            issue({
              code: 'invalid',
              text: `Type mismatch: SearchParameter '${param.definition}' has type ${sp.type}, but the CapabilityStatement declares ${param.type}.`,
              expression: `${path}.rest[${r}].resource[${i}].searchParam[${p}]`,
            }),
          );
        }
      });
    });
  });
}

function checkSearchParameter(
  sp: Json,
  path: string,
  ctx: CheckContext,
  sps: ReadonlyMap<string, SearchParameter>,
): void {
  const bases = Array.isArray(sp.base) ? sp.base.filter((b): b is string => typeof b === 'string') : [];
  if (typeof sp.expression === 'string' && bases.length > 0) {
    const roots = sp.expression.split('|').map((part) => /^\s*(?:\(\s*)?([A-Z][A-Za-z]*)\b/.exec(part)?.[1]);
    const bad = roots.filter(
      (root): root is string =>
        !!root && root !== 'Resource' && root !== 'DomainResource' && !bases.includes(root),
    );
    if (bad.length > 0) {
      ctx.issues.push(
        issue({
          code: 'invalid',
          text: `The search expression '${sp.expression}' starts with ${bad.join(', ')}, which is not a base of this SearchParameter (${bases.join(', ')}).`,
          expression: `${path}.expression`,
        }),
      );
    }
  }
  if (typeof sp.derivedFrom !== 'string') return;
  const parent = sps.get(stripVersion(sp.derivedFrom));
  if (!parent?.base) return;
  for (const base of bases) {
    if (!parent.base.includes(base as never) && !parent.base.includes('Resource' as never)) {
      ctx.issues.push(
        issue({
          code: 'business-rule',
          text: `The resource type ${base} is not listed as a base in the SearchParameter this is derived from (${sp.derivedFrom}).`,
          expression: path,
        }),
      );
    }
  }
}
