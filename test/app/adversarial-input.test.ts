import fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Bundle, OperationOutcome, Patient } from '@medplum/fhirtypes';
import request from 'supertest';
import { createApp } from '../../src/entry/http/app';
import type { Runtime } from '../../src/bootstrap/compose';
import { ingestPort } from '../../src/bootstrap/service-ports';
import { bearer, makeWorld } from '../http/support/ports';
import { loadRecord, openIngestHarness, validator, type IngestHarness } from './ingest-harness';
import { createReplyUseCases, type ReplyUseCases } from '../../src/app/replies';

/**
 * DESIGN.md §8, "Trust at the edge": lengths are checked before any pattern and every pattern is
 * linear-time, so a megabyte shaped to make a backtracking pattern explode is refused at once.
 * Issue 10 measured 7.5 s of blocked event loop for 80k characters of `<` + spaces in an update
 * section; the bound below is the one the issue asks for.
 */
const ANSWER_WITHIN_MS = 100;
const SIZE = 1_000_000; // a megabyte of text that still fits the default 1 MB body limit

/** The shapes each pattern of the house would have backtracked or rescanned on. */
const SHAPES: Record<string, string> = {
  'tag opening then spaces': '<' + ' '.repeat(SIZE - 1),
  'e-mail with a run of dots': 'a@' + '.'.repeat(SIZE - 3) + '@',
  'repeated tag openings': '<a'.repeat(SIZE / 2),
  'repeated "on" words': 'on'.repeat(SIZE / 2),
  'repeated entity starts': '&a'.repeat(SIZE / 2),
  'digits and dashes': '2026-'.repeat(SIZE / 5),
  'repeated slashes': '/'.repeat(SIZE),
};

/**
 * Runs `once` until it answers within the bound, at most three times, and returns the last
 * answer with its time. A super-linear pattern is slow on every run; a machine shared with other
 * work is slow only now and then, and that is not what this suite measures.
 */
async function timed<T>(once: () => Promise<T>, msOf?: () => number): Promise<{ result: T; ms: number }> {
  let last: { result: T; ms: number } | undefined;
  for (let run = 0; run < 3 && !(last && last.ms < ANSWER_WITHIN_MS); run++) {
    const started = performance.now();
    const result = await once();
    last = { result, ms: msOf ? msOf() : performance.now() - started };
  }
  return last!;
}

/**
 * As {@link timed}, in CPU time of this process: for a call that stores what it accepts and so also
 * waits for the disk (the fsync before an answer, DESIGN.md §6). A super-linear pattern burns CPU;
 * a disk shared with other work is slow only now and then (CI saw 194 ms), and that is not what
 * this suite measures.
 */
async function cpuTimed<T>(once: () => Promise<T>): Promise<{ result: T; ms: number }> {
  let start = process.cpuUsage();
  const cpuMs = (): number => {
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000;
  };
  return timed(() => {
    start = process.cpuUsage();
    return once();
  }, cpuMs);
}

type Kind = 'referral' | 'consent' | 'revocation' | 'update' | 'referralStatus';
const FIXTURE: Record<Kind, string> = {
  referral: 'referral-clinician-full.json',
  consent: 'consent-representative.json',
  revocation: 'revocation.json',
  update: 'update-all-observations.json',
  referralStatus: 'referral-status-declined.json',
};

type Segment = string | number;

/** Every string leaf of a record, as a path of keys and indexes. */
function stringLeaves(value: unknown, at: Segment[] = []): Segment[][] {
  if (typeof value === 'string') return [at];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringLeaves(v, [...at, i]));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => stringLeaves(v, [...at, k]));
  }
  return [];
}

/** `['client', 'name', 'given', 0]` → `client.name.given[0]`, as refusals name fields. */
function fieldPath(at: Segment[]): string {
  return at.reduce<string>(
    (out, s) => (typeof s === 'number' ? `${out}[${s}]` : out ? `${out}.${s}` : s),
    '',
  );
}

function withValue<T>(record: T, at: Segment[], value: string): T {
  const copy = structuredClone(record) as Record<Segment, unknown>;
  let node = copy;
  for (const s of at.slice(0, -1)) node = node[s] as Record<Segment, unknown>;
  node[at[at.length - 1]!] = value;
  return copy as T;
}

