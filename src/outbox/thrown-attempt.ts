/**
 * Readable reasons for an attempt that threw instead of ending with a classified result
 * (DESIGN.md §6: such a row goes `dead` "with a readable reason"). The reason is stored on the
 * row and shown to operators, so it carries no stack and no record content: only errors that
 * kap-bridge raises on purpose ({@link UndeliverableItemError}, whose messages name types and
 * rules, never values) contribute their message; any other error is named by its kind.
 */

/** An item that cannot be turned into something to send; its message must hold no PHI. */
export class UndeliverableItemError extends Error {
  override readonly name = 'UndeliverableItemError';
}

/** The error's class name (`TypeError`, …), or `non-Error value` for anything thrown that is not one. */
export function errorName(err: unknown): string {
  return err instanceof Error ? err.name : 'non-Error value';
}

/** The operator-facing reason of a thrown attempt. */
export function thrownReason(err: unknown): string {
  if (err instanceof UndeliverableItemError) return `the item cannot be delivered: ${err.message}`;
  return `the attempt failed inside kap-bridge (${errorName(err)}) before its result could be classified: a bug to report with this outbox id`;
}
