import { fhirDateInterval } from '../../consent/time-zone';
import { revocationEnding, type RecipientHistory } from '../../domain/consent-lifecycle';
import type { ConsentRecord, ShareCode } from '../../domain/records';

/**
 * Where one consent stands now, in the terms a person at the front desk uses (DESIGN.md §5
 * "Consent lifecycle"): in force, refused (a deny consent shares nothing), revoked (by its own
 * revocation or one for the same recipient signed after it), superseded (stored `inactive`
 * because a newer consent or a revocation came first), or outside its period. Date-only bounds
 * cover whole days in the practice's zone (§5). Pure.
 */
export type Standing = 'in-force' | 'refused' | 'revoked' | 'superseded' | 'not-yet-valid' | 'expired';

export interface ConsentStanding {
  id: string;
  decision: ConsentRecord['decision'];
  share: ShareCode[];
  validFrom: string;
  validUntil?: string;
  signedAt: string;
  signedBy: ConsentRecord['signedBy'];
  standing: Standing;
  /** When the standing is `revoked`: the revocation's instant. */
  revokedAt?: string;
}

/** The standing of `consent` at `now`; `storedStatus` is its stored Consent's status. */
export function consentStanding(
  consent: ConsentRecord,
  history: RecipientHistory,
  storedStatus: string | undefined,
  now: Date,
  timeZone: string,
): ConsentStanding {
  const base = {
    id: consent.id,
    decision: consent.decision,
    share: [...consent.share],
    validFrom: consent.validFrom,
    ...(consent.validUntil ? { validUntil: consent.validUntil } : {}),
    signedAt: consent.signedAt,
    signedBy: consent.signedBy,
  };
  const revocation = revocationEnding(consent, history);
  if (revocation) return { ...base, standing: 'revoked', revokedAt: revocation.revokedAt };
  if (storedStatus === 'inactive') return { ...base, standing: 'superseded' };
  if (consent.decision === 'deny') return { ...base, standing: 'refused' };
  const t = now.getTime();
  const from = fhirDateInterval(consent.validFrom, timeZone);
  if (from && t < from.lo) return { ...base, standing: 'not-yet-valid' };
  const until = consent.validUntil ? fhirDateInterval(consent.validUntil, timeZone) : undefined;
  if (until && t >= until.hi) return { ...base, standing: 'expired' };
  return { ...base, standing: 'in-force' };
}
