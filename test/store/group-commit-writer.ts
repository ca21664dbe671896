// Child process for the group-commit crash test: opens a SQLite store and keeps WRITERS callers
// committing small transactions at once (so commits share fsyncs), printing `ACK <id>` on stdout
// the moment each write is acknowledged, until the parent kills it with SIGKILL.
import { openSqliteStore } from '../../src/adapters/store/sqlite-store';

const WRITERS = 8;

async function main(): Promise<void> {
  const [file] = process.argv.slice(2);
  if (!file) throw new Error('usage: group-commit-writer FILE');
  const store = openSqliteStore(file);
  let next = 0;
  const writer = async (): Promise<never> => {
    for (;;) {
      const id = `GC-${next++}`;
      await store.transaction(async (tx) => {
        await tx.putRecord({
          kind: 'update',
          id,
          contentHash: 'h',
          json: { id },
          patientMrn: 'KAP-1',
          receivedAt: new Date('2026-11-20T18:00:00Z'),
        });
      });
      process.stdout.write(`ACK ${id}\n`);
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, writer));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
