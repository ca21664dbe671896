import type { Communication, CommunicationPayload, Patient, Practitioner } from '@medplum/fhirtypes';
import type { IntegrationUpdate, Referral, ShareCode } from '../domain/records';
import { CODE_SYSTEM, EXTENSION, IDENTIFIER_SYSTEM, PROFILE } from '../fhir/canonical';
import { referenceTo, resourceId } from './ids';
import { displayName } from './names';
import { mapPatient, mapPractitioner } from './people';

/** An integration update mapped: the Communication and the resources it references. */
export interface MappedUpdate {
  communication: Communication;
  patient: Patient;
  /** The practice clinician who wrote the update (sender). */
  author: Practitioner;
  /** The referring clinician (recipient). */
  recipient: Practitioner;
}

// Psychotherapy content: restricted confidentiality and the PSY sensitivity label, so that
// receiving systems apply their sensitive-information handling.
const SECURITY = [
  { system: CODE_SYSTEM.v3Confidentiality, code: 'R', display: 'restricted' },
  { system: CODE_SYSTEM.v3ActCode, code: 'PSY', display: 'psychiatry disorder information sensitivity' },
];

function payload(code: ShareCode, lines: string[]): CommunicationPayload {
  return {
    extension: [{ url: EXTENSION.shareCode, valueCoding: { system: CODE_SYSTEM.share, code } }],
    contentString: lines.join('\n'),
  };
}

/** One payload per section present, in kap-share order, each tagged with its share code. */
export function updatePayloads(update: IntegrationUpdate): CommunicationPayload[] {
  const out: CommunicationPayload[] = [];
  if (update.focus !== undefined) out.push(payload('session-focus', [`Session focus: ${update.focus}`]));
  const o = update.observations ?? {};
  const observationLines = [
    o.emotional !== undefined ? `Emotional: ${o.emotional}` : undefined,
    o.cognitive !== undefined ? `Cognitive: ${o.cognitive}` : undefined,
    o.sensory !== undefined ? `Sensory: ${o.sensory}` : undefined,
  ].filter((l): l is string => l !== undefined);
  if (observationLines.length > 0) out.push(payload('observations', observationLines));
  const suggestions = update.suggestions ?? [];
  if (suggestions.length > 0) {
    out.push(
      payload(
        'integration-suggestions',
        suggestions.map((s, i) => `Suggestion ${i + 1}: ${s}`),
      ),
    );
  }
  return out;
}

/** Maps an integration update (already checked against its referral) to a Communication. */
export function mapIntegrationUpdate(update: IntegrationUpdate, referral: Referral): MappedUpdate {
  const patient = mapPatient(referral);
  const author = mapPractitioner(update.author.npi, update.author.name);
  const clinician = referral.referringClinician;
  const recipient = mapPractitioner(clinician.npi, clinician.name);
  const communication: Communication = {
    resourceType: 'Communication',
    id: resourceId.communication(update.id),
    meta: { profile: [PROFILE.integrationUpdate], security: SECURITY.map((s) => ({ ...s })) },
    identifier: [{ use: 'official', system: IDENTIFIER_SYSTEM.integrationUpdate, value: update.id }],
    // Always the literal reference: whether the clinician may see the ServiceRequest is decided
    // when sending, with the consent of that moment (delivery/based-on.ts, DESIGN.md §2).
    basedOn: [{ reference: `ServiceRequest/${resourceId.serviceRequest(referral.id)}` }],
    status: 'completed',
    category: [
      {
        coding: [
          { system: CODE_SYSTEM.communicationCategory, code: 'notification', display: 'Notification' },
        ],
        text: 'KAP integration update',
      },
    ],
    subject: referenceTo(patient),
    topic: { text: `Integration update, session ${update.sessionNumber} (${update.sessionDate})` },
    sent: update.writtenAt,
    recipient: [referenceTo(recipient, displayName(clinician.name))],
    sender: referenceTo(author, displayName(update.author.name)),
    payload: updatePayloads(update),
  };
  return { communication, patient, author, recipient };
}
