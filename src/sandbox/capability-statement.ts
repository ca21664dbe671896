import { globalSchema } from '@medplum/core';
import type {
  CapabilityStatement,
  CapabilityStatementRestResource,
  CapabilityStatementRestResourceSearchParam,
  ResourceType,
} from '@medplum/fhirtypes';
import { R4_RESOURCE_TYPES } from '../fhir/r4-resource-types';
import { TYPE_INTERACTIONS } from './rest-interactions';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './search-query';

/**
 * Search parameters claimed on every type that defines them: the indexed ones (fast at any size).
 * Reference parameters take `[id]`, `[type]/[id]`, the absolute URL and the `:[type]` modifier.
 */
const ADVERTISED_PARAMS = ['_id', 'identifier', 'patient', 'subject'];

/**
 * The sandbox's CapabilityStatement (R4 capabilitystatement.html). It states only what the
 * sandbox does, because kap-bridge's transport reads it to decide whether a destination can give
 * effectively-once delivery (DESIGN.md §6), and integrators test their clients against it: the
 * R4 resource types only; per type the interactions of the route table (rest-interactions.ts);
 * transaction and batch; conditional create (`If-None-Exist`), update (`PUT Type?…`) and delete
 * (one match); create-by-update; versioned reads. PATCH, `_include`, chained parameters and
 * history at type or system level are not offered, so not claimed. Each claim has a case in
 * test/rest-conformance/.
 */
export function buildCapabilityStatement(baseUrl: string, date: string): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date,
    kind: 'instance',
    name: 'KapBridgeSandbox',
    title: 'kap-bridge sandbox FHIR server',
    description:
      'An in-memory FHIR R4 server standing in for a referring clinician EHR in tests and demos. ' +
      `Validates against base R4; searches page at ${DEFAULT_PAGE_SIZE} results (_count at most ${MAX_PAGE_SIZE}) ` +
      'with self/next/previous links; unknown search parameters are ignored and reported (Prefer: handling=strict refuses them); ' +
      'deleting what is already deleted answers 200. JSON only.',
    software: { name: 'kap-bridge sandbox' },
    implementation: { description: 'kap-bridge sandbox', url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        resource: [...R4_RESOURCE_TYPES].sort().map((type) => describeResource(type as ResourceType)),
        interaction: [{ code: 'transaction' }, { code: 'batch' }],
      },
    ],
  };
}

function describeResource(type: ResourceType): CapabilityStatementRestResource {
  const searchParam = searchParamsOf(type);
  return {
    type,
    versioning: 'versioned-update',
    readHistory: true,
    updateCreate: true,
    conditionalCreate: true,
    conditionalUpdate: true,
    conditionalDelete: 'single',
    interaction: TYPE_INTERACTIONS.map((code) => ({ code })),
    // A type without any of the indexed parameters (Binary, Bundle, …) lists none: FHIR JSON has
    // no empty arrays (R4 json.html).
    ...(searchParam.length > 0 ? { searchParam } : {}),
  };
}

const REFERENCE_DOCUMENTATION =
  'Takes [id], [type]/[id], the absolute URL on this server, the :[type] modifier, and one level of chaining ([code]:[type].[parameter]=…).';

function searchParamsOf(type: string): CapabilityStatementRestResourceSearchParam[] {
  const params = globalSchema.types[type]?.searchParams ?? {};
  const out: CapabilityStatementRestResourceSearchParam[] = [];
  for (const code of ADVERTISED_PARAMS) {
    const param = params[code];
    if (!param?.type) continue;
    out.push({
      name: code,
      type: param.type,
      definition: param.url,
      ...(param.type === 'reference' ? { documentation: REFERENCE_DOCUMENTATION } : {}),
    });
  }
  return out;
}
