// Consent to share with the referring clinician (DESIGN.md §2). Follows R4 Consent's privacy
// pattern: scope patient-privacy, category LOINC 59284-0 plus v3-ActCode IDSCL (as Gravity
// SDOHCC-Consent), a root deny (safe by default) naming the recipient, with the validity period,
// and one nested permit for the recipient (IHE PCF: actor role IRCP, purpose, period). The root
// names the recipient so that the consent governs disclosures to that recipient only.
Profile: KapConsent
Parent: Consent
Id: kap-consent
Title: "kap-bridge consent"
Description: "A client's consent (or refusal) to share information with their referring clinician. A revoked or superseded consent is a new version with status inactive."
* ^url = "https://kap-bridge.example/fhir/StructureDefinition/kap-consent"
* ^status = #active
* identifier 1..* MS
* status from KapConsentStatus (required)
* status MS
* scope = $consentscope#patient-privacy
* scope MS
* category MS
* category ^slicing.discriminator.type = #pattern
* category ^slicing.discriminator.path = "$this"
* category ^slicing.rules = #open
* category contains consentDocument 1..1 MS and disclosure 1..1 MS
* category[consentDocument] = $loinc#59284-0
* category[disclosure] = $v3-ActCode#IDSCL
* patient 1..1 MS
* patient only Reference(Patient)
* dateTime 1..1 MS
* performer MS
* organization 1..* MS
* source[x] MS
// R4 invariant ppc-1 asks for a policy or policyRule; the practice's sharing policy URI.
* policy 1..* MS
* policy.uri 1..1 MS
* provision 1..1 MS
* provision.type 1..1 MS
* provision.type = #deny
* provision.period 1..1 MS
* provision.actor 1..* MS
* provision.actor.role = $v3-ParticipationType#IRCP
* provision.provision MS
* provision.provision.type 1..1 MS
* provision.provision.type = #permit
* provision.provision.actor 1..* MS
* provision.provision.actor.role = $v3-ParticipationType#IRCP
* provision.provision.purpose 1..* MS
* provision.provision.purpose = $v3-ActReason#TREAT
* provision.provision.action 1..* MS
* provision.provision.action = $consentaction#disclose
* provision.provision.code 1..* MS
* provision.provision.code from $kap-share-vs (required)

ValueSet: KapConsentStatus
Id: kap-consent-status
Title: "kap-bridge consent status"
Description: "The Consent statuses kap-bridge uses: active, or inactive once revoked or superseded."
* ^url = "https://kap-bridge.example/fhir/ValueSet/kap-consent-status"
* ^status = #active
* ^experimental = false
* http://hl7.org/fhir/consent-state-codes#active
* http://hl7.org/fhir/consent-state-codes#inactive
