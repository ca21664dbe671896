import type { AttemptCompletion, CompletedAttempt } from '../../src/app/ports/store-port';
import { createAttemptRecorder } from '../../src/app/deliver/attempt-recorder';

/** The relay's attempt records: written together when they arrive together, each answered alone. */

function fakeStore(failing = new Set<string>()) {
  const writes: string[][] = [];
  const answer = (e: AttemptCompletion): CompletedAttempt | null => {
    if (failing.has(e.id)) throw new Error(`cannot write ${e.id}`);
    return e.owner === 'w1' ? ({ row: { id: e.id } } as unknown as CompletedAttempt) : null;
  };
  return {
    writes,
    async completeAttempt(id: string, owner: string, attempt: AttemptCompletion['attempt']) {
      await new Promise((r) => setTimeout(r, 5));
      const done = answer({ id, owner, attempt, patch: {} }); // a throw writes nothing
      writes.push([id]);
      return done;
    },
    async completeAttempts(entries: readonly AttemptCompletion[]) {
      await new Promise((r) => setTimeout(r, 5));
      const done = entries.map(answer); // throws for all when one throws (one transaction)
      writes.push(entries.map((e) => e.id));
      return done;
    },
  };
}

const end = (id: string, owner = 'w1'): AttemptCompletion => ({
  id,
  owner,
  attempt: {
    startedAt: new Date(0),
    finishedAt: new Date(1),
    httpStatus: 200,
    result: 'delivered',
    outcome: null,
  },
  patch: { state: 'delivered' },
});

test('a lone end is written at once; ends that arrive during a write go together in the next', async () => {
  const store = fakeStore();
  const record = createAttemptRecorder(store);
  const first = record(end('a'));
  const rest = ['b', 'c', 'd'].map((id) => record(end(id, id === 'c' ? 'stranger' : 'w1')));
  const done = await Promise.all([first, ...rest]);
  expect(store.writes).toEqual([['a'], ['b', 'c', 'd']]);
  expect(done.map((d) => d?.row.id ?? null)).toEqual(['a', 'b', null, 'd']);
  await record(end('e'));
  expect(store.writes.at(-1)).toEqual(['e']);
});

test('an end that cannot be written fails alone: the others of its write are written one by one', async () => {
  const store = fakeStore(new Set(['c']));
  const record = createAttemptRecorder(store);
  const first = record(end('a'));
  const rest = ['b', 'c', 'd'].map((id) => record(end(id)));
  const settled = await Promise.allSettled([first, ...rest]);
  expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  expect(store.writes).toEqual([['a'], ['b'], ['d']]);
});
