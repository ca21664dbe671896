/**
 * A bound on the pushes in flight to each destination (issue 12: several units in flight per
 * destination, within a bound). The relay runs more workers than that bound, so a worker's
 * consent decision, validation and attempt record overlap other workers' pushes, while a
 * destination never sees more than `perDestination` requests of this relay at once.
 */
export interface DestinationSlots {
  /** Runs `fn` holding one of `destinationId`'s slots, waiting for one to free up (FIFO). */
  withSlot<T>(destinationId: string, fn: () => Promise<T>): Promise<T>;
}

export function createDestinationSlots(perDestination: number): DestinationSlots {
  const bound = Math.max(1, perDestination);
  const lanes = new Map<string, { busy: number; waiting: Array<() => void> }>();
  return {
    async withSlot(destinationId, fn) {
      let lane = lanes.get(destinationId);
      if (!lane) lanes.set(destinationId, (lane = { busy: 0, waiting: [] }));
      const own = lane;
      if (own.busy >= bound) await new Promise<void>((resolve) => own.waiting.push(resolve));
      else own.busy++;
      try {
        return await fn();
      } finally {
        // The slot passes straight to the next waiter (busy stays), or is given back.
        const next = own.waiting.shift();
        if (next) next();
        else own.busy--;
      }
    },
  };
}
