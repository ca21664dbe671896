import type { SqlParam } from './sql-executor';
import type { Row } from './sql-rows';

/** `IN (?, ?, …)` for a list of values. */
export function inList(n: number): string {
  return `(${new Array(n).fill('?').join(', ')})`;
}

/** `WHERE a = ? AND b = ?` for the conditions whose value is given (empty when none is). */
export function where(conds: Array<[string, SqlParam | undefined]>): { clause: string; params: SqlParam[] } {
  const given = conds.filter((c): c is [string, SqlParam] => c[1] !== undefined);
  return {
    clause: given.length > 0 ? `WHERE ${given.map((c) => c[0]).join(' AND ')}` : '',
    params: given.map((c) => c[1]),
  };
}

/** The single row a statement with `RETURNING` must produce. */
export function first(rows: Row[]): Row {
  const row = rows[0];
  if (!row) throw new Error('store: a statement expected to return a row returned none');
  return row;
}
