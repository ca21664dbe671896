import type Database from 'better-sqlite3';

/**
 * Runs the store's work on one SQLite connection, one task at a time in arrival order, and lets
 * units of work that queue up behind one another share a database transaction (issue 12). Each
 * COMMIT appends every page the transaction changed to the WAL, two writes per page; the pages a
 * run of units change overlap (the ends of the tables and of their time-ordered indexes), so a
 * group writes far fewer pages than its units one by one.
 *
 * A unit joins the open group only when it is next in the queue as the previous unit ends; the
 * group commits as soon as no unit is waiting (no timer: a lone unit commits at once, as before),
 * or after `maxUnits`. Every unit after the first runs inside a SAVEPOINT: a unit that throws is
 * rolled back alone and the group goes on. A unit's promise resolves only after its group's COMMIT
 * (and the caller then waits for the fsync, as for any commit: DESIGN.md §6); if that COMMIT
 * fails, or SQLite rolled the whole transaction back after an error, every unit of the group
 * fails — none of them was acknowledged. Work that is not a unit (a statement on its own, a
 * pragma, closing) runs alone, never inside a group.
 *
 * Isolation is unchanged: units run one after another on one connection, each seeing what the
 * units before it wrote, as with one transaction each.
 */
export interface TransactionGroups {
  /** Runs `fn` as a unit of work; resolves with its value once its group has committed. */
  unit<T>(fn: () => Promise<T>): Promise<T>;
  /** Runs `fn` alone, outside any transaction of the groups (no group is open while it runs). */
  alone<T>(fn: () => Promise<T>): Promise<T>;
}

interface Task {
  kind: 'unit' | 'alone';
  run: () => Promise<void>;
}

interface Group {
  units: number;
  /** Settles when the group's transaction has committed (or failed). */
  done: Promise<void>;
  commit: () => void;
  fail: (err: unknown) => void;
}

export function createTransactionGroups(db: Database.Database, maxUnits: number): TransactionGroups {
  const queue: Task[] = [];
  let running = false;
  let group: Group | undefined;

  const pump = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      for (let task = queue.shift(); task; task = queue.shift()) {
        await task.run();
        // The group goes on only with the unit waiting right behind it.
        if (group && (queue[0]?.kind !== 'unit' || group.units >= maxUnits)) endGroup(group);
      }
    } finally {
      running = false;
    }
  };

  const endGroup = (g: Group): void => {
    group = undefined;
    try {
      db.exec('COMMIT');
      g.commit();
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      g.fail(err);
    }
  };

  const openGroup = (): Group => {
    db.exec('BEGIN IMMEDIATE'); // the write lock up front: no deadlock upgrading a read lock later
    let commit!: () => void;
    let fail!: (err: unknown) => void;
    const done = new Promise<void>((resolve, reject) => {
      commit = resolve;
      fail = reject;
    });
    done.catch(() => undefined); // each member observes the failure through its own promise
    return { units: 0, done, commit, fail };
  };

  const runUnit = async <T>(
    fn: () => Promise<T>,
  ): Promise<{ value: T; group: Group } | { error: unknown }> => {
    const g = (group ??= openGroup());
    const first = g.units === 0;
    if (!first) db.exec('SAVEPOINT unit');
    try {
      const value = await fn();
      if (!first) db.exec('RELEASE unit');
      g.units++;
      return { value, group: g };
    } catch (error) {
      undoUnit(g, first, error);
      return { error };
    }
  };

  /** Rolls back a unit that threw: alone when it has a savepoint, else with its (empty) group. */
  const undoUnit = (g: Group, first: boolean, error: unknown): void => {
    if (!db.inTransaction) {
      // SQLite rolled the whole transaction back (SQLITE_FULL, IOERR, …): the units before lost
      // their writes too.
      group = undefined;
      g.fail(error);
    } else if (first) {
      db.exec('ROLLBACK');
      group = undefined;
      g.commit(); // nothing was in it
    } else {
      db.exec('ROLLBACK TO unit');
      db.exec('RELEASE unit');
    }
  };

  const enqueue = <T>(kind: Task['kind'], body: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      queue.push({
        kind,
        run: () => body().then(resolve, reject),
      });
      void pump();
    });

  return {
    unit: async <T>(fn: () => Promise<T>): Promise<T> => {
      const outcome = await enqueue('unit', () => runUnit(fn));
      if ('error' in outcome) throw outcome.error;
      await outcome.group.done;
      return outcome.value;
    },
    alone: <T>(fn: () => Promise<T>): Promise<T> => enqueue('alone', fn),
  };
}
