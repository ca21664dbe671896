/** Per-call validation options (flags of `kap-bridge validate`, DESIGN.md §8). */
export interface ValidateOptions {
  /** Canonical URL of a loaded profile to validate against (in addition to `meta.profile`). */
  profile?: string;
  /** HL7 validator `-security-checks`: HTML-looking text in strings is an error, not a hint. */
  securityChecks?: boolean;
  /** HTML tags in markdown are errors instead of warnings. */
  noHtmlInMarkdown?: boolean;
  /** References and URLs to example.org / example.com are errors (the HL7 `-examples` off). */
  forbidExampleUrls?: boolean;
  /**
   * Extensions whose definition is not loaded are accepted unchecked (the HL7 validator's
   * `-allow-any-extensions`), as a server that ignores what it does not know does
   * (https://hl7.org/fhir/R4/extensibility.html#exchange). Unknown modifier extensions stay errors:
   * they change the meaning of what holds them.
   */
  allowAnyExtensions?: boolean;
  /**
   * `//` and `/* *\/` comments in the JSON text are skipped (the HL7 validator's `allow-comments`);
   * by default they are an error, as JSON (RFC 8259) has no comments.
   */
  allowComments?: boolean;
  /**
   * Whether contained resources are validated (`check`, the default) or left unchecked
   * (`ignore`), as the HL7 validator's `validateContains` option: their presence, and the
   * references that resolve to them, still count for the resource that contains them.
   */
  validateContains?: 'check' | 'ignore';
}
