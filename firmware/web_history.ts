/**
 * The last 10 minutes of readings for the page's graph, kept on the chip in a few
 * hundred bytes: per series a ring of `slots` means in a `Float32Array` (NaN for a slot
 * without readings), and one running sum for the slot being filled. This module makes
 * the history and its JSON (loaded only for that); `web_history_record.ts`, called with
 * every reading, is the only resident part.
 *
 * The default, 60 slots of 10 s per series, costs about 20 variables a series on
 * Espruino (the `lib/history.ts` ring for the simulator keeps 1 s slots, which the chip
 * cannot afford).
 *
 * @module
 */

/** A set of series sharing one time axis. */
export interface ChipHistory {
  /** Length of a slot. */
  slotMs: number;
  /** Slots kept. */
  slots: number;
  /** Series names, e.g. `["power"]` or `["humidity", "temperature"]`. */
  names: string[];
  /** One ring per series: slot `n` lives at `n % slots`. */
  rings: Float32Array[];
  /** Absolute index (`floor(nowMs / slotMs)`) of the slot being filled; -1 before any. */
  current: number;
  /** Running sums of the slot being filled, per series. */
  sums: Float32Array;
  /** Readings in it, per series. */
  counts: Uint8Array;
}

/** History sizes: 10 minutes in 10 s slots. */
export const CHIP_HISTORY_SLOTS = 60;
/** Length of one slot. */
export const CHIP_HISTORY_SLOT_MS = 10000;

/**
 * Makes an empty history.
 *
 * @param names The series.
 * @param slots Slots kept per series.
 * @param slotMs Length of a slot.
 * @returns The history.
 * @example
 * ```ts
 * import { createChipHistory } from "./web_history.ts";
 * import assert from "node:assert/strict";
 * const history = createChipHistory(["power"], 60, 10000);
 * assert.equal(history.rings[0]?.length, 60);
 * ```
 */
export function createChipHistory(names: string[], slots: number, slotMs: number): ChipHistory {
  const rings: Float32Array[] = [];
  for (let i = 0; i < names.length; i++) rings.push(new Float32Array(slots).fill(NaN));
  return {
    slotMs: slotMs,
    slots: slots,
    names: names,
    rings: rings,
    current: -1,
    sums: new Float32Array(names.length),
    counts: new Uint8Array(names.length),
  };
}

const rounded = (value: number): number | null =>
  isNaN(value) ? null : Math.round(value * 100) / 100;

/**
 * The history as `GET api/history` answers it: `{slotMs, startMs, <series>: [...]}`,
 * oldest slot first, the last one holding now; with `meanSlots` > 0 also `mean`, the
 * running mean of the first series over that many slots, and `meanWindowMs`.
 *
 * @param history The history.
 * @param nowMs Now.
 * @param meanSlots Slots in the running mean (0 for none).
 * @returns JSON-ready data; empty slots are `null`.
 * @example
 * ```ts
 * import { createChipHistory, historyJson } from "./web_history.ts";
 * import { recordReading } from "./web_history_record.ts";
 * import assert from "node:assert/strict";
 * const history = createChipHistory(["power"], 4, 1000);
 * for (let t = 0; t < 4000; t += 1000) recordReading(history, [t / 100], t);
 * const json = historyJson(history, 3500, 2);
 * assert.deepEqual(json.power, [0, 10, 20, 30]);
 * assert.deepEqual(json.mean, [0, 5, 15, 25]);
 * assert.equal(json.meanWindowMs, 2000);
 * ```
 */
export function historyJson(
  history: ChipHistory,
  nowMs: number,
  meanSlots: number,
): Record<string, unknown> {
  const slot = Math.floor(nowMs / history.slotMs);
  const first = slot - history.slots + 1;
  const out: Record<string, unknown> = {
    slotMs: history.slotMs,
    startMs: first * history.slotMs,
  };
  let lead: number[] = [];
  for (let i = 0; i < history.names.length; i++) {
    const ring = history.rings[i] as Float32Array;
    const values: number[] = [];
    for (let n = first; n <= slot; n++) {
      let value = NaN;
      if (n === history.current) {
        const count = history.counts[i] as number;
        value = count > 0 ? (history.sums[i] as number) / count : NaN;
      } else if (n < history.current && n > history.current - history.slots) {
        value = ring[n % history.slots] as number;
      }
      values.push(value);
    }
    if (i === 0) lead = values;
    out[history.names[i] as string] = values.map(rounded);
  }
  if (meanSlots > 0) {
    const means: (number | null)[] = [];
    for (let n = 0; n < lead.length; n++) {
      let sum = 0;
      let count = 0;
      for (let k = Math.max(0, n - meanSlots + 1); k <= n; k++) {
        const value = lead[k] as number;
        if (!isNaN(value)) {
          sum += value;
          count++;
        }
      }
      means.push(count > 0 ? rounded(sum / count) : null);
    }
    out.mean = means;
    out.meanWindowMs = meanSlots * history.slotMs;
  }
  return out;
}
