import type { Coding, Communication, CommunicationPayload, Extension } from '@medplum/fhirtypes';
import { CODE_SYSTEM } from '../fhir/canonical';
import { sameCoding } from './match';
import { shareTagsOf } from './share-tags';
import type { Decision } from './types';

/** v3-ActCode PSYTHPN: psychotherapy notes (45 CFR 164.501) never leave through this adapter. */
const PSYCHOTHERAPY_NOTES: Coding = { system: CODE_SYSTEM.v3ActCode, code: 'PSYTHPN' };

/**
 * Removes from a Communication every payload section the decision does not permit (DESIGN.md §2:
 * one payload per share code, tagged by the `kap-share-code` extension). Fails closed: an
 * untagged section, a tag that is denied or simply not permitted, and anything labelled as
 * psychotherapy notes are removed. Returns null when nothing permitted is left — then nothing is
 * sent. Pure: the input is not modified.
 */
export function redactCommunication(communication: Communication, decision: Decision): Communication | null {
  if (decision.decision !== 'permit') return null;
  if ((communication.meta?.security ?? []).some((s) => sameCoding(s, PSYCHOTHERAPY_NOTES))) return null;
  const payload = (communication.payload ?? []).filter((p) => isPermitted(p, decision));
  if (payload.length === 0) return null;
  const redacted: Communication = { ...communication, payload };
  if (payload.length !== (communication.payload ?? []).length) {
    // The narrative may repeat the removed sections (R4 §2.4 narrative); drop it rather than
    // let it leak what the consent withholds.
    delete redacted.text;
  }
  // Annotations carry no share code, so no consent covers them.
  delete redacted.note;
  return redacted;
}

function isPermitted(payload: CommunicationPayload, decision: Decision): boolean {
  if (labelsPsychotherapyNotes(payload.extension)) return false;
  const tags = shareTagsOf(payload);
  if (tags.length === 0) return false;
  return tags.every(
    (code) =>
      !!code &&
      decision.permitted.some((c) => sameCoding(c, code)) &&
      !decision.denied.some((c) => sameCoding(c, code)),
  );
}

/** Any extension (at any depth) whose Coding or CodeableConcept value is PSYTHPN. */
function labelsPsychotherapyNotes(extensions: Extension[] | undefined): boolean {
  for (const e of extensions ?? []) {
    if (sameCoding(e.valueCoding, PSYCHOTHERAPY_NOTES)) return true;
    if ((e.valueCodeableConcept?.coding ?? []).some((c) => sameCoding(c, PSYCHOTHERAPY_NOTES))) return true;
    if (labelsPsychotherapyNotes(e.extension)) return true;
  }
  return false;
}
