import { CANONICAL_BASE, IDENTIFIER_SYSTEM } from '../fhir/canonical';

/** The practice itself, as the Organization that performs referrals and keeps consents. */
export interface PracticeInfo {
  /** FHIR resource id of the practice's Organization. */
  id: string;
  name: string;
  /** The practice's business identifier (used for conditional create on the destination). */
  identifier: { system: string; value: string };
  /** The practice's organisational NPI, when it has one (added as a second identifier). */
  npi?: string;
}

/** Options of every mapping function. All have defaults; none reads the clock. */
export interface MappingOptions {
  practice: PracticeInfo;
  /** Base of the `fullUrl`s in a collection Bundle (the practice's FHIR base). */
  fullUrlBase: string;
}

export const DEFAULT_PRACTICE: PracticeInfo = {
  id: 'kap-practice',
  name: 'Ketamine-Assisted Psychotherapy Practice',
  identifier: { system: IDENTIFIER_SYSTEM.organization, value: 'kap-practice' },
};

export const DEFAULT_MAPPING_OPTIONS: MappingOptions = {
  practice: DEFAULT_PRACTICE,
  fullUrlBase: CANONICAL_BASE,
};

/**
 * The practice as configured (`KAP_BRIDGE_PRACTICE_ID`, `_NAME`, `_NPI`): each part not given
 * keeps the placeholder of {@link DEFAULT_PRACTICE}. The business identifier follows the id, so
 * a destination finds (or conditionally creates) the Organization the references name.
 */
export function practiceInfo(parts: { id?: string; name?: string; npi?: string }): PracticeInfo {
  const id = parts.id ?? DEFAULT_PRACTICE.id;
  return {
    id,
    name: parts.name ?? DEFAULT_PRACTICE.name,
    identifier: { system: IDENTIFIER_SYSTEM.organization, value: id },
    ...(parts.npi ? { npi: parts.npi } : {}),
  };
}

/** Fills the defaults of partial options. */
export function mappingOptions(partial: Partial<MappingOptions> = {}): MappingOptions {
  return { ...DEFAULT_MAPPING_OPTIONS, ...partial };
}
