import fs from 'node:fs';
import path from 'node:path';
import {
  planTransport,
  readCapabilities,
  type PlannedWrite,
} from '../../src/adapters/destination/capabilities';
import type { Transport } from '../../src/adapters/destination/destinations';
import { FIXTURES } from './helpers';

interface Case {
  name: string;
  transport: Transport;
  capabilities: unknown;
  writes: PlannedWrite[];
  plan?: { transport: string; emulate?: string[] };
  refused?: string;
  unreadable?: string;
}

const cases = JSON.parse(
  fs.readFileSync(path.join(FIXTURES, 'delivery/transport-plan-cases.json'), 'utf8'),
) as Case[];

describe('transport choice from the CapabilityStatement', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const caps = readCapabilities(c.capabilities);
    if ('resourceType' in caps) {
      expect(c.unreadable).toBeDefined();
      expect(caps.issue?.[0]?.details?.text).toContain(c.unreadable);
      return;
    }
    const result = planTransport('lakeside-ehr', c.transport, caps, c.writes);
    if (!result.ok) {
      expect(c.refused).toBeDefined();
      expect(result.outcome.issue?.[0]).toMatchObject({ code: 'not-supported' });
      expect(result.outcome.issue?.[0]?.details?.text).toContain(c.refused);
      expect(result.outcome.issue?.[0]?.details?.text).toContain('destination "lakeside-ehr"');
      return;
    }
    expect(c.plan).toBeDefined();
    const plan = result.plan;
    expect(plan.transport).toBe(c.plan?.transport);
    if (plan.transport === 'conditional') expect([...plan.emulate].sort()).toEqual(c.plan?.emulate);
  });
});
