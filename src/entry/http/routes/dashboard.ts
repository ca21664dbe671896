import type { AppDeps } from '../app-deps';
import { actorOf } from '../auth';
import { httpError } from '../errors';
import type { RouteSpec } from '../route-table';
import { queryValue } from './ops';
import { pathId } from './records';

/**
 * The reads behind the operations dashboard (`/ui/`, DESIGN.md §6, §8): the same API as every
 * other caller, with the same scopes, OperationOutcome errors and audited PHI reads. `GET
 * /session` tells the page which key signed in and what it may see, so the page shows only the
 * views the key's scopes allow (the server refuses the rest anyway), and the practice's time zone,
 * in which integration windows close (DESIGN.md §6).
 */
export function dashboardRoutes(deps: Pick<AppDeps, 'dashboard' | 'timeZone'>): RouteSpec[] {
  return [
    {
      method: 'get',
      path: '/session',
      anyKey: true,
      handler: (_req, res) => {
        const actor = actorOf(res);
        res.status(200).json({ name: actor.keyName, scopes: actor.scopes, timeZone: deps.timeZone });
      },
    },
    {
      method: 'get',
      path: '/outbox/summary',
      scope: 'ops',
      handler: async (req, res) => {
        const destination = queryValue(req.query.destination, 'destination');
        const patient = queryValue(req.query.patient, 'patient');
        if (destination !== undefined) pathId(destination, 'destination');
        if (patient !== undefined) pathId(patient, 'patient');
        const query = { ...(destination ? { destination } : {}), ...(patient ? { patient } : {}) };
        res.status(200).json(await deps.dashboard.outboxSummary(query, actorOf(res)));
      },
    },
    {
      method: 'get',
      path: '/referrals/:id',
      scope: 'ops',
      handler: async (req, res) => {
        const view = await deps.dashboard.referral(pathId(req.params.id), actorOf(res));
        if (view === undefined) throw httpError(404, 'not-found', 'No referral with this id.');
        res.status(200).json(view);
      },
    },
    {
      method: 'get',
      path: '/referrals/:id/client',
      scope: 'ops',
      handler: async (req, res) => {
        const client = await deps.dashboard.clientName(pathId(req.params.id), actorOf(res));
        if (client === undefined) throw httpError(404, 'not-found', 'No referral with this id.');
        res.status(200).json(client);
      },
    },
  ];
}
