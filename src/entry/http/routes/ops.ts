import type { AppDeps } from '../app-deps';
import { actorOf } from '../auth';
import { httpError, sendFhir } from '../errors';
import { RESULT_STATUS } from '../result-status';
import type { RouteSpec } from '../route-table';
import { pathId } from './records';

/**
 * Operations and the disclosure log (DESIGN.md §8). Listings hold PHI-bearing references, so
 * every read is written to the audit trail before it is answered (HIPAA 164.312(b)); a read that
 * cannot be audited fails. The auditing is in the use cases behind the ports (src/app/), which the
 * CLI calls too: the route passes who is reading and translates the answer.
 */

export function opsRoutes(deps: Pick<AppDeps, 'outbox' | 'disclosures'>): RouteSpec[] {
  return [
    {
      method: 'get',
      path: '/outbox',
      scope: 'ops',
      handler: async (req, res) => {
        const state = queryValue(req.query.state, 'state', deps.outbox.states);
        const destination = queryValue(req.query.destination, 'destination');
        if (destination !== undefined) pathId(destination, 'destination');
        const items = await deps.outbox.list({ state, destination }, actorOf(res));
        res.status(200).json({ items });
      },
    },
    {
      method: 'post',
      path: '/outbox/:id/retry',
      scope: 'ops',
      handler: async (req, res) => {
        const result = await deps.outbox.retry(pathId(req.params.id), actorOf(res));
        if (result.status === 'retried')
          res
            .status(RESULT_STATUS.retried)
            .json({ status: result.status, outcome: result.outcome, item: result.item });
        else sendFhir(res, RESULT_STATUS[result.status], result.outcome);
      },
    },
    {
      method: 'get',
      path: '/patients/:mrn/disclosures',
      scope: 'audit',
      handler: async (req, res) => {
        const mrn = pathId(req.params.mrn, 'mrn');
        const log = await deps.disclosures(mrn, actorOf(res));
        if (!log.found) throw httpError(404, 'not-found', 'No patient with this MRN.');
        res.status(200).json({ mrn, entries: log.entries });
      },
    },
  ];
}

/** One string query value, optionally from a closed list (400 `value` otherwise). */
export function queryValue(raw: unknown, name: string, allowed?: readonly string[]): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw === '' || (allowed && !allowed.includes(raw))) {
    const expected = allowed ? `one of ${allowed.join(', ')}` : 'a single value';
    throw httpError(400, 'value', `The ${name} query parameter must be ${expected}.`, name);
  }
  return raw;
}
