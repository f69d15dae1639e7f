/**
 * Helpers of the reliability and security suites: a seeded random source and waits.
 */
/** A small seeded PRNG (mulberry32): the same seed gives the same faults. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export { sleep, waitFor } from '../support/common.js';
