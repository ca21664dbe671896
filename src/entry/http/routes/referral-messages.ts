import type { AppDeps } from '../app-deps';
import { actorOf } from '../auth';
import { httpError } from '../errors';
import type { RouteSpec } from '../route-table';
import { pathId } from './records';

/**
 * The loop with the referring clinician, as staff see it (DESIGN.md §6b; README "Referral messages"):
 * `GET /referrals/{id}/messages` — statuses and replies, a read of PHI audited with the client's
 * MRN in the use case — and `POST /referrals/{id}/messages/{messageId}/handled`. Scope `ops`.
 */
export function referralMessageRoutes(deps: Pick<AppDeps, 'replies'>): RouteSpec[] {
  return [
    {
      method: 'get',
      path: '/referrals/:id/messages',
      scope: 'ops',
      handler: async (req, res) => {
        const view = await deps.replies.messages(pathId(req.params.id), actorOf(res));
        if (view === null) throw httpError(404, 'not-found', 'No referral with this id.');
        res.status(200).json(view);
      },
    },
    {
      method: 'post',
      path: '/referrals/:id/messages/:messageId/handled',
      scope: 'ops',
      handler: async (req, res) => {
        const referralId = pathId(req.params.id);
        const messageId = pathId(req.params.messageId, 'messageId');
        const reply = await deps.replies.markHandled(referralId, messageId, actorOf(res));
        if (reply === null) throw httpError(404, 'not-found', 'No reply with this id on this referral.');
        res.status(200).json({ status: 'handled', reply });
      },
    },
  ];
}
