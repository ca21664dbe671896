import { createHash } from 'node:crypto';
import type {
  Bundle,
  Identifier,
  OperationOutcome,
  OperationOutcomeIssue,
  Organization,
  Patient,
  Practitioner,
  PractitionerRole,
  ServiceRequest,
} from '@medplum/fhirtypes';
import type { Referral } from '../domain/records';
import { CODE_SYSTEM } from '../fhir/canonical';
import { issue, outcome } from '../fhir/outcomes';
import { entryPath, resolveInBundle, type ResolvedEntry } from './bundle-references';
import { practiceMrnOf, readClient, readClinician, type InboundClient } from './reverse-people';

/**
 * An inbound referral (a BSeR-style ServiceRequest with its Patient and requester, resolved inside
 * the Bundle) read back into a practice referral (DESIGN.md §2) — the reverse of `mapReferral`.
 * The practice referral, not the sender's resources, is what gets stored; its outbound FHIR form
 * is the practice's own mapping. Pure: no clock (receivedAt and the MRN are set by the use case).
 */

/** The practice referral without the values the practice owns: `client.mrn` and `receivedAt`. */
export type InboundReferralDraft = Omit<Referral, 'client' | 'receivedAt'> & { client: InboundClient };

export interface InboundReferral {
  draft: InboundReferralDraft;
  /** The practice MRN the Patient carries, when the sender already knows it. */
  practiceMrn?: string;
  /** The `Bundle.entry` indexes the referral was read from. */
  entries: InboundEntries;
  /** Practice-record field → FHIRPath of its source, to point refusals at the sender's element. */
  paths: Array<[field: string, fhirPath: string]>;
}

/** Where each part of an inbound referral sits in `Bundle.entry`. */
export interface InboundEntries {
  serviceRequest: number;
  patient: number;
  practitioner: number;
  practitionerRole?: number;
  organization?: number;
}

export type ReadInbound = { ok: true; value: InboundReferral } | { ok: false; outcome: OperationOutcome };

/**
 * The practice referral id of an inbound referral: derived from the requester's NPI and the
 * placer id, so a re-sent referral lands on the same record (idempotent). Readable when the
 * placer id is a plain token; otherwise a hash under a distinct prefix (ids allow 48 characters).
 */
export function inboundReferralId(npi: string, placerId: string): string {
  if (/^[A-Za-z0-9.-]{1,32}$/.test(placerId)) return `REF-${npi}-${placerId}`;
  return `REFX-${npi}-${createHash('sha256').update(placerId).digest('hex').slice(0, 24)}`;
}

/** The referrer's own id: the identifier typed v2-0203 `PLAC`, else the first with a value. */
function placerIndex(ids: Identifier[]): number {
  const typed = ids.findIndex(
    (i) =>
      i.value && i.type?.coding?.some((c) => c.system === CODE_SYSTEM.v2IdentifierType && c.code === 'PLAC'),
  );
  return typed >= 0 ? typed : ids.findIndex((i) => !!i.value);
}

function fail(issues: OperationOutcomeIssue[]): ReadInbound {
  return { ok: false, outcome: outcome(issues) };
}

function resolveAs<T extends ServiceRequest | Patient | Practitioner | PractitionerRole | Organization>(
  bundle: Bundle,
  from: number,
  ref: { reference?: string } | undefined,
  types: ReadonlyArray<T['resourceType']>,
): ResolvedEntry<T> | undefined {
  const found = resolveInBundle(bundle, ref, from);
  return found && (types as readonly string[]).includes(found.resource.resourceType)
    ? (found as ResolvedEntry<T>)
    : undefined;
}

/** Where the requester leads: the Practitioner, and the role and organisation when given. */
interface Requester {
  practitioner: ResolvedEntry<Practitioner>;
  role?: ResolvedEntry<PractitionerRole>;
  organization?: ResolvedEntry<Organization>;
}

