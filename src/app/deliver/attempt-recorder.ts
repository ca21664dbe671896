import type { AttemptCompletion, CompletedAttempt, Store } from '../ports/store-port';

/**
 * Records the ends of attempts, several in one transaction (issue 12: a commit per delivered row
 * was the largest part of the relay's database time). The first end to arrive is written at once;
 * the ends that arrive while a write is under way wait for it and go together in the next one, so
 * nothing waits for a timer and a lone attempt is written as before. Each end is answered only
 * when its write has committed (and is durable: the store acknowledges after its fsync).
 *
 * One end that cannot be written (it throws) must not lose the others with it: when a write of
 * several throws, each of them is written again on its own, and only the one at fault fails.
 */
export type AttemptRecorder = (end: AttemptCompletion) => Promise<CompletedAttempt | null>;

interface Waiting {
  end: AttemptCompletion;
  resolve: (done: CompletedAttempt | null) => void;
  reject: (err: unknown) => void;
}

export function createAttemptRecorder(
  store: Pick<Store, 'completeAttempt' | 'completeAttempts'>,
): AttemptRecorder {
  let queue: Waiting[] = [];
  let writing = false;

  const alone = (w: Waiting): Promise<void> => {
    const { id, owner, attempt, patch, audit } = w.end;
    return store.completeAttempt(id, owner, attempt, patch, audit).then(w.resolve, w.reject);
  };

  const together = async (batch: Waiting[]): Promise<void> => {
    let done: Array<CompletedAttempt | null>;
    try {
      done = await store.completeAttempts(batch.map((w) => w.end));
    } catch {
      for (const w of batch) await alone(w);
      return;
    }
    batch.forEach((w, i) => w.resolve(done[i] ?? null));
  };

  const writeAll = async (): Promise<void> => {
    writing = true;
    try {
      while (queue.length > 0) {
        const batch = queue;
        queue = [];
        await (batch.length === 1 ? alone(batch[0] as Waiting) : together(batch));
      }
    } finally {
      writing = false;
    }
  };

  return (end) =>
    new Promise<CompletedAttempt | null>((resolve, reject) => {
      queue.push({ end, resolve, reject });
      if (!writing) void writeAll();
    });
}
