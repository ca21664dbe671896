import fs from 'node:fs';
import path from 'node:path';
import type { Bundle, BundleEntry, Patient, ServiceRequest } from '@medplum/fhirtypes';

const TEMPLATE = path.join(__dirname, '../../fixtures/inbound/transaction-referral.json');

/**
 * A Bundle of `n` new-client referrals from one clinician (`transaction-referral.json` as the
 * template): a ServiceRequest and a Patient per referral, then the shared PractitionerRole,
 * Practitioner and Organization — 2n + 3 entries. `tag` keeps placer and patient ids apart
 * between Bundles; every Patient has its own name and birth date.
 */
export function referralBatch(n: number, type: 'batch' | 'transaction' = 'batch', tag = 'B'): Bundle {
  const template = JSON.parse(fs.readFileSync(TEMPLATE, 'utf8')) as Bundle;
  const [srEntry, patientEntry, ...shared] = template.entry as BundleEntry[];
  const entries: BundleEntry[] = [];
  for (let i = 0; i < n; i++) {
    const sr = structuredClone(srEntry) as BundleEntry<ServiceRequest>;
    const patient = structuredClone(patientEntry) as BundleEntry<Patient>;
    const s = sr.resource as ServiceRequest;
    const p = patient.resource as Patient;
    s.id = `sr-${tag}${i}`;
    s.identifier = [{ ...s.identifier?.[0], value: `LP-${tag}${i}` }];
    s.subject = { reference: `Patient/pat-${tag}${i}` };
    p.id = `pat-${tag}${i}`;
    p.identifier = [{ system: 'https://ehr.lakeside.example/patients', value: `${tag}${i}` }];
    p.name = [{ use: 'official', family: `Batch${tag}`, given: [`Client${i}`] }];
    p.birthDate = `19${50 + (i % 50)}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`;
    sr.fullUrl = `https://ehr.lakeside.example/fhir/ServiceRequest/${s.id}`;
    patient.fullUrl = `https://ehr.lakeside.example/fhir/Patient/${p.id}`;
    entries.push(sr, patient);
  }
  return { resourceType: 'Bundle', type, entry: [...entries, ...shared] };
}
