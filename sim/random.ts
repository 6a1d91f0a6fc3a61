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

/**
 * A table of standard normal numbers, drawn once, for code that needs many cheap noise
 * values: reading a stretch of the table costs a look-up per value instead of a Box-Muller
 * draw. The draws are shifted and scaled so the table's own mean is exactly 0 and its
 * standard deviation exactly 1, so noise read from it has the intended level whatever the seed.
 *
 * @param size How many values (at least 2 for the scaling; 1 gives `[0]`).
 * @param random The uniform source the values are drawn from.
 * @returns The values.
 * @example
 * ```ts
 * import { createRandom, normalTable } from "./random.ts";
 * import assert from "node:assert/strict";
 * const table = normalTable(1024, createRandom(7));
 * const mean = table.reduce((a, x) => a + x, 0) / table.length;
 * const variance = table.reduce((a, x) => a + (x - mean) ** 2, 0) / table.length;
 * assert.ok(Math.abs(mean) < 1e-12 && Math.abs(variance - 1) < 1e-12);
 * assert.deepEqual(table, normalTable(1024, createRandom(7)));
 * ```
 */
export function normalTable(size: number, random: Random): Float64Array {
  const table = new Float64Array(size);
  let sum = 0;
  for (let n = 0; n < size; n++) {
    table[n] = gaussian(random);
    sum += table[n]!;
  }
  const mean = sum / size;
  let squares = 0;
  for (let n = 0; n < size; n++) squares += (table[n]! - mean) ** 2;
  const sd = Math.sqrt(squares / size);
  const scale = sd > 0 ? 1 / sd : 1;
  for (let n = 0; n < size; n++) table[n] = (table[n]! - mean) * scale;
  return table;
}
