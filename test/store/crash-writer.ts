// Child process for the crash tests: opens a store, writes a record, its FHIR form and an outbox
// row inside one transaction, prints a marker and then hangs — either before COMMIT ("open") or
// after it ("committed") — until the parent kills it with SIGKILL.
import { openStore } from '../../src/adapters/store/open-store';

async function main(): Promise<void> {
  const [url, mode] = process.argv.slice(2);
  if (!url || (mode !== 'open' && mode !== 'committed'))
    throw new Error('usage: crash-writer URL open|committed');
  const store = await openStore(url);
  const now = new Date('2026-11-20T18:00:00Z');
  const write = store.transaction(async (tx) => {
    await tx.putRecord({
      kind: 'update',
      id: 'UPD-CRASH',
      contentHash: 'h',
      json: {},
      patientMrn: 'KAP-1',
      receivedAt: now,
    });
    await tx.putResource({ resourceType: 'Communication', id: 'c-crash', status: 'completed' }, 'KAP-1', now);
    await tx.enqueue(
      {
        itemKey: 'd|Communication/c-crash|1',
        destinationId: 'd',
        patientMrn: 'KAP-1',
        recipientNpi: '1234567893',
        resourceType: 'Communication',
        resourceId: 'c-crash',
        resourceVersion: 1,
        state: 'queued',
        deadline: null,
        consentRef: null,
      },
      now,
    );
    if (mode === 'open') {
      process.stdout.write('IN-TRANSACTION\n');
      await new Promise(() => undefined); // never commits
    }
  });
  await write;
  process.stdout.write('COMMITTED\n');
  await new Promise(() => undefined);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(3);
});
