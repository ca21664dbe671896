Extension: KapShareCode
Id: kap-share-code
Title: "kap-bridge share code"
Description: "The kap-share code of the section a Communication payload carries, so that consent can redact per section (DESIGN.md §2)."
* ^url = "https://kap-bridge.example/fhir/StructureDefinition/kap-share-code"
* ^status = #active
* ^context[0].type = #element
* ^context[=].expression = "Communication.payload"
* value[x] only Coding
* valueCoding 1..1
* valueCoding from $kap-share-vs (required)
* valueCoding.system 1..1
* valueCoding.code 1..1

Extension: KapRepresentativeAuthority
Id: kap-representative-authority
Title: "kap-bridge representative authority"
Description: "The authority under which a representative signs a consent for the client (e.g. legal guardian, health care power of attorney)."
* ^url = "https://kap-bridge.example/fhir/StructureDefinition/kap-representative-authority"
* ^status = #active
* ^context[0].type = #element
* ^context[=].expression = "RelatedPerson"
* ^context[+].type = #element
* ^context[=].expression = "Consent"
* ^context[+].type = #element
* ^context[=].expression = "Consent.performer"
* value[x] only string
* valueString 1..1

// R4 Consent has no `note`: the details of a revocation (DESIGN.md §2, POST /consents/{id}/revoke)
// travel with the inactive version of the Consent.
Extension: KapRevocation
Id: kap-revocation
Title: "kap-bridge revocation"
Description: "How and when a client revoked a consent: the Consent version that carries it has status inactive."
* ^url = "https://kap-bridge.example/fhir/StructureDefinition/kap-revocation"
* ^status = #active
* ^context[0].type = #element
* ^context[=].expression = "Consent"
* extension contains
    revokedAt 1..1 and
    reason 0..1 and
    receivedBy 0..1 and
    method 1..1
* extension[revokedAt].value[x] only dateTime
* extension[revokedAt].valueDateTime 1..1
* extension[reason].value[x] only string
* extension[reason].valueString 1..1
* extension[receivedBy].value[x] only string
* extension[receivedBy].valueString 1..1
* extension[method].value[x] only code
* extension[method].valueCode 1..1
* extension[method] ^short = "written | verbal"
