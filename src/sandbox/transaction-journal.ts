import { AsyncLocalStorage } from 'node:async_hooks';
import type { Resource } from '@medplum/fhirtypes';

/** What a key (`Type/id`) looked like before a transaction first touched it. */
export interface JournalEntry {
  key: string;
  current: (Resource & { id: string }) | undefined;
  historyLength: number;
}

/**
 * The undo log of one transaction: the state of each touched key before its first change, in
 * touch order. Rolling back restores them in reverse, which makes a FHIR transaction
 * all-or-nothing (R4 http.html#transaction: "If any resource identities fail, the entire
 * transaction fails and no changes are made").
 */
export class Journal {
  readonly entries: JournalEntry[] = [];
  private readonly touched = new Set<string>();

  /** Records the before-image of `key` unless this transaction has already touched it. */
  touch(key: string, before: () => Omit<JournalEntry, 'key'>): void {
    if (this.touched.has(key)) return;
    this.touched.add(key);
    this.entries.push({ key, ...before() });
  }
}

interface LockContext {
  journal: Journal | undefined;
}

/**
 * A single-writer lock that knows, through AsyncLocalStorage, whether the current async call
 * chain already holds it — so a conditional create inside a transaction Bundle (which medplum's
 * router runs as a nested `withTransaction`) joins the outer transaction instead of deadlocking.
 * Serialising every request makes conditional create/update race-free: two deliveries of the same
 * identifier cannot both see "no match".
 */
export class ExclusiveLock {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly context = new AsyncLocalStorage<LockContext>();

  /** Runs `fn` holding the lock (re-entrant within the same async call chain). */
  run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.context.getStore()) return fn();
    const result = this.tail.then(() => this.context.run({ journal: undefined }, fn));
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** The journal of the transaction the caller runs in, if any. */
  journal(): Journal | undefined {
    return this.context.getStore()?.journal;
  }

  /**
   * Runs `fn` as a transaction: on a throw, `rollback` receives the journal and the error is
   * re-thrown. A nested call joins the enclosing transaction.
   */
  transaction<T>(fn: () => Promise<T>, rollback: (journal: Journal) => void): Promise<T> {
    return this.run(async () => {
      const ctx = this.context.getStore();
      if (!ctx || ctx.journal) return fn();
      const journal = new Journal();
      ctx.journal = journal;
      try {
        return await fn();
      } catch (err) {
        rollback(journal);
        throw err;
      } finally {
        ctx.journal = undefined;
      }
    });
  }
}