function readRequester(bundle: Bundle, index: number, sr: ServiceRequest): Requester | OperationOutcomeIssue {
  const at = `${entryPath(index)}.requester`;
  const req = resolveAs<Practitioner | PractitionerRole>(bundle, index, sr.requester, [
    'Practitioner',
    'PractitionerRole',
  ]);
  if (!req) {
    const text =
      'The requester must reference a Practitioner or PractitionerRole inside the Bundle: the practice records the referring clinician by NPI.';
    return issue({ code: sr.requester ? 'not-found' : 'required', expression: at, text });
  }
  if (req.resource.resourceType === 'Practitioner')
    return { practitioner: req as ResolvedEntry<Practitioner> };
  const role = req as ResolvedEntry<PractitionerRole>;
  const practitioner = resolveAs<Practitioner>(bundle, role.index, role.resource.practitioner, [
    'Practitioner',
  ]);
  if (!practitioner) {
    const text = 'The requesting PractitionerRole must reference its Practitioner inside the Bundle.';
    return issue({ code: 'required', expression: `${entryPath(role.index)}.practitioner`, text });
  }
  const organization = resolveAs<Organization>(bundle, role.index, role.resource.organization, [
    'Organization',
  ]);
  return { practitioner, role, ...(organization ? { organization } : {}) };
}

function readReason(sr: ServiceRequest, path: string): Referral['reason'] | OperationOutcomeIssue {
  const concepts = sr.reasonCode ?? [];
  const codes = concepts
    .flatMap((c) => c.coding ?? [])
    .filter((c) => c.system && c.code)
    .slice(0, 10)
    .map((c) => ({
      system: c.system as string,
      code: c.code as string,
      ...(c.display ? { display: c.display } : {}),
    }));
  const text =
    concepts.find((c) => c.text)?.text ??
    concepts
      .flatMap((c) => (c.coding ?? []).map((k) => k.display))
      .filter(Boolean)
      .join('; ');
  if (!text) {
    const why = 'The referral needs a reason (ServiceRequest.reasonCode with a text or a coding display).';
    return issue({ code: 'required', expression: `${path}.reasonCode`, text: why });
  }
  return codes.length > 0 ? { text, codes } : { text };
}

/**
 * The entries a ServiceRequest at `index` uses (itself, its subject, its requester and — for a
 * PractitionerRole — the role's Practitioner and Organization), as far as they resolve; also for
 * a referral that is refused, so its parts are answered with its fate.
 */
export function referralEntryIndexes(bundle: Bundle, index: number): number[] {
  const sr = bundle.entry?.[index]?.resource;
  if (sr?.resourceType !== 'ServiceRequest') return [index];
  const out = [index];
  const add = (found: ResolvedEntry | undefined): void => {
    if (found && !out.includes(found.index)) out.push(found.index);
  };
  add(resolveInBundle(bundle, sr.subject, index));
  const requester = resolveInBundle(bundle, sr.requester, index);
  add(requester);
  if (requester?.resource.resourceType === 'PractitionerRole') {
    add(resolveInBundle(bundle, requester.resource.practitioner, requester.index));
    add(resolveInBundle(bundle, requester.resource.organization, requester.index));
  }
  return out;
}

/** Reads the referral whose ServiceRequest is `Bundle.entry[index]`. */
export function readInboundReferral(bundle: Bundle, index: number): ReadInbound {
  const sr = bundle.entry?.[index]?.resource;
  const at = entryPath(index);
  if (sr?.resourceType !== 'ServiceRequest') {
    return fail([issue({ code: 'invalid', expression: at, text: 'Expected a ServiceRequest here.' })]);
  }
  const ids = sr.identifier ?? [];
  const p = placerIndex(ids);
  const placer = ids[p];
  const issues: OperationOutcomeIssue[] = [];
  if (!placer?.value) {
    const text =
      "The ServiceRequest needs the referrer's own referral id (identifier, typed v2-0203 PLAC): it makes a re-sent referral idempotent.";
    issues.push(issue({ code: 'required', expression: `${at}.identifier`, text }));
  }
  const patient = resolveAs<Patient>(bundle, index, sr.subject, ['Patient']);
  if (!patient) {
    const text = 'The subject must reference a Patient inside the Bundle.';
    issues.push(issue({ code: sr.subject ? 'not-found' : 'required', expression: `${at}.subject`, text }));
  }
  const requester = readRequester(bundle, index, sr);
  if (!('practitioner' in requester)) issues.push(requester);
  const reason = readReason(sr, at);
  if ('code' in reason && 'severity' in reason) issues.push(reason);
  if (
    issues.length > 0 ||
    !patient ||
    !placer?.value ||
    !('practitioner' in requester) ||
    !('text' in reason)
  ) {
    return fail(issues);
  }
  return assemble({
    bundle,
    index,
    sr,
    placer: { ...placer, value: placer.value },
    p,
    patient,
    requester,
    reason,
  });
}

