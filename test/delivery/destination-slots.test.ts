import { createDestinationSlots } from '../../src/app/deliver/destination-slots';

/** The relay's bound on pushes in flight per destination. */

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('at most the bound run at once for one destination, the others wait in order; another destination is not held up', async () => {
  const slots = createDestinationSlots(2);
  const running = new Set<string>();
  let most = 0;
  const started: string[] = [];
  const release = new Map<string, () => void>();
  const push = (dest: string, id: string): Promise<string> =>
    slots.withSlot(dest, async () => {
      started.push(id);
      running.add(id);
      most = Math.max(most, [...running].filter((r) => r.startsWith(dest)).length);
      await new Promise<void>((resolve) => release.set(id, resolve));
      running.delete(id);
      return id;
    });
  const all = ['a1', 'a2', 'a3', 'a4'].map((id) => push('a', `a-${id}`));
  const other = push('b', 'b-b1');
  await tick();
  expect(started).toEqual(['a-a1', 'a-a2', 'b-b1']);
  release.get('a-a2')?.();
  await tick();
  expect(started).toEqual(['a-a1', 'a-a2', 'b-b1', 'a-a3']);
  for (const id of ['a-a1', 'a-a3', 'b-b1']) release.get(id)?.();
  await tick();
  release.get('a-a4')?.();
  expect(await Promise.all([...all, other])).toEqual(['a-a1', 'a-a2', 'a-a3', 'a-a4', 'b-b1']);
  expect(most).toBe(2);
});

test('a push that throws gives its slot back', async () => {
  const slots = createDestinationSlots(1);
  await expect(slots.withSlot('a', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
  await expect(slots.withSlot('a', async () => 'next')).resolves.toBe('next');
});
