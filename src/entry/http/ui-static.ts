import path from 'node:path';
import express, { type RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * The operations dashboard's files (`/ui/`): plain HTML, CSS and JavaScript shipped with the
 * package (copied next to this module by `npm run build`), no framework and no CDN. Their own
 * Content-Security-Policy is stricter than helmet's default: scripts and styles only from this
 * origin, no inline script or style (so an injected string cannot run), no framing, and `fetch`
 * only back to the API. Files are public; everything about a client comes from the API, with a key.
 */
export const UI_DIR = path.join(__dirname, 'ui');

export function uiRoutes(dir = UI_DIR): RequestHandler[] {
  return [
    helmet.contentSecurityPolicy({
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    }),
    (_req, res, next) => {
      // One template for logs and metrics: file names are few and hold nothing, but one label is enough.
      res.locals.route = '/ui/*';
      // The page is small and changes with the package: always revalidate, never serve stale script.
      res.setHeader('Cache-Control', 'no-cache');
      next();
    },
    express.static(dir, { index: 'index.html', dotfiles: 'ignore', redirect: true }),
  ];
}
