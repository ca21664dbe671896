import { getResourceTypes, globalSchema } from '@medplum/core';
import type {
  CapabilityStatement,
  CapabilityStatementRestResource,
  CapabilityStatementRestResourceSearchParam,
  ResourceType,
} from '@medplum/fhirtypes';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './sandbox-repository';

/** Search parameters the sandbox answers quickly (indexed) on every type that defines them. */
const ADVERTISED_PARAMS = ['_id', 'identifier', 'patient', 'subject'];

/**
 * The sandbox's CapabilityStatement (R4 capabilitystatement.html). It states only what the
 * sandbox does, because kap-bridge's transport reads it to decide whether a destination can give
 * effectively-once delivery (DESIGN.md §6): transaction and batch, conditional create
 * (`If-None-Exist`), conditional update (`PUT Type?identifier=…`), search by identifier, versioned
 * reads. PATCH, `_include`, and history at type or system level are not offered.
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
      `Validates against base R4; searches page at ${DEFAULT_PAGE_SIZE} results (at most ${MAX_PAGE_SIZE}).`,
    software: { name: 'kap-bridge sandbox' },
    implementation: { description: 'kap-bridge sandbox', url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        resource: getResourceTypes()
          .sort()
          .map((type) => describeResource(type)),
        interaction: [{ code: 'transaction' }, { code: 'batch' }],
      },
    ],
  };
}

function describeResource(type: ResourceType): CapabilityStatementRestResource {
  return {
    type,
    versioning: 'versioned-update',
    readHistory: true,
    updateCreate: true,
    conditionalCreate: true,
    conditionalUpdate: true,
    conditionalDelete: 'single',
    interaction: [
      { code: 'read' },
      { code: 'vread' },
      { code: 'update' },
      { code: 'delete' },
      { code: 'history-instance' },
      { code: 'create' },
      { code: 'search-type' },
    ],
    searchParam: searchParamsOf(type),
  };
}

function searchParamsOf(type: string): CapabilityStatementRestResourceSearchParam[] {
  const params = globalSchema.types[type]?.searchParams ?? {};
  const out: CapabilityStatementRestResourceSearchParam[] = [];
  for (const code of ADVERTISED_PARAMS) {
    const param = params[code];
    if (param?.type) out.push({ name: code, type: param.type, definition: param.url });
  }
  return out;
}
