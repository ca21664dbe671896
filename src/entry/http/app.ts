import express, { type Express } from 'express';
import helmet from 'helmet';
import { DEFAULT_HTTP_CONFIG, type AppDeps, type HttpConfig } from './app-deps';
import { errorHandler, notFoundHandler } from './errors';
import { logUnexpected, requestLogger, routeOf } from './logging';
import { registerRoutes } from './route-table';
import { fhirRoutes } from './routes/fhir';
import { healthRoutes } from './routes/health';
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
  app.set('query parser', 'simple'); // no nested objects from `a[b]=c`
  app.use(requestLogger(deps.logger, deps.metrics));
  app.use(helmet());
  registerRoutes(
    app,
    [
      ...healthRoutes(deps),
      ...recordRoutes(deps),
      ...referralMessageRoutes(deps),
      ...fhirRoutes(deps),
      ...opsRoutes(deps),
    ],
    { keys: deps.apiKeys, config },
  );
  app.use(notFoundHandler);
  app.use(
    errorHandler({
      unexpected: (err, req) =>
        logUnexpected(deps.logger, err, req.res?.locals.requestId, req.res ? routeOf(req.res) : 'unmatched'),
    }),
  );
  return app;
}
