import type { Bundle } from '@medplum/fhirtypes';
import type { Request, Response } from 'express';
import { isJsonObject } from '../../../fhir/json-object';
import { isR4ResourceType } from '../../../fhir/r4-resource-types';
import type { Actor, AppDeps, FhirResult } from '../app-deps';
import { actorOf } from '../auth';
import { PROCESS_MESSAGE, readableTypes, VALIDATE, type FhirCapability } from '../capability-statement';
import { httpError, sendFhir } from '../errors';
import { requireBody } from '../json-body';
import { RESULT_STATUS } from '../result-status';
import type { RouteSpec } from '../route-table';
import { readValidateInput, typeMismatch } from '../validate-input';

/**
 * FHIR endpoints from health systems (DESIGN.md §8), `application/fhir+json` both ways:
 * transaction/batch (http://hl7.org/fhir/R4/http.html#transaction), `$process-message`
 * (http://hl7.org/fhir/R4/messageheader-operation-process-message.html), `$validate`, metadata.
 * Each route declares what it offers (`fhir`); `/fhir/metadata` is generated from those
 * declarations across the whole route table (`implemented`).
 */
export function fhirRoutes(
  deps: Pick<AppDeps, 'ingest' | 'validate' | 'metadata' | 'replies'>,
  implemented: () => readonly FhirCapability[],
): RouteSpec[] {
  return [
    {
      method: 'get',
      path: '/fhir/metadata',
      handler: (_req, res) => sendFhir(res, 200, deps.metadata(implemented())),
    },
    {
      ...bundleRoute('/fhir', ['transaction', 'batch'], implemented, (b, a) => deps.ingest.fhirBundle(b, a)),
      fhir: [
        {
          kind: 'system',
          interaction: 'transaction',
          documentation:
            'All-or-nothing: a transaction-response, or one OperationOutcome and nothing stored.',
        },
        {
          kind: 'system',
          interaction: 'batch',
          documentation: 'Each entry on its own: a batch-response with a status and outcome per entry.',
        },
      ],
    },
    {
      ...bundleRoute('/fhir/$process-message', ['message'], implemented, (b, a) => deps.ingest.message(b, a)),
      fhir: [
        {
          kind: 'operation',
          name: 'process-message',
          definition: PROCESS_MESSAGE,
          documentation:
            'Referral messages (event v2-0003 I12 or BSeR referral request), answered synchronously with a response message. The body is the message Bundle, or Parameters { content }.',
        },
        {
          kind: 'messaging',
          documentation:
            'Receives referral messages (event v2-0003 I12 or BSeR referral request) at POST /fhir/$process-message over http, synchronously: the response message is the HTTP answer.',
        },
      ],
    },
    {
      ...validateRoute('/fhir/$validate', deps),
      fhir: [
        {
          kind: 'operation',
          name: 'validate',
          definition: VALIDATE,
          documentation:
            'POST /fhir/{type}/$validate, or POST /fhir/$validate with the type read from the body; `profile` names a loaded profile.',
        },
      ],
    },
    {
      ...validateRoute('/fhir/:type/$validate', deps),
      fhir: [
        {
          kind: 'operation',
          type: 'any',
          name: 'validate',
          definition: VALIDATE,
          documentation: 'Per type.',
        },
      ],
    },
    {
      ...replyRoute(deps),
      fhir: [
        {
          kind: 'resource',
          type: 'Communication',
          interaction: 'create',
          documentation:
            "A referring clinician's reply to an integration update or referral (inResponseTo or partOf), from a key bound to the clinician's organisation; answered with an OperationOutcome (kept for staff, not readable here).",
        },
      ],
    },
  ];
}

function bundleRoute(
  path: string,
  types: Array<NonNullable<Bundle['type']>>,
  implemented: () => readonly FhirCapability[],
  run: (bundle: Bundle, actor: Actor) => Promise<FhirResult>,
): RouteSpec {
  return {
    method: 'post',
    path,
    scope: 'ingest',
    body: true,
    handler: async (req, res) => {
      const bundle = asBundle(unwrapContent(requireBody(req.body), types), types);
      const result = await run(bundle, actorOf(res));
      // A refusal: 403 sender not bound to the key, 413 over the batch cap, else 422.
      if (result.status !== 'processed') {
        return sendFhir(res, RESULT_STATUS[result.refusal ?? result.status], result.outcome);
      }
      sendFhir(
        res,
        RESULT_STATUS.processed,
        withServedLocations(result.response, readableTypes(implemented())),
      );
    },
  };
}

