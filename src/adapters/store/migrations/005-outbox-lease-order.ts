import type { Migration } from './migration';

/**
 * An index in lease order (DESIGN.md §6: earliest integration-window deadline first, then oldest),
 * holding only the rows a relay may lease — due (`queued`, `retry-wait`) or leased (`in-flight`,
 * taken over when its lease expired). `leaseDue` walks it from the front and stops after `limit`
 * rows, instead of sorting every due row on each lease (issue 12: 43–76 ms per lease at 100k
 * queued rows). Delivered, withheld, dead and cancelled rows — most of the outbox over time — are
 * not in it, so the walk never skips them. `deadline IS NULL` first makes "nulls last" an
 * ascending key in both databases (SQLite cannot order an index NULLS LAST); `leaseDue` orders
 * and filters by exactly these expressions, which both planners need to use the index.
 */
export const migration005: Migration = {
  version: 5,
  name: 'outbox-lease-order',
  sqlite: `
CREATE INDEX outbox_lease ON outbox ((deadline IS NULL), deadline, created_at, id)
  WHERE state IN ('queued', 'retry-wait', 'in-flight');
`,
  postgres: `
CREATE INDEX outbox_lease ON outbox ((deadline IS NULL), deadline, created_at, id)
  WHERE state IN ('queued', 'retry-wait', 'in-flight');
`,
};
