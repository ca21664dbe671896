import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { Logger } from 'pino';
import type { AppDeps } from '../app-deps';
import { sendFhir } from '../errors';
import type { RouteSpec } from '../route-table';
import { outcome } from '../../../fhir/outcomes';

/**
 * Liveness, readiness and metrics. `/healthz` and `/readyz` need no key (DESIGN.md §8) and say
 * only check names and ok/failed, and are rate-limited as probes (their own generous bound per
 * address, apart from the anonymous limit); `/metrics` needs `ops` (queue depths are operational data).
 */
export function healthRoutes(deps: Pick<AppDeps, 'readiness' | 'metrics' | 'logger'>): RouteSpec[] {
  return [
    {
      method: 'get',
      path: '/healthz',
      probe: true,
      handler: (_req, res) => void res.status(200).json({ status: 'ok' }),
    },
    {
      method: 'get',
      path: '/readyz',
      probe: true,
      handler: async (_req, res) => {
        const { ok, checks } = await deps.readiness();
        const failed = Object.entries(checks).filter(([, c]) => !c.ok);
        logFailedChecks(deps.logger, failed);
        if (ok && failed.length === 0) {
          res
            .status(200)
            .json({ status: 'ok', checks: Object.fromEntries(Object.keys(checks).map((k) => [k, 'ok'])) });
          return;
        }
        const issues: OperationOutcomeIssue[] = failed.map(([name]) => ({
          severity: 'error',
          code: 'transient',
          details: { text: `Check "${name}" is failing.` },
        }));
        res.setHeader('Retry-After', '5');
        sendFhir(
          res,
          503,
          outcome(
            issues.length
              ? issues
              : [{ severity: 'error', code: 'transient', details: { text: 'Not ready.' } }],
          ),
        );
      },
    },
    {
      method: 'get',
      path: '/metrics',
      scope: 'ops',
      handler: async (_req, res) => {
        const body = await deps.metrics.registry.metrics();
        res.status(200).type(deps.metrics.registry.contentType).send(body);
      },
    },
  ];
}

function logFailedChecks(logger: Logger, failed: Array<[string, { message?: string }]>): void {
  for (const [check, c] of failed) logger.warn({ check, detail: c.message }, 'readiness check failing');
}
