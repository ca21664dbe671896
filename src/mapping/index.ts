/** Practice record → FHIR mapping (pure; DESIGN.md §2). */
export {
  bundleConsent,
  bundleReferral,
  bundleReferralStatus,
  bundleRevocation,
  bundleUpdate,
  collectionBundle,
} from './bundle';
export { mapConsent, mapRevocation, type MappedConsent } from './map-consent';
export {
  fillerIdentifier,
  mapReferral,
  placerIdentifier,
  type MappedReferral,
  type ReferralMappingOptions,
} from './map-referral';
export { mapIntegrationUpdate, updatePayloads, type MappedUpdate } from './map-update';
export {
  DEFAULT_MAPPING_OPTIONS,
  DEFAULT_PRACTICE,
  mappingOptions,
  practiceInfo,
  type MappingOptions,
  type PracticeInfo,
} from './options';
export { resourceId } from './ids';
export { mapReferralStatus, TASK_STATUS, type MappedReferralStatus } from './map-referral-status';
