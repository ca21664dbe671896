// Integration update sent to the referring clinician (DESIGN.md §2). Psychotherapy content:
// labelled restricted (v3-Confidentiality R) and psychotherapy (v3-ActCode PSY) so receiving
// systems apply their sensitive-information handling (HIPAA 45 CFR 164.501 psychotherapy notes).
Profile: KapIntegrationUpdate
Parent: Communication
Id: kap-integration-update
Title: "kap-bridge integration update"
Description: "A summary of an integration session, one payload per share code, sent under the client's consent."
* ^url = "https://kap-bridge.example/fhir/StructureDefinition/kap-integration-update"
* ^status = #active
* meta 1..1 MS
* meta.security 2..* MS
* meta.security ^slicing.discriminator.type = #pattern
* meta.security ^slicing.discriminator.path = "$this"
* meta.security ^slicing.rules = #open
* meta.security contains restricted 1..1 MS and psychotherapy 1..1 MS
* meta.security[restricted] = $v3-Confidentiality#R
* meta.security[psychotherapy] = $v3-ActCode#PSY
* identifier 1..* MS
* basedOn 1..1 MS
* basedOn only Reference(ServiceRequest)
* status = #completed
* status MS
* subject 1..1 MS
* subject only Reference(Patient)
* sent 1..1 MS
* recipient 1..* MS
* sender 1..1 MS
* payload 1..* MS
* payload.extension contains KapShareCode named shareCode 1..1 MS
* payload.content[x] only string
* payload.contentString MS
