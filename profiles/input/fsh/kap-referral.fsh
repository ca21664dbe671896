// Referral to ketamine-assisted psychotherapy (DESIGN.md §2, modelled on HL7 BSeR's referral
// ServiceRequest: category and code SNOMED CT 3457005 "Patient referral").
Profile: KapReferral
Parent: ServiceRequest
Id: kap-referral
Title: "kap-bridge referral"
Description: "A referral received by the practice: an order for ketamine-assisted psychotherapy."
* ^url = "https://kap-bridge.example/fhir/StructureDefinition/kap-referral"
* ^status = #active
* identifier 1..* MS
* identifier ^slicing.discriminator.type = #pattern
* identifier ^slicing.discriminator.path = "type"
* identifier ^slicing.rules = #open
* identifier ^slicing.description = "PLAC: the referrer's own referral id; FILL: the practice's (HL7 v2 table 0203)."
* identifier contains placer 0..1 MS and filler 1..1 MS
* identifier[placer].type = $v2-0203#PLAC
* identifier[placer].system 1..1
* identifier[placer].value 1..1
* identifier[filler].type = $v2-0203#FILL
* identifier[filler].system 1..1
* identifier[filler].value 1..1
* status MS
* intent = #order
* intent MS
* category 1..* MS
* category ^slicing.discriminator.type = #pattern
* category ^slicing.discriminator.path = "$this"
* category ^slicing.rules = #open
* category contains referral 1..1 MS
* category[referral] = $sct#3457005
* code 1..1 MS
* code = $sct#3457005
* code.text 1..1 MS
* subject only Reference(Patient)
* subject MS
* authoredOn 1..1 MS
* requester 1..1 MS
* performer 1..* MS
