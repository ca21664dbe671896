import type { OperationOutcome } from '@medplum/fhirtypes';
import { errorOutcome } from '../../fhir/outcomes';
import type { Transport } from './destinations';
import { isJsonObject } from '../../fhir/json-object';

/**
 * What a destination's CapabilityStatement (R4 capabilitystatement.html) promises that matters
 * for effectively-once delivery (DESIGN.md §6): transactions, conditional create
 * (`rest.resource.conditionalCreate`), conditional update, and search by `identifier`. Pure.
 */

export interface TypeSupport {
  conditionalCreate: boolean;
  conditionalUpdate: boolean;
  identifierSearch: boolean;
}

export interface DestinationCapabilities {
  transaction: boolean;
  types: ReadonlyMap<string, TypeSupport>;
}

/** A write the unit needs: resource type and conditional operation. */
export interface PlannedWrite {
  resourceType: string;
  method: 'conditional-create' | 'conditional-update';
}

/**
 * `transaction`: one Bundle. `conditional`: per-resource requests; types in `emulate` lack the
 * native conditional operation and are written as "search by identifier, then create/update".
 */
export type TransportPlan =
  { transport: 'transaction' } | { transport: 'conditional'; emulate: ReadonlySet<string> };

function codes(list: unknown): string[] {
  return Array.isArray(list) ? list.filter(isJsonObject).map((i) => String(i.code ?? i.name ?? '')) : [];
}

/** Reads the server part of a CapabilityStatement; an OperationOutcome when it is not one. */
export function readCapabilities(raw: unknown): DestinationCapabilities | OperationOutcome {
  if (!isJsonObject(raw) || raw.resourceType !== 'CapabilityStatement') {
    return errorOutcome('not-supported', 'GET metadata did not return a CapabilityStatement');
  }
  const rest = (Array.isArray(raw.rest) ? raw.rest : [])
    .filter(isJsonObject)
    .find((r) => r.mode === 'server');
  if (!rest)
    return errorOutcome('not-supported', 'the CapabilityStatement has no rest entry with mode "server"');
  const types = new Map<string, TypeSupport>();
  for (const r of Array.isArray(rest.resource) ? rest.resource.filter(isJsonObject) : []) {
    if (typeof r.type !== 'string') continue;
    types.set(r.type, {
      conditionalCreate: r.conditionalCreate === true,
      conditionalUpdate: r.conditionalUpdate === true,
      identifierSearch: codes(r.searchParam).includes('identifier'),
    });
  }
  return { transaction: codes(rest.interaction).includes('transaction'), types };
}

function nativeSupport(s: TypeSupport | undefined, w: PlannedWrite): boolean {
  return w.method === 'conditional-create' ? !!s?.conditionalCreate : !!s?.conditionalUpdate;
}

/**
 * Chooses the transport for a unit, or refuses with a reason a person can act on. `auto` takes a
 * transaction when the server offers one and every write is natively conditional; otherwise
 * per-resource conditional requests. A type with neither the conditional operation nor a search
 * by identifier cannot be written without risking a second copy, so it is refused.
 */
export function planTransport(
  destinationId: string,
  setting: Transport,
  caps: DestinationCapabilities,
  writes: readonly PlannedWrite[],
): { ok: true; plan: TransportPlan } | { ok: false; outcome: OperationOutcome } {
  const emulate = new Set<string>();
  for (const w of writes) {
    const s = caps.types.get(w.resourceType);
    if (nativeSupport(s, w)) continue;
    const op = w.method === 'conditional-create' ? 'conditionalCreate' : 'conditionalUpdate';
    if (!s?.identifierSearch) {
      return refuse(
        `destination "${destinationId}" cannot receive ${w.resourceType} effectively-once: its CapabilityStatement declares neither ${op} nor a search by identifier for ${w.resourceType}`,
      );
    }
    if (setting === 'transaction') {
      return refuse(
        `destination "${destinationId}" is set to transport "transaction", but its CapabilityStatement does not declare ${op} for ${w.resourceType}; use "conditional" or "auto"`,
      );
    }
    emulate.add(w.resourceType);
  }
  if (setting === 'transaction' || (setting === 'auto' && caps.transaction && emulate.size === 0)) {
    return { ok: true, plan: { transport: 'transaction' } };
  }
  return { ok: true, plan: { transport: 'conditional', emulate } };
}

function refuse(text: string): { ok: false; outcome: OperationOutcome } {
  return { ok: false, outcome: errorOutcome('not-supported', text) };
}
