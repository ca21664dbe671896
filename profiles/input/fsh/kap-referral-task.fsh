// The referral's status as the referrer sees it (DESIGN.md §6b, the HL7 BSeR closed loop): a
// fulfilment Task whose focus is the practice's ServiceRequest. Status only, no clinical content.
Alias: $task-code = http://hl7.org/fhir/CodeSystem/task-code

Profile: KapReferralTask
Parent: Task
Id: kap-referral-task
Title: "kap-bridge referral status"
Description: "What the practice did with a referral: accepted, declined (with the reason), scheduled, in progress, completed or cancelled."
* ^url = "https://kap-bridge.example/fhir/StructureDefinition/kap-referral-task"
* ^status = #active
* identifier 1..* MS
* identifier.system 1..1
* identifier.value 1..1
* basedOn MS
* basedOn ^short = "The referrer's own order (logical reference by their placer id), when known"
* status MS
* status from KapReferralTaskStatus (required)
* statusReason MS
* statusReason ^short = "Why a referral was declined or cancelled, in plain words"
* statusReason.text 1..1
* businessStatus 1..1 MS
* businessStatus.text 1..1
* intent = #order
* intent MS
* code 1..1 MS
* code = $task-code#fulfill
* focus 1..1 MS
* focus only Reference(ServiceRequest)
* for 1..1 MS
* for only Reference(Patient)
* lastModified 1..1 MS
* requester 1..1 MS
* owner 1..1 MS
* owner only Reference(Organization)
* description 0..0
* note 0..0
* input 0..0
* output 0..0

ValueSet: KapReferralTaskStatus
Id: kap-referral-task-status
Title: "kap-bridge referral task status"
Description: "The Task statuses a referral status maps to (DESIGN.md §6b)."
* ^url = "https://kap-bridge.example/fhir/ValueSet/kap-referral-task-status"
* ^status = #active
* http://hl7.org/fhir/task-status#accepted
* http://hl7.org/fhir/task-status#rejected
* http://hl7.org/fhir/task-status#ready
* http://hl7.org/fhir/task-status#in-progress
* http://hl7.org/fhir/task-status#completed
* http://hl7.org/fhir/task-status#cancelled
