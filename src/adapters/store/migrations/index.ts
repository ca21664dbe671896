import { migration001 } from './001-initial';
import { migration002 } from './002-counters';
import { migration003 } from './003-client-lookups';
import { migration004 } from './004-inbound-messages';
import { migration005 } from './005-outbox-lease-order';
import { migration006 } from './006-client-lookup-columns';
import type { Migration } from './migration';

export type { Migration } from './migration';

/** Every migration, in version order. Append new ones here. */
export const MIGRATIONS: readonly Migration[] = [
  migration001,
  migration002,
  migration003,
  migration004,
  migration005,
  migration006,
];