/**
 * `$process-message` in its operation form, `Parameters { content: Bundle }` (R4
 * messageheader-operation-process-message.html), is read as the Bundle it carries. Only the
 * synchronous form is offered: `async = true` → 400.
 */
function unwrapContent(body: unknown, types: ReadonlyArray<NonNullable<Bundle['type']>>): unknown {
  if (!types.includes('message') || !isJsonObject(body) || body.resourceType !== 'Parameters') return body;
  const params = Array.isArray(body.parameter) ? body.parameter.filter(isJsonObject) : [];
  if (params.some((p) => p.name === 'async' && p.valueBoolean === true)) {
    throw httpError(
      400,
      'not-supported',
      'Only synchronous processing is offered (async = false).',
      'Parameters.parameter',
    );
  }
  const content = params.find((p) => p.name === 'content')?.resource;
  if (!isJsonObject(content)) {
    throw httpError(
      400,
      'required',
      'The Parameters carry no "content" parameter with the message Bundle.',
      'Parameters.parameter',
    );
  }
  return content;
}

/**
 * A transaction- or batch-response `location` must resolve on this server (R4 Bundle.entry.response
 * .location); kap-bridge answers reads for the types a route declares `read` for (none today), so
 * other locations are left out — the entry's outcome still says where the referral was filed.
 */
function withServedLocations(bundle: Bundle, readable: ReadonlySet<string>): Bundle {
  if (bundle.type !== 'transaction-response' && bundle.type !== 'batch-response') return bundle;
  return {
    ...bundle,
    entry: bundle.entry?.map((entry) => {
      const location = entry.response?.location;
      if (!entry.response || location === undefined || readable.has(location.split('/')[0] ?? ''))
        return entry;
      const { location: _dropped, ...response } = entry.response;
      return { ...entry, response };
    }),
  };
}

/**
 * `POST /fhir/Communication`: a referring clinician's reply (DESIGN.md §6b), R4 create
 * (http.html#create). Answered with an OperationOutcome, not the resource: kap-bridge keeps the
 * reply for staff and offers no read of it, so there is no Location to give.
 */
function replyRoute(deps: Pick<AppDeps, 'replies'>): RouteSpec {
  return {
    method: 'post',
    path: '/fhir/Communication',
    scope: 'ingest',
    body: true,
    handler: async (req, res) => {
      const result = await deps.replies.receive(requireBody(req.body), actorOf(res));
      const status = result.status === 'rejected' ? (result.refusal ?? 'rejected') : result.status;
      sendFhir(res, RESULT_STATUS[status], result.outcome);
    },
  };
}

/** Narrows a parsed body to a Bundle of one of `types` (422 with the element at fault otherwise). */
function asBundle(body: unknown, types: ReadonlyArray<NonNullable<Bundle['type']>>): Bundle {
  const obj =
    typeof body === 'object' && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : undefined;
  if (obj?.resourceType !== 'Bundle') {
    throw httpError(422, 'invalid', 'This endpoint takes a Bundle.', 'resourceType');
  }
  if (!types.includes(obj.type as NonNullable<Bundle['type']>)) {
    throw httpError(422, 'value', `Bundle.type must be ${types.join(' or ')} here.`, 'Bundle.type');
  }
  return obj as unknown as Bundle;
}

function validateRoute(path: string, deps: Pick<AppDeps, 'validate'>): RouteSpec {
  return {
    method: 'post',
    path,
    scope: 'validate',
    body: true,
    // 200 with an OperationOutcome: the outcome carries the verdict (R4 $validate); 400 when the
    // call itself is malformed (no resource to validate); 404 for a path type R4 does not have.
    handler: async (req: Request, res: Response) => {
      const pathType = typeof req.params.type === 'string' ? req.params.type : undefined;
      if (pathType !== undefined && !isR4ResourceType(pathType)) {
        throw httpError(404, 'not-found', 'The path does not name an R4 resource type.');
      }
      const input = readValidateInput(requireBody(req.body), req.query.profile, pathType);
      if (!input.ok) return sendFhir(res, input.status, input.outcome);
      const mismatch = pathType ? typeMismatch(input.resource, pathType) : undefined;
      if (mismatch) return sendFhir(res, 200, mismatch);
      const opts = input.profile === undefined ? {} : { profile: input.profile };
      sendFhir(res, 200, await deps.validate(input.resource, opts));
    },
  };
}
