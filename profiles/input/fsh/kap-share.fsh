// The one code system for what may be shared (DESIGN.md §2): consent share values, Consent
// provision codes and Communication payload tags all use these codes.
CodeSystem: KapShare
Id: kap-share
Title: "kap-bridge share codes"
Description: "What a client may allow the practice to share with a referring clinician."
* ^url = "https://kap-bridge.example/fhir/CodeSystem/kap-share"
* ^status = #active
* ^caseSensitive = true
* ^content = #complete
* ^experimental = false
* #referral-status "Referral status" "The referral itself and its status: whether the client was seen, is in treatment or was discharged (the ServiceRequest)."
* #session-focus "Session focus" "The focus of the integration sessions, in a sentence or two."
* #observations "Observations" "The clinician's emotional, cognitive and sensory observations from an integration session."
* #integration-suggestions "Integration suggestions" "Practices suggested to the client between sessions."

ValueSet: KapShareVS
Id: kap-share
Title: "kap-bridge share codes"
Description: "All kap-bridge share codes."
* ^url = "https://kap-bridge.example/fhir/ValueSet/kap-share"
* ^status = #active
* ^experimental = false
* include codes from system $kap-share
