import type { TypedValue } from '@medplum/core';
import type { SearchParameter } from '@medplum/fhirtypes';
import { checkBundle } from './bundle-checks';
import { checkCoded, checkValuelessCodes } from './coded-checks';
import { checkCoding } from './coding-checks';
import { checkConformanceResource } from './conformance-checks';
import type { CheckContext } from './context';
import { nestedProfiles } from './declared-profiles';
import { checkEmptyTwins } from './empty-values';
import { checkExtension } from './extension-checks';
import { checkJsonShape } from './json-shape';
import { checkItemValue } from './pattern-checks';
import { checkExampleUrl, checkPrimitive } from './primitive-checks';
import type { ProfileCache } from './profile-cache';
import { checkAttachment, checkResourceId } from './resource-checks';
import { checkObjectStructure } from './structure-checks';
import { checkStructureDefinition } from './structure-definition-checks';
import type { Terminology } from './terminology';
import { checkTerminologyResource } from './terminology-resource-checks';
import type { Visitor } from './walker';
import { isJsonObject } from '../json-object';

const CONTAINED = /\.contained\[\d+\]$/;

/** The loaded definitions every walk uses. */
export interface Deps {
  profiles: ProfileCache;
  terminology: Terminology;
  searchParameters: ReadonlyMap<string, SearchParameter>;
}

/**
 * The checks of one walk: structural rules per object (structure-checks.ts) and kap-bridge's own
 * checks per resource and value. `root` is the validated resource, if any (`%rootResource`);
 * `main` the profile the walk applies, so that extension rules are told apart from it.
 */
export function createVisitor(
  ctx: CheckContext,
  deps: Deps,
  root: TypedValue | undefined,
  main: string | undefined,
): Visitor {
  // Profiles a nested resource claims are resource profiles too, not extension definitions.
  const nested = new Set<string>();
  const labelOf = (profile: string | undefined): string | undefined => {
    if (profile === undefined) return undefined;
    return profile === main || nested.has(profile) ? `profile ${profile}` : `extension ${profile}`;
  };
  const profileType = (url: string): string | undefined => deps.profiles.definition(url)?.type;
  return {
    extensionProfile(url) {
      const schema = deps.profiles.schema(url);
      return schema ? { url: url.split('|')[0] ?? url, schema } : undefined;
    },
    walkNested(_r, path) {
      return ctx.options.validateContains !== 'ignore' || !CONTAINED.test(path);
    },
    resourceProfiles(r) {
      return nestedProfiles(r, deps.profiles).flatMap((url) => {
        const schema = deps.profiles.schema(url);
        if (!schema) return [];
        nested.add(url);
        return [{ url, schema }];
      });
    },
    resource(r, path) {
      checkResourceId(r, path, ctx);
      checkBundle(r, path, ctx);
      checkConformanceResource(r, path, ctx, deps.searchParameters);
      checkTerminologyResource(r, path, ctx);
      checkStructureDefinition(r, path, ctx);
    },
    object(visit) {
      checkObjectStructure(visit, { issues: ctx.issues, root, label: labelOf(visit.profile), profileType });
      checkValuelessCodes(visit, ctx);
      checkEmptyTwins(visit, ctx);
    },
    primitive(visit) {
      if (!checkJsonShape(visit, true, ctx)) return;
      checkPrimitive(visit, ctx);
      if (visit.profile) checkItemValue(visit, ctx);
    },
    complex(visit) {
      if (!checkJsonShape(visit, false, ctx)) return;
      if (visit.profile) checkItemValue(visit, ctx);
      checkCoded(visit, ctx);
      checkCoding(visit, ctx);
      checkExtension(visit, ctx);
      checkAttachment(visit, ctx);
      if (
        visit.type === 'Reference' &&
        ctx.options.forbidExampleUrls &&
        isJsonObject(visit.value) &&
        typeof visit.value.reference === 'string'
      ) {
        checkExampleUrl(visit.value.reference, `${visit.path}.reference`, ctx);
      }
    },
  };
}
