import type { CapabilityStatement, CapabilityStatementRestResource, ResourceType } from '@medplum/fhirtypes';

/**
 * kap-bridge's own CapabilityStatement for `GET /fhir/metadata`
 * (http://hl7.org/fhir/R4/capabilitystatement.html). Truthful: it lists only what the FHIR
 * endpoints of DESIGN.md §8 do — `transaction` and `batch` at `POST /fhir`, `$process-message`,
 * `$validate` — and the project profiles actually loaded. No resource type is readable or
 * searchable here, so no resource lists a read/search interaction.
 */

/** A profile the validator has loaded, with the resource type it constrains. */
export interface LoadedProfile {
  url: string;
  type: string;
}

export interface CapabilityInput {
  /** kap-bridge's version (package.json). */
  version: string;
  /** When this statement was built (the server's start). */
  date: Date;
  /** Resource profiles from the project's profiles package (extensions excluded). */
  profiles: LoadedProfile[];
}

const VALIDATE = 'http://hl7.org/fhir/OperationDefinition/Resource-validate';
const PROCESS_MESSAGE = 'http://hl7.org/fhir/OperationDefinition/MessageHeader-process-message';

/** Builds the statement. Pure. */
export function buildCapabilityStatement(input: CapabilityInput): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: input.date.toISOString(),
    publisher: 'kap-bridge',
    kind: 'instance',
    software: { name: 'kap-bridge', version: input.version },
    implementation: {
      description:
        'kap-bridge: receives referrals from health systems (transaction, batch, $process-message) and validates resources ($validate).',
    },
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [
      {
        mode: 'server',
        documentation:
          'Practice records are posted to /referrals, /consents and /integration-updates (not FHIR). FHIR: POST /fhir takes a transaction (all-or-nothing) or batch Bundle of referrals (ServiceRequest + Patient + requester).',
        security: {
          cors: false,
          description:
            'Authorization: Bearer <API key>. Scopes: ingest for POST /fhir and $process-message, validate for $validate. /fhir/metadata needs no key.',
        },
        resource: resourcesOf(input.profiles),
        interaction: [
          {
            code: 'transaction',
            documentation:
              'All-or-nothing: a transaction-response, or one OperationOutcome and nothing stored.',
          },
          {
            code: 'batch',
            documentation: 'Each entry on its own: a batch-response with a status and outcome per entry.',
          },
        ],
        operation: [
          {
            name: 'process-message',
            definition: PROCESS_MESSAGE,
            documentation:
              'Referral messages (event v2-0003 I12 or BSeR referral request), answered with a response message.',
          },
          {
            name: 'validate',
            definition: VALIDATE,
            documentation:
              'POST /fhir/{type}/$validate, or POST /fhir/$validate with the type read from the body; `profile` names a loaded profile.',
          },
        ],
      },
    ],
  };
}

/** One entry per profiled resource type, each with `$validate` and its profiles. */
function resourcesOf(profiles: LoadedProfile[]): CapabilityStatementRestResource[] {
  const byType = new Map<string, string[]>();
  for (const p of profiles) byType.set(p.type, [...(byType.get(p.type) ?? []), p.url]);
  return [...byType.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, urls]) => ({
      type: type as ResourceType,
      supportedProfile: urls.sort(),
      documentation: 'Validated by $validate; sent by kap-bridge to referring clinicians. Not readable here.',
      operation: [{ name: 'validate', definition: VALIDATE }],
    }));
}
