import type { Resource } from '@medplum/fhirtypes';
import { rememberOutcomes } from '../../src/app/deliver/remembered-outcomes';
import { validator } from './relay-harness';

/** The relay's memory of validation outcomes: the same answers, each resource walked once. */

function counted() {
  let walks = 0;
  return {
    validator: { validate: (r: Resource) => (walks++, validator.validate(r)) },
    walks: () => walks,
  };
}

const patient = (family: string): Resource => ({ resourceType: 'Patient', id: 'p1', name: [{ family }] });
const bad: Resource = { resourceType: 'Patient', id: 'p2', gender: 'nope' } as unknown as Resource;

test('an unchanged resource is answered from memory with the outcome the validator gave', () => {
  const c = counted();
  const remembered = rememberOutcomes(c.validator);
  expect(remembered.validate(bad)).toEqual(validator.validate(bad));
  expect(remembered.validate({ ...bad })).toEqual(validator.validate(bad));
  expect(remembered.validate(patient('A'))).toEqual(validator.validate(patient('A')));
  expect(c.walks()).toBe(2);
});

test('a changed resource is validated again, and the memory keeps only the most recent', () => {
  const c = counted();
  const remembered = rememberOutcomes(c.validator, 2);
  remembered.validate(patient('A'));
  remembered.validate(patient('B'));
  remembered.validate(patient('A')); // A is now the most recent
  remembered.validate(patient('C')); // B is forgotten
  remembered.validate(patient('A'));
  expect(c.walks()).toBe(3);
  remembered.validate(patient('B'));
  expect(c.walks()).toBe(4);
});

test('a frozen resource is answered by identity, a thawed copy of it by content', () => {
  const c = counted();
  const remembered = rememberOutcomes(c.validator, 1);
  const shared = Object.freeze(patient('A'));
  expect(remembered.validate(shared)).toEqual(validator.validate(patient('A')));
  remembered.validate(patient('B')); // the content memory (capacity 1) forgets A
  expect(remembered.validate(shared)).toEqual(validator.validate(patient('A')));
  expect(c.walks()).toBe(2);
  remembered.validate(patient('A'));
  expect(c.walks()).toBe(3);
});
