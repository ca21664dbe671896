import { first } from './sql-clauses';
import type { SqlExecutor } from './sql-executor';
import type { Row } from './sql-rows';

/** Named counters (the practice MRN sequence, migration 002). */
export async function nextInSequence(exec: SqlExecutor, name: string, above: number): Promise<number> {
  // An upsert is one statement holding the row lock to commit: a concurrent taker waits and
  // then sees the committed value (PostgreSQL re-reads the row it waited for).
  const rows = await exec.all<Row>(
    `INSERT INTO counters (name, last) VALUES (?, ?)
     ON CONFLICT (name) DO UPDATE SET last =
       CASE WHEN counters.last >= excluded.last THEN counters.last + 1 ELSE excluded.last END
     RETURNING last`,
    [name, above + 1],
  );
  return Number(first(rows).last);
}

export async function raiseSequence(exec: SqlExecutor, name: string, atLeast: number): Promise<void> {
  // Written only when it raises the counter, so the common case (already above) locks nothing.
  const rows = await exec.all<Row>('SELECT last FROM counters WHERE name = ?', [name]);
  if (rows[0] && Number(rows[0].last) >= atLeast) return;
  await exec.run(
    `INSERT INTO counters (name, last) VALUES (?, ?)
     ON CONFLICT (name) DO UPDATE SET last = excluded.last WHERE counters.last < excluded.last`,
    [name, atLeast],
  );
}
