import { parseDisclosureRequest } from '../../src/consent';

const ok = {
  patient: { reference: 'Patient/p1' },
  actor: { identifier: { system: 'http://hl7.org/fhir/sid/us-npi', value: '1234567893' } },
};

describe('parsing a consent decide request', () => {
  test('a minimal request (patient and actor) is accepted as is', () => {
    expect(parseDisclosureRequest(ok)).toEqual({ ok: true, value: ok });
  });

  test.each([
    ['not an object', [], '$'],
    ['patient missing', { actor: ok.actor }, 'patient'],
    ['actor without reference or identifier', { ...ok, actor: { display: 'Dr Lee' } }, 'actor'],
    ['unknown member (a misspelt purpose)', { ...ok, purposes: 'TREAT' }, 'purposes'],
    ['codes not an array', { ...ok, codes: { code: 'observations' } }, 'codes'],
    ['a code without its code', { ...ok, codes: [{ system: 'x' }] }, 'codes[0]'],
    ['at without an offset', { ...ok, at: '2026-11-20T12:00:00' }, 'at'],
    ['at that is not a real date', { ...ok, at: '2026-02-30T12:00:00Z' }, 'at'],
    ['dataDate in another format', { ...ok, dataDate: '20/11/2026' }, 'dataDate'],
    ['class that is not a resource type name', { ...ok, class: 'communication payload' }, 'class'],
    ['actorRole as a bare string', { ...ok, actorRole: 'IRCP' }, 'actorRole'],
  ])('when %s, it is refused with an OperationOutcome pointing at it', (_situation, input, expression) => {
    const r = parseDisclosureRequest(input);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.outcome.resourceType).toBe('OperationOutcome');
    expect(r.outcome.issue?.flatMap((i) => i.expression ?? [])).toContain(expression);
  });

  test('action and purpose may be bare codes or Codings', () => {
    const r = parseDisclosureRequest({
      ...ok,
      action: 'disclose',
      purpose: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'TREAT' },
    });
    expect(r.ok).toBe(true);
  });
});
