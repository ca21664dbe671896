import type { CapabilityStatementRestResourceInteraction } from '@medplum/fhirtypes';
import { isR4ResourceType } from '../fhir/r4-resource-types';

/**
 * What the sandbox answers, as data: from this one table come the 404 / 405 (with `Allow`) that
 * requests outside it get, and the interactions its CapabilityStatement claims
 * (capability-statement.ts). A path shape not listed here is not offered, even where medplum's
 * router would answer it (system search, `$graphql`, PATCH): R4 http.html asks a server to claim
 * what it does, and to do what it claims.
 */

export type ResourceInteraction = CapabilityStatementRestResourceInteraction['code'];

/** A path below the base, by shape. */
export type PathShape =
  | 'base' // ''           transaction / batch
  | 'metadata' // 'metadata'
  | 'type' // [type]
  | 'type-search' // [type]/_search
  | 'instance' // [type]/[id]
  | 'instance-history' // [type]/[id]/_history
  | 'version'; // [type]/[id]/_history/[vid]

/** Methods per path shape, with the interaction each serves (`system` for whole-server ones). */
export const SANDBOX_ROUTES: Readonly<Record<PathShape, Readonly<Record<string, string>>>> = {
  base: { POST: 'transaction' },
  metadata: { GET: 'capabilities' },
  type: { GET: 'search-type', POST: 'create', PUT: 'update', DELETE: 'delete' },
  'type-search': { POST: 'search-type' },
  instance: { GET: 'read', PUT: 'update', DELETE: 'delete' },
  'instance-history': { GET: 'history-instance' },
  version: { GET: 'vread' },
};

/** The per-type interactions claimed for every R4 resource type, derived from the table. */
export const TYPE_INTERACTIONS: readonly ResourceInteraction[] = [
  'read',
  'vread',
  'update',
  'delete',
  'history-instance',
  'create',
  'search-type',
].filter((code) =>
  Object.values(SANDBOX_ROUTES).some((methods) => Object.values(methods).includes(code)),
) as ResourceInteraction[];

/** Where a request goes: the path's shape, or why it goes nowhere (404). */
export type RouteMatch =
  { kind: 'found'; shape: PathShape; allowed: readonly string[] } | { kind: 'not-found'; text: string };

/** Classifies `segments` (the path below `/fhir`, split on `/`). */
export function matchSandboxPath(segments: readonly string[]): RouteMatch {
  const [first, second, third, fourth, ...rest] = segments;
  if (first === undefined) return found('base');
  if (first === 'metadata' && second === undefined) return found('metadata');
  if (first === '_history' || second === '_history') {
    return {
      kind: 'not-found',
      text: 'History at system or type level is not offered; ask [type]/[id]/_history.',
    };
  }
  if (!isR4ResourceType(first)) {
    return { kind: 'not-found', text: 'The path does not name an R4 resource type.' };
  }
  if (rest.length > 0) return { kind: 'not-found', text: 'No FHIR interaction answers at this path.' };
  if (second === undefined) return found('type');
  if (second === '_search' && third === undefined) return found('type-search');
  if (second.startsWith('$') || second.startsWith('_')) {
    return { kind: 'not-found', text: 'No operation is offered at this path.' };
  }
  if (third === undefined) return found('instance');
  if (third !== '_history') return { kind: 'not-found', text: 'No FHIR interaction answers at this path.' };
  return found(fourth === undefined ? 'instance-history' : 'version');
}

function found(shape: PathShape): RouteMatch {
  const methods = Object.keys(SANDBOX_ROUTES[shape]);
  // HEAD is GET without a body (RFC 9110 §9.3.2).
  return { kind: 'found', shape, allowed: methods.includes('GET') ? [...methods, 'HEAD'] : methods };
}
