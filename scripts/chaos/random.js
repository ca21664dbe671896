'use strict';
// Seeded randomness and the proxy's random faults for the chaos run (scripts/chaos.js).
/* global setTimeout */

/** mulberry32: a small seeded PRNG, so a run can be replayed with `--seed`. */
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick: (xs) => xs[Math.floor(next() * xs.length)],
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Faults: each iteration replaces the proxy's rules with 0–3 random ones. Only retryable faults
// (network errors, 429, 5xx, lost responses, delays): a 4xx other than 429 makes an item dead at
// once by design (DESIGN.md §6), which is not what this run is about.

function randomFaults(rnd) {
  const rules = [];
  const n = rnd.int(0, 3);
  for (let i = 0; i < n; i++) {
    const kind = rnd.pick(['503', '500', '429', 'drop-response', 'drop-response', 'reset', 'delay']);
    const times = rnd.int(1, 3);
    const match = rnd.chance(0.5) ? { method: rnd.pick(['POST', 'PUT', 'GET']) } : undefined;
    const fault =
      kind === 'drop-response' || kind === 'reset'
        ? { kind }
        : kind === 'delay'
          ? { kind, ms: rnd.chance(0.3) ? rnd.int(1500, 2500) : rnd.int(20, 400) }
          : kind === '429'
            ? { kind: 'status', status: 429, retryAfter: 0 }
            : { kind: 'status', status: Number(kind) };
    rules.push({ fault, times, ...(match ? { match } : {}) });
  }
  return rules;
}

module.exports = { prng, sleep, randomFaults };
