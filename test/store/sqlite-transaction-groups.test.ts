import Database from 'better-sqlite3';
import { createTransactionGroups } from '../../src/adapters/store/sqlite-transaction-groups';

/** An in-memory database whose COMMITs are counted; `child` rows must have a `parent` at COMMIT. */
function openCounted() {
  const db = new Database(':memory:');
  db.exec(`CREATE TABLE parent (id TEXT PRIMARY KEY);
    CREATE TABLE child (id TEXT PRIMARY KEY,
      parent_id TEXT REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);`);
  db.pragma('foreign_keys = ON');
  const commits = { n: 0 };
  const exec = db.exec.bind(db);
  db.exec = (sql: string) => {
    if (sql === 'COMMIT') commits.n++;
    return exec(sql);
  };
  const groups = createTransactionGroups(db, 16);
  const insert = (id: string) =>
    groups.unit(async () => {
      await Promise.resolve(); // a unit awaits between statements, as the store's do
      db.prepare('INSERT INTO parent VALUES (?)').run(id);
    });
  const ids = () => db.prepare('SELECT id FROM parent ORDER BY id').pluck().all();
  return { db, groups, commits, insert, ids };
}

describe('SQLite transaction groups', () => {
  test('units queued behind one another share one COMMIT, and each resolves after it', async () => {
    const { groups, commits, insert, ids } = openCounted();
    const done = await Promise.all([
      insert('a'),
      insert('b'),
      insert('c'),
      groups.unit(async () => commits.n),
    ]);
    expect(done[3]).toBe(0); // the fourth unit ran before any COMMIT: it was in the group
    expect(commits.n).toBe(1);
    expect(ids()).toEqual(['a', 'b', 'c']);
  });

  test('a unit alone commits at once', async () => {
    const { commits, insert } = openCounted();
    await insert('a');
    expect(commits.n).toBe(1);
    await insert('b');
    expect(commits.n).toBe(2);
  });

  test('a unit that throws is rolled back alone; the units around it in its group commit', async () => {
    const { db, groups, insert, ids } = openCounted();
    const failing = groups.unit(async () => {
      db.prepare('INSERT INTO parent VALUES (?)').run('x');
      await Promise.resolve();
      throw new Error('refused');
    });
    const results = await Promise.allSettled([insert('a'), failing, insert('b')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(ids()).toEqual(['a', 'b']);
  });

  test('the first unit of a group that throws leaves nothing, and the next units commit', async () => {
    const { db, groups, insert, ids } = openCounted();
    const failing = groups.unit(async () => {
      db.prepare('INSERT INTO parent VALUES (?)').run('x');
      throw new Error('refused');
    });
    const results = await Promise.allSettled([failing, insert('a'), insert('b')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    expect(ids()).toEqual(['a', 'b']);
  });

  test('when the COMMIT of a group fails, every unit of the group fails and nothing is kept', async () => {
    const { db, groups, insert, ids } = openCounted();
    const orphan = groups.unit(async () => {
      db.prepare('INSERT INTO child VALUES (?, ?)').run('c', 'no-such-parent'); // checked at COMMIT
    });
    const results = await Promise.allSettled([insert('a'), orphan, insert('b')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(ids()).toEqual([]);
    expect(db.inTransaction).toBe(false);
    await insert('c'); // the connection goes on
    expect(ids()).toEqual(['c']);
  });

  test('work that runs alone never runs inside a group: the group commits first', async () => {
    const { db, groups, insert } = openCounted();
    const seen: boolean[] = [];
    await Promise.all([insert('a'), groups.alone(async () => seen.push(db.inTransaction)), insert('b')]);
    expect(seen).toEqual([false]);
  });
});
