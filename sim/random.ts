/**
 * A small seeded pseudo-random generator, so the same seed gives the same simulation.
 *
 * @module
 */

/** A source of uniform numbers in [0, 1). */
export type Random = () => number;

/**
 * Creates a seeded generator (mulberry32): fast, 32-bit state, good enough for noise.
 *
 * @param seed Any integer; equal seeds give equal sequences.
 * @returns A function returning numbers in [0, 1).
 * @example
 * ```ts
 * import { createRandom } from "./random.ts";
 * import assert from "node:assert/strict";
 * const a = createRandom(42), b = createRandom(42);
 * assert.equal(a(), b());
 * ```
 */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Draws a normally distributed number (Box-Muller).
 *
 * @param random The uniform source.
 * @returns A sample with mean 0 and standard deviation 1.
 * @example
 * ```ts
 * import { createRandom, gaussian } from "./random.ts";
 * import assert from "node:assert/strict";
 * assert.equal(Number.isFinite(gaussian(createRandom(1))), true);
 * ```
 */
export function gaussian(random: Random): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