interface Parts {
  bundle: Bundle;
  index: number;
  sr: ServiceRequest;
  placer: Identifier & { value: string };
  p: number;
  patient: ResolvedEntry<Patient>;
  requester: Requester;
  reason: Referral['reason'];
}

function assemble(x: Parts): ReadInbound {
  const patientPath = entryPath(x.patient.index);
  const pracPath = entryPath(x.requester.practitioner.index);
  const client = readClient(x.patient.resource, patientPath);
  const clinician = readClinician(
    x.requester.practitioner.resource,
    pracPath,
    x.requester.role?.resource,
    x.requester.organization?.resource,
  );
  const issues = [...(client.ok ? [] : client.issues), ...(clinician.ok ? [] : clinician.issues)];
  if (!client.ok || !clinician.ok) return fail(issues);
  const draft: InboundReferralDraft = {
    id: inboundReferralId(clinician.value.npi, x.placer.value),
    source: 'clinician',
    client: client.value,
    referringClinician: {
      ...clinician.value,
      referralId: x.placer.value,
      ...(x.placer.system ? { referralIdSystem: x.placer.system } : {}),
    },
    reason: x.reason,
  };
  if (x.sr.priority) draft.priority = x.sr.priority;
  const note = (x.sr.note ?? [])
    .map((n) => n.text)
    .filter(Boolean)
    .join('\n');
  if (note) draft.note = note;
  const mrn = practiceMrnOf(x.patient.resource);
  const entries: InboundEntries = {
    serviceRequest: x.index,
    patient: x.patient.index,
    practitioner: x.requester.practitioner.index,
    ...(x.requester.role ? { practitionerRole: x.requester.role.index } : {}),
    ...(x.requester.organization ? { organization: x.requester.organization.index } : {}),
  };
  return {
    ok: true,
    value: { draft, ...(mrn ? { practiceMrn: mrn } : {}), entries, paths: pathsOf(x, patientPath, pracPath) },
  };
}

function pathsOf(x: Parts, patientPath: string, pracPath: string): Array<[string, string]> {
  const at = entryPath(x.index);
  const org = x.requester.organization ? entryPath(x.requester.organization.index) : pracPath;
  return [
    ['client.name', `${patientPath}.name`],
    ['client.birthDate', `${patientPath}.birthDate`],
    ['client.gender', `${patientPath}.gender`],
    ['client.phone', `${patientPath}.telecom`],
    ['client.email', `${patientPath}.telecom`],
    ['client.referrerPatientId', `${patientPath}.identifier`],
    ['client', patientPath],
    ['referringClinician.organization', org],
    ['referringClinician.referralId', `${at}.identifier[${x.p}].value`],
    ['referringClinician.referralIdSystem', `${at}.identifier[${x.p}].system`],
    ['referringClinician.name', `${pracPath}.name`],
    ['referringClinician', pracPath],
    ['reason', `${at}.reasonCode`],
    ['note', `${at}.note`],
    ['priority', `${at}.priority`],
    ['', at],
  ];
}

/** The FHIRPath of the sender's element behind a practice-record field path (longest prefix). */
export function bundleExpressionOf(paths: InboundReferral['paths'], field: string): string {
  const hit = paths.find(
    ([f]) => f === '' || field === f || field.startsWith(`${f}.`) || field.startsWith(`${f}[`),
  );
  return hit ? hit[1] : field;
}
