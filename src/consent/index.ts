/** The consent decision engine (DESIGN.md §5): pure, no I/O, the clock passed in. */
export { decideDisclosure } from './decide';
export { parseDisclosureRequest, type ParseResult } from './parse-request';
export { parseConsents } from './parse-consents';
export { redactCommunication } from './redact';
export { shareCodesOf } from './share-tags';
export { buildDisclosureRequest } from './disclosure-request';
export { decideFor, recipientReference, type Disclosable } from './decide-for';
export { isValidTimeZone } from './time-zone';
export { DEFAULT_ACTOR_ROLE } from './context';
export {
  DEFAULT_TIME_ZONE,
  type Decision,
  type DecisionKind,
  type DecideOptions,
  type DisclosureRequest,
} from './types';
