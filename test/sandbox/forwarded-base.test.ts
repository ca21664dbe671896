import type { IncomingMessage } from 'node:http';
import { forwardedBaseUrl } from '../../src/sandbox/forwarded-base';

/**
 * The sandbox's links follow the address a forwarding proxy names (X-Forwarded-Host), but only a
 * loopback one: a header can never point a `next` link at another host.
 */

const OWN = 'http://127.0.0.1:40001/fhir';
const withHost = (value: string | string[] | undefined) =>
  ({ headers: value === undefined ? {} : { 'x-forwarded-host': value } }) as unknown as IncomingMessage;

test('a loopback forwarded host with a port becomes the base of the links, keeping the /fhir path', () => {
  expect(forwardedBaseUrl(withHost('127.0.0.1:40002'), OWN)).toBe('http://127.0.0.1:40002/fhir');
  expect(forwardedBaseUrl(withHost('localhost:8080'), OWN)).toBe('http://localhost:8080/fhir');
  expect(forwardedBaseUrl(withHost('[::1]:9000'), OWN)).toBe('http://[::1]:9000/fhir');
});

test('no header, another host, a list, a path or an overlong value keep the sandbox’s own base', () => {
  for (const value of [
    undefined,
    'evil.example:443',
    'evil.example',
    '127.0.0.1',
    '127.0.0.1:1, evil.example:2',
    '127.0.0.1:1/other',
    ['127.0.0.1:1', '127.0.0.1:2'],
    `localhost:${'9'.repeat(100)}`,
  ]) {
    expect({ value, base: forwardedBaseUrl(withHost(value), OWN) }).toEqual({ value, base: OWN });
  }
});
