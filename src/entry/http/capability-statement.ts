import type {
  CapabilityStatement,
  CapabilityStatementMessaging,
  CapabilityStatementRestResource,
  CapabilityStatementRestResourceInteraction,
  CapabilityStatementRestResourceOperation,
  ResourceType,
} from '@medplum/fhirtypes';

/**
 * kap-bridge's own CapabilityStatement for `GET /fhir/metadata`
 * (http://hl7.org/fhir/R4/capabilitystatement.html). Generated from what is implemented: each
 * FHIR route declares what it offers (`RouteSpec.fhir`, route-table.ts) and the statement is
 * built from those declarations plus the project profiles actually loaded — so a route added to
 * the table claims itself, and nothing is claimed that no route answers. Every claim has a case
 * in test/rest-conformance/.
 */

/** What one FHIR route offers, as the CapabilityStatement states it. */
export type FhirCapability =
  | { kind: 'system'; interaction: 'transaction' | 'batch'; documentation: string }
  | { kind: 'operation'; name: string; definition: string; documentation: string; type?: 'any' }
  | {
      kind: 'resource';
      type: string;
      interaction: CapabilityStatementRestResourceInteraction['code'];
      documentation: string;
    }
  | { kind: 'messaging'; documentation: string };

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
  /** What the FHIR routes declare (route-table.ts `RouteSpec.fhir`). */
  implemented: readonly FhirCapability[];
}

export const VALIDATE = 'http://hl7.org/fhir/OperationDefinition/Resource-validate';
export const PROCESS_MESSAGE = 'http://hl7.org/fhir/OperationDefinition/MessageHeader-process-message';

/** Builds the statement. Pure. */
export function buildCapabilityStatement(input: CapabilityInput): CapabilityStatement {
  const system = input.implemented.flatMap((c) => (c.kind === 'system' ? [c] : []));
  // Type-level operations (`type: 'any'`) are listed on each resource, the others on the server.
  const operations = input.implemented.flatMap((c) => (c.kind === 'operation' && !c.type ? [c] : []));
  const messaging = input.implemented.flatMap((c) => (c.kind === 'messaging' ? [c] : []));
  const rest = {
    mode: 'server' as const,
    documentation:
      'Practice records are posted to /referrals, /consents and /integration-updates (not FHIR). FHIR: POST /fhir takes a transaction (all-or-nothing) or batch Bundle of referrals (ServiceRequest + Patient + requester). JSON only (XML → 406).',
    security: {
      cors: false,
      description:
        'Authorization: Bearer <API key>. Scopes: ingest for POST /fhir and $process-message, validate for $validate. /fhir/metadata needs no key.',
    },
    resource: resourcesOf(input),
    ...(system.length > 0
      ? { interaction: system.map((c) => ({ code: c.interaction, documentation: c.documentation })) }
      : {}),
    ...(operations.length > 0
      ? {
          operation: operations.map((o) => ({
            name: o.name,
            definition: o.definition,
            documentation: o.documentation,
          })),
        }
      : {}),
  };
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
    rest: [rest],
    ...(messaging.length > 0 ? { messaging: messaging.map(messagingOf) } : {}),
  };
}

/**
 * R4 CapabilityStatement.messaging: kap-bridge receives messages at `$process-message`
 * (synchronously, over http: the response message is the HTTP answer).
 */
function messagingOf(c: { documentation: string }): CapabilityStatementMessaging {
  return { reliableCache: 0, documentation: c.documentation };
}

/**
 * One entry per resource type that a route serves or a loaded profile constrains: its declared
 * interactions, its profiles, and `$validate` where that operation applies to any type.
 */
function resourcesOf(input: CapabilityInput): CapabilityStatementRestResource[] {
  const types = new Set([
    ...input.profiles.map((p) => p.type),
    ...input.implemented.flatMap((c) => (c.kind === 'resource' ? [c.type] : [])),
  ]);
  const typeLevel: CapabilityStatementRestResourceOperation[] = input.implemented.flatMap((c) =>
    c.kind === 'operation' && c.type === 'any' ? [{ name: c.name, definition: c.definition }] : [],
  );
  return [...types]
    .sort((a, b) => a.localeCompare(b))
    .map((type) => {
      const profiles = input.profiles.filter((p) => p.type === type).map((p) => p.url);
      const served = input.implemented.flatMap((c) => (c.kind === 'resource' && c.type === type ? [c] : []));
      return {
        type: type as ResourceType,
        ...(profiles.length > 0 ? { supportedProfile: profiles.sort() } : {}),
        documentation:
          served.length > 0
            ? served.map((c) => c.documentation).join(' ')
            : 'Validated by $validate; sent by kap-bridge to referring clinicians. Not readable here.',
        ...(served.length > 0
          ? { interaction: served.map((c) => ({ code: c.interaction, documentation: c.documentation })) }
          : {}),
        ...(typeLevel.length > 0 ? { operation: typeLevel } : {}),
      };
    });
}

/** The resource types a route answers `read` for: where a transaction-response `location` may point. */
export function readableTypes(implemented: readonly FhirCapability[]): ReadonlySet<string> {
  return new Set(
    implemented.flatMap((c) => (c.kind === 'resource' && c.interaction === 'read' ? [c.type] : [])),
  );
}
