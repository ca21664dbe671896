import express, { type Express } from 'express';
import helmet from 'helmet';
import { DEFAULT_HTTP_CONFIG, type AppDeps, type HttpConfig } from './app-deps';
import { uiRateLimiter } from './anonymous-rate-limit';
import type { FhirCapability } from './capability-statement';
import { errorHandler, notFoundHandler } from './errors';
import { logUnexpected, requestLogger, routeOf } from './logging';
import { registerRoutes } from './route-table';
import { uiRoutes } from './ui-static';
import { fhirRoutes } from './routes/fhir';
import { healthRoutes } from './routes/health';
import { dashboardRoutes } from './routes/dashboard';
import { opsRoutes } from './routes/ops';
import { recordRoutes } from './routes/records';
import { referralMessageRoutes } from './routes/referral-messages';

/**
 * The HTTP API (DESIGN.md §8) as an express 5 app over injected ports. No listening, no env,
 * no clock of its own: the composition root (`bootstrap/`) builds the deps and calls `app.listen(port, host)`.
 */
export function createApp(deps: AppDeps): Express {
  const config: HttpConfig = { ...DEFAULT_HTTP_CONFIG, ...deps.config };
  const app = express();
  app.disable('x-powered-by');
  // Express's content-hash ETag is not a resource version; on /fhir a client may read it as one
  // (R4 http.html#versioning). No answer here is a resource version, so none carries an ETag.
  app.set('etag', false);
  app.set('query parser', 'simple'); // no nested objects from `a[b]=c`
  app.use(requestLogger(deps.logger, deps.metrics));
  app.use(helmet());
  // Before the routes: the dashboard's files have their own rate limit, not the anonymous one the
  // routes install (a file that is not there falls through to the routes and their 404).
  app.use('/ui', uiRateLimiter(config.uiRateLimit), ...uiRoutes());
  // What the FHIR routes declare, known once the whole table is built: /fhir/metadata states it.
  let implemented: readonly FhirCapability[] = [];
  const routes = [
    ...healthRoutes(deps),
    ...recordRoutes(deps),
    ...referralMessageRoutes(deps),
    ...fhirRoutes(deps, () => implemented),
    ...dashboardRoutes(deps),
    ...opsRoutes(deps),
  ];
  implemented = routes.flatMap((r) => r.fhir ?? []);
  registerRoutes(app, routes, { keys: deps.apiKeys, config });
  app.use(notFoundHandler);
  app.use(
    errorHandler({
      unexpected: (err, req) =>
        logUnexpected(deps.logger, err, req.res?.locals.requestId, req.res ? routeOf(req.res) : 'unmatched'),
    }),
  );
  return app;
}