function expressionsOf(oo: OperationOutcome): string[] {
  return oo.issue.filter((i) => i.severity === 'error').flatMap((i) => i.expression ?? []);
}

let h: IngestHarness;
beforeAll(async () => {
  h = await openIngestHarness();
  // Compile each schema and load the validator once, so the timings below measure the checks.
  for (const kind of Object.keys(FIXTURE) as Kind[]) await h.run(kind, loadRecord(FIXTURE[kind]));
});
afterAll(() => h.dispose());

const cases = (Object.keys(FIXTURE) as Kind[]).flatMap((kind) =>
  stringLeaves(loadRecord(FIXTURE[kind])).map((at) => ({
    name: `${kind} ${fieldPath(at)}`,
    kind,
    at,
    field: fieldPath(at),
  })),
);

describe('a megabyte of adversarial text in any field of a practice record', () => {
  test.each(cases)(
    '$name: each shape is refused with an outcome naming the field, within 100 ms',
    async ({ kind, at, field }) => {
      const record = loadRecord(FIXTURE[kind]);
      for (const [shape, text] of Object.entries(SHAPES)) {
        const input = withValue(record, at, text);
        const { result, ms } = await timed(() => h.run(kind, input));
        expect({ shape, status: result.status }).toEqual({ shape, status: 'rejected' });
        expect(expressionsOf(result.outcome)).toContain(field);
        expect({ shape, fast: ms < ANSWER_WITHIN_MS }).toEqual({ shape, fast: true });
      }
    },
  );

  test('POST /consents/{id}/revoke: a megabyte in reason or receivedBy is refused naming the field, within 100 ms', async () => {
    const { consentId, ...body } = loadRecord(FIXTURE.revocation) as Record<string, string>;
    for (const field of ['reason', 'receivedBy', 'revokedAt']) {
      for (const [shape, text] of Object.entries(SHAPES)) {
        const { result, ms } = await timed(() => h.ingest.revoke(consentId!, { ...body, [field]: text }));
        expect({ shape, status: result.status }).toEqual({ shape, status: 'rejected' });
        expect(expressionsOf(result.outcome)).toContain(field);
        expect({ shape, fast: ms < ANSWER_WITHIN_MS }).toEqual({ shape, fast: true });
      }
    }
  });
});

describe('a megabyte of adversarial text in a clinician’s reply (DESIGN.md §6b)', () => {
  const reply = {
    resourceType: 'Communication',
    status: 'completed',
    inResponseTo: [
      {
        reference: 'Communication/update-UPD-2026-0042-03',
        identifier: {
          system: 'https://kap-bridge.example/fhir/sid/integration-update',
          value: 'UPD-2026-0042-03',
        },
      },
    ],
    sender: { display: 'Jordan Lee, LMFT' },
    payload: [{ contentString: 'Thank you.' }],
  };
  const fields: Array<{ at: Segment[]; expression: string }> = [
    { at: ['payload', 0, 'contentString'], expression: 'Communication.payload[0].contentString' },
    { at: ['sender', 'display'], expression: 'Communication.sender' },
    { at: ['inResponseTo', 0, 'reference'], expression: 'Communication.inResponseTo[0].reference' },
  ];
  const origin = {
    channel: 'push' as const,
    keyName: 'lakeside',
    senders: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '1497758544' }],
  };
  let replies: ReplyUseCases;
  beforeAll(() => {
    replies = createReplyUseCases({
      store: h.store,
      validator,
      clock: () => new Date('2026-11-25T18:00:00Z'),
      timeZone: 'America/Los_Angeles',
      defaultDestinationId: 'default-dest',
    });
  });

  test.each(fields.map((f) => ({ ...f, name: fieldPath(f.at) })))(
    '$name: each shape is refused naming $expression, within 100 ms, and nothing is kept',
    async ({ at, expression }) => {
      for (const [shape, text] of Object.entries(SHAPES)) {
        const { result, ms } = await timed(() => replies.receive(withValue(reply, at, text), origin));
        expect({ shape, status: result.status }).toEqual({ shape, status: 'rejected' });
        expect(expressionsOf(result.outcome)).toContain(expression);
        expect({ shape, fast: ms < ANSWER_WITHIN_MS }).toEqual({ shape, fast: true });
      }
      expect(await h.store.listInboundMessages({ unlinked: true })).toEqual([]);
    },
  );
});

