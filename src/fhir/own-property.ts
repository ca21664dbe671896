/**
 * Lookups keyed by input. A JSON key such as `constructor`, `toString` or `__proto__` names a
 * property every plain object inherits from `Object.prototype`, so `table[key]` and `key in table`
 * find a function where the table has no entry (issue 10: a resource with a `constructor`
 * property crashed the validator). Wherever a key comes from input, look it up as an own property.
 */

/** `table[key]` when `table` has `key` as its own property; `undefined` otherwise. */
export function ownProperty<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
