import { createPublicKey, verify } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PublicJwk } from '../../src/adapters/destination/auth';

/**
 * A real SMART Backend Services token endpoint for tests (RFC 7523 + SMART backend-services):
 * verifies the client assertion's signature against the registered JWKS, checks iss/sub/aud/exp
 * (≤ 5 min ahead) and rejects a replayed jti, then issues an opaque access token.
 */
export interface TokenEndpoint {
  url: string;
  /** Every token request received, accepted or not. */
  requests: number;
  issued: string[];
  /** Seconds of validity in the next answers. */
  expiresIn: number;
  close(): Promise<void>;
}

type Claims = { iss?: string; sub?: string; aud?: string | string[]; exp?: number; jti?: string };

function deny(description: string): { status: number; body: Record<string, string> } {
  return { status: 400, body: { error: 'invalid_client', error_description: description } };
}

function verifyAssertion(
  jwt: string,
  jwks: PublicJwk[],
  clientId: string,
  url: string,
  seen: Set<string>,
  nowS: number,
) {
  const [h = '', p = '', s = ''] = jwt.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg?: string; kid?: string };
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Claims;
  const jwk = jwks.find((k) => k.kid === header.kid);
  if (!jwk || jwk.alg !== header.alg) return deny('unknown kid or alg');
  const key = createPublicKey({ key: { ...jwk }, format: 'jwk' });
  const data = Buffer.from(`${h}.${p}`);
  const sig = Buffer.from(s, 'base64url');
  const ok =
    header.alg === 'ES384'
      ? verify('sha384', data, { key, dsaEncoding: 'ieee-p1363' }, sig)
      : verify('sha384', data, key, sig);
  if (!ok) return deny('bad signature');
  if (claims.iss !== clientId || claims.sub !== clientId) return deny('iss/sub');
  if (claims.aud !== url && !(Array.isArray(claims.aud) && claims.aud.includes(url))) return deny('aud');
  if (typeof claims.exp !== 'number' || claims.exp <= nowS || claims.exp > nowS + 300) return deny('exp');
  if (!claims.jti || seen.has(claims.jti)) return deny('jti replayed');
  seen.add(claims.jti);
  return undefined;
}

/** Starts the endpoint on 127.0.0.1; `nowS` is the server's clock (seconds). */
export async function startTokenEndpoint(
  jwks: PublicJwk[],
  clientId: string,
  nowS: () => number,
): Promise<TokenEndpoint> {
  const seen = new Set<string>();
  const state = { requests: 0, issued: [] as string[], expiresIn: 300, url: '' };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      state.requests++;
      const form = new URLSearchParams(raw);
      let answer: { status: number; body: Record<string, unknown> } | undefined;
      if (form.get('grant_type') !== 'client_credentials')
        answer = { status: 400, body: { error: 'unsupported_grant_type' } };
      else if (
        form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
      ) {
        answer = deny('client_assertion_type');
      } else
        answer = verifyAssertion(form.get('client_assertion') ?? '', jwks, clientId, state.url, seen, nowS());
      if (!answer) {
        const token = `tok-${state.issued.length + 1}`;
        state.issued.push(token);
        answer = {
          status: 200,
          body: {
            access_token: token,
            token_type: 'bearer',
            expires_in: state.expiresIn,
            scope: form.get('scope'),
          },
        };
      }
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  return Object.assign(state, {
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  }) as TokenEndpoint;
}