describe('over HTTP, through the real ingest use cases', () => {
  const update = loadRecord(FIXTURE.update) as Record<string, unknown>;
  const sections: Segment[][] = [['focus'], ['observations', 'emotional'], ['suggestions', 0]];
  let server: Server;
  // Milliseconds from the request's last byte to its answer's: the server's own work (parsing,
  // the use case, the outcome), apart from moving a megabyte over loopback on a shared machine.
  let handledMs = NaN;
  const post = (body: string) =>
    request(server)
      .post('/integration-updates')
      .set('Authorization', bearer('ingest'))
      .set('Content-Type', 'application/json')
      .send(body);

  beforeAll(async () => {
    // The composition root's own adapter over the real use cases (it reads only `ingest`).
    const ingest = ingestPort({ ingest: h.ingest } as Pick<Runtime, 'ingest'> as Runtime, () => undefined);
    const app = createApp(makeWorld({ ingest }).deps);
    server = createServer((req, res) => {
      let received = NaN;
      req.on('end', () => (received = performance.now()));
      res.on('finish', () => (handledMs = performance.now() - received));
      app(req, res);
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    await post(JSON.stringify(update)); // first request: express and the route warm up
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  test.each(sections.map((at) => ({ at, field: fieldPath(at) })))(
    'POST /integration-updates with a megabyte in $field answers 422 naming it, within 100 ms',
    async ({ at, field }) => {
      for (const [shape, text] of Object.entries(SHAPES)) {
        const body = JSON.stringify(withValue(update, at, text));
        const { result: res, ms } = await timed(
          () => post(body),
          () => handledMs,
        );
        expect({ shape, status: res.status }).toEqual({ shape, status: 422 });
        expect((res.body as OperationOutcome).resourceType).toBe('OperationOutcome');
        expect(expressionsOf(res.body as OperationOutcome)).toContain(field);
        expect({ shape, fast: ms < ANSWER_WITHIN_MS }).toEqual({ shape, fast: true });
      }
    },
  );
});

describe('an inbound FHIR Patient carrying a megabyte of adversarial text', () => {
  const INBOUND = path.join(__dirname, '../../fixtures/inbound/transaction-referral.json');
  const bundle = JSON.parse(fs.readFileSync(INBOUND, 'utf8')) as Bundle;
  const patientIndex = (bundle.entry ?? []).findIndex((e) => e.resource?.resourceType === 'Patient');
  const patientPath = `Bundle.entry[${patientIndex}].resource`;

  function withPatient(change: (p: Patient) => void): Bundle {
    const copy = structuredClone(bundle);
    change(copy.entry![patientIndex]!.resource as Patient);
    return copy;
  }

  beforeAll(async () => {
    await h.ingest.fhirBundle(structuredClone(bundle)); // load the profiles before timing
  });

  test.each(Object.entries(SHAPES))(
    'a telecom e-mail of %s is answered within 100 ms, and never kept on the client',
    async (_shape, text) => {
      const input = withPatient((p) => (p.telecom = [{ system: 'email', value: text }]));
      const { result, ms } = await cpuTimed(() => h.ingest.fhirBundle(structuredClone(input)));
      expect(ms).toBeLessThan(ANSWER_WITHIN_MS);
      const referrals = await h.store.listRecords({ kind: 'referral' });
      const emails = referrals.map((r) => (r.json as { client: { email?: string } }).client.email);
      expect(emails).not.toContain(text);
      if (result.status === 'rejected') {
        expect(expressionsOf(result.outcome).join(' ')).toContain(`${patientPath}.telecom`);
      }
    },
  );

  test.each(Object.entries(SHAPES))(
    'a family name of %s is refused naming Patient.name, within 100 ms',
    async (_shape, text) => {
      const input = withPatient((p) => (p.name = [{ family: text, given: ['Avery'] }]));
      const { result, ms } = await timed(() => h.ingest.fhirBundle(structuredClone(input)));
      expect(result.status).toBe('rejected');
      if (result.status !== 'rejected') return;
      expect(expressionsOf(result.outcome).join(' ')).toContain(`${patientPath}.name`);
      expect(ms).toBeLessThan(ANSWER_WITHIN_MS);
    },
  );
});
