import { createHash } from 'node:crypto';
import type {
  Communication,
  Consent,
  Resource,
  Device,
  Organization,
  Patient,
  Practitioner,
  PractitionerRole,
  Provenance,
  Reference,
  RelatedPerson,
} from '@medplum/fhirtypes';

/**
 * Provenance for resources the practice authored (DESIGN.md §2): who wrote it, on whose behalf,
 * when it was recorded. W3C PROV semantics as in R4 Provenance; agent type from the
 * provenance-participant-type code system.
 */
export interface ProvenanceInput {
  id: string;
  /** Versioned reference of the authored resource (`Communication/x/_history/1`). */
  target: string;
  recorded: Date;
  /** When the practice record was written (the activity's time). */
  occurred?: string;
  author?: Reference<Practitioner | PractitionerRole | Device | Patient | RelatedPerson | Organization>;
  organization?: Reference<Organization>;
  activity?: 'CREATE' | 'UPDATE' | 'NULLIFY';
}

/** Builds a Provenance for one authored resource version. Pure. */
export function buildProvenance(input: ProvenanceInput): Provenance {
  const agentType = (code: string, display: string) => ({
    coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code, display }],
  });
  const agents: Provenance['agent'] = [];
  if (input.author)
    agents.push({
      type: agentType('author', 'Author'),
      who: input.author,
      ...(input.organization ? { onBehalfOf: input.organization } : {}),
    });
  if (input.organization) agents.push({ type: agentType('custodian', 'Custodian'), who: input.organization });
  if (agents.length === 0)
    agents.push({ type: agentType('assembler', 'Assembler'), who: { display: 'kap-bridge' } });
  return {
    resourceType: 'Provenance',
    id: input.id,
    target: [{ reference: input.target }],
    recorded: input.recorded.toISOString(),
    ...(input.occurred ? { occurredDateTime: input.occurred } : {}),
    activity: {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation',
          code: input.activity ?? 'CREATE',
        },
      ],
    },
    agent: agents,
  };
}

/**
 * The Provenance of a resource version the practice authored, or undefined for resources it only
 * relays (a referral's ServiceRequest is the referrer's order; Patient and Practitioner are
 * reference data): an integration update (`Communication`, by its sender, on behalf of the
 * practice) and a consent record (`Consent`, kept by the practice). The id is derived from the
 * target, so storing it twice is harmless.
 */
export function provenanceForAuthored(
  resource: Resource,
  versionId: number,
  recorded: Date,
): Provenance | undefined {
  if (resource.resourceType !== 'Communication' && resource.resourceType !== 'Consent') return undefined;
  const target = `${resource.resourceType}/${resource.id ?? ''}/_history/${versionId}`;
  const organization =
    resource.resourceType === 'Consent' ? (resource as Consent).organization?.[0] : undefined;
  const sender = resource.resourceType === 'Communication' ? (resource as Communication).sender : undefined;
  return buildProvenance({
    id: `prov-${createHash('sha256').update(target).digest('hex').slice(0, 40)}`,
    target,
    recorded,
    ...(sender ? { author: sender as ProvenanceInput['author'] } : {}),
    ...(organization ? { organization } : {}),
    activity: versionId === 1 ? 'CREATE' : 'UPDATE',
  });
}
