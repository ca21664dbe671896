import type { HumanName } from '@medplum/fhirtypes';
import type { HumanNameRecord } from '../domain/records';

/** A practice name record as a FHIR HumanName (`use` official), empty parts left out. */
export function toHumanName(name: HumanNameRecord): HumanName {
  const out: HumanName = { use: 'official' };
  if (name.prefix?.length) out.prefix = [...name.prefix];
  if (name.given?.length) out.given = [...name.given];
  if (name.family) out.family = name.family;
  if (name.suffix?.length) out.suffix = [...name.suffix];
  return out;
}

/** "Jordan Lee, LMFT" — for Reference.display. */
export function displayName(name: HumanNameRecord): string {
  const main = [...(name.prefix ?? []), ...(name.given ?? []), name.family ?? ''].filter(Boolean).join(' ');
  return name.suffix?.length ? `${main}, ${name.suffix.join(', ')}` : main;
}
