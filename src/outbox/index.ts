/**
 * The outbox state machine (DESIGN.md §6): states, the sets rules use, the transitions and the
 * results of an attempt. Pure.
 */
export * from './states';
export * from './transitions';
export * from './attempt-result';
