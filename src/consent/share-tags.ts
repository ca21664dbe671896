import type { Coding, Communication, CommunicationPayload } from '@medplum/fhirtypes';
import { CODE_SYSTEM, EXTENSION } from '../fhir/canonical';

/**
 * Reading the share tags of an integration update (DESIGN.md §2): each Communication.payload
 * section carries a `kap-share-code` extension whose Coding names the `kap-share` code the
 * section belongs to. Redaction, the disclosure request and the relay's audit all read the tags
 * here, so what counts as a tag cannot differ between deciding and recording.
 */

/**
 * The Codings of a payload section's share-code extensions, in order; `undefined` for a tag that
 * carries no Coding (redaction must see it to fail closed).
 */
export function shareTagsOf(payload: CommunicationPayload): Array<Coding | undefined> {
  return (payload.extension ?? []).filter((e) => e.url === EXTENSION.shareCode).map((e) => e.valueCoding);
}

/** The `kap-share` codes of the payload sections of a Communication, each once, in payload order. */
export function shareCodesOf(communication: Communication): string[] {
  const out: string[] = [];
  for (const p of communication.payload ?? []) {
    for (const c of shareTagsOf(p)) {
      const code = c?.system === CODE_SYSTEM.share ? c.code : undefined;
      if (code && !out.includes(code)) out.push(code);
    }
  }
  return out;
}
