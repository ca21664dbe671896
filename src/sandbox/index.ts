/** The sandbox FHIR server and the fault-injecting proxy used by delivery tests and the demo. */
export { startSandbox } from './sandbox-server';
export type { Sandbox, SandboxOptions } from './sandbox-server';
export { generateSandboxToken, type TokenCheck } from './sandbox-guard';
export { SandboxRepository } from './sandbox-repository';
export { startFaultProxy } from './faults';
export type {
  Fault,
  FaultProxy,
  FaultProxyOptions,
  FaultRule,
  RecordedRequest,
  RequestMatcher,
} from './faults';
