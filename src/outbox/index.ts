/** The outbox state machine (DESIGN.md §6): states, the sets rules use, and the transitions. Pure. */
export * from './states';
export * from './transitions';
