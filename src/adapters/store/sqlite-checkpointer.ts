import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints off the commit path (issue 12). In WAL mode a commit appends pages to the WAL;
 * a checkpoint copies them into the database file and fsyncs both. SQLite's automatic checkpoint
 * runs inside the COMMIT that crosses `wal_autocheckpoint` pages (1,000 by default): on the event
 * loop, holding the store's lock, with two fsyncs — measured at more than half of the time of a
 * durable ingest's COMMIT. Here a worker thread with its own connection runs `PASSIVE` checkpoints
 * every `intervalMs`: they copy what is committed without blocking the writer, on another core.
 *
 * The store's connection keeps an automatic checkpoint at a larger threshold: a passive checkpoint
 * cannot finish while writes keep arriving, and the WAL only starts again from its beginning
 * after one that finished, so the writer finishes one every `finishAfterPages` pages (mostly
 * copied already by then) and the WAL stays bounded under a sustained load.
 *
 * Durability is SQLite's own: the worker's connection runs `synchronous = NORMAL`, under which a
 * checkpoint fsyncs the WAL before copying and the database file after (sqlite.org/pragma.html
 * #pragma_synchronous), so the WAL is never reused before the database file holds its pages.
 * Acknowledgements still wait for the store's own fsync of the WAL (group commit).
 */
export interface Checkpointer {
  /** Stops the worker and closes its connection (before the store's own, which then is the last). */
  close(): Promise<void>;
}

export interface CheckpointerOptions {
  /** How often the worker checkpoints (ms). */
  intervalMs: number;
}

/** The `wal_autocheckpoint` of the store's connection while a checkpointer runs (pages). */
export const FINISH_AFTER_PAGES = 10_000;

// Plain JavaScript, run with `eval`: the same in the built product and under ts-jest, with no
// separate file to ship. The driver is loaded by the path the store itself resolved.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('synchronous = NORMAL');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    // SQLITE_BUSY and the like: the next interval tries again.
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.postMessage('closed');
  parentPort.close();
});
`;

/** Starts the checkpoint worker for the SQLite database `file` (which must exist, in WAL mode). */
export function startCheckpointer(file: string, options: CheckpointerOptions): Checkpointer {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file, driver: require.resolve('better-sqlite3'), intervalMs: options.intervalMs },
  });
  // The worker never keeps the process alive, and a failure of it (it only checkpoints) is not
  // the writer's: the store's connection still checkpoints at its larger threshold.
  worker.unref();
  worker.on('error', () => undefined);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  let closing: Promise<void> | undefined;
  return {
    close() {
      if (!closing) {
        worker.ref(); // the process waits for the worker's connection to close
        worker.postMessage('close');
        closing = exited;
      }
      return closing;
    },
  };
}
