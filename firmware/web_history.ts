/**
 * The last 10 minutes of readings for the page's graph, kept on the chip in a few
 * hundred bytes: per series a ring of `slots` means as fixed-point numbers (`value *
 * scale`; {@linkcode EMPTY_SLOT} for a slot without readings), all in one `Int16Array`,
 * and a running sum and count for the slot being filled, in one `Float32Array` (each
 * typed array costs Espruino some 4 variables besides its bytes). This module makes
 * the history and its JSON (loaded only for that); `web_history_record.ts`, called with
 * every reading, is the only resident part.
 *
 * The default, 60 slots of 10 s per series, costs about 10 variables a series on
 * Espruino, half what 32-bit floats did. (The `lib/history.ts` ring for the simulator keeps
 * 1 s slots, which the chip cannot afford.)
 *
 * @module
 */

import { joinParts, type TextParts } from "../lib/web_http.ts";

/** A set of series sharing one time axis. */
export interface ChipHistory {
  /** Length of a slot. */
  slotMs: number;
  /** Slots kept. */
  slots: number;
  /** Series names, e.g. `["power"]` or `["humidity", "temperature"]`. */
  names: string[];
  /** The series' rings one after the other: slot `n` of series `s` lives at
   * `s * slots + n % slots`, as `value * scale`. */
  ring: Int16Array;
  /** Fixed-point scale of the rings: 100 keeps hundredths (to ±327.67), 4 quarters. */
  scale: number;
  /** Absolute index (`floor(nowMs / slotMs)`) of the slot being filled; -1 before any. */
  current: number;
  /** The slot being filled: the running sum of each series, then the count of readings of
   * each series (at `names.length + s`). */
  sums: Float32Array;
}

/** A ring's value for a slot without readings. */
export const EMPTY_SLOT = -32768;

/**
 * A slot's mean as a ring holds it: `value * scale` rounded, kept within the ring's range.
 *
 * @param value The mean (NaN for none).
 * @param scale The history's scale.
 * @returns The ring value.
 * @example
 * ```ts
 * import { EMPTY_SLOT, toRing } from "./web_history.ts";
 * import assert from "node:assert/strict";
 * assert.equal(toRing(21.456, 100), 2146);
 * assert.equal(toRing(1e6, 4), 32767);
 * assert.equal(toRing(NaN, 100), EMPTY_SLOT);
 * ```
 */
export function toRing(value: number, scale: number): number {
  if (isNaN(value)) return EMPTY_SLOT;
  return Math.max(-32767, Math.min(32767, Math.round(value * scale)));
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
 * @param scale Fixed-point scale of the stored means (see {@linkcode ChipHistory.scale}).
 * @returns The history.
 * @example
 * ```ts
 * import { createChipHistory } from "./web_history.ts";
 * import assert from "node:assert/strict";
 * const history = createChipHistory(["power"], 60, 10000, 4);
 * assert.equal(history.ring.length, 60);
 * ```
 */
export function createChipHistory(
  names: string[],
  slots: number,
  slotMs: number,
  scale: number,
): ChipHistory {
  return {
    slotMs: slotMs,
    slots: slots,
    names: names,
    ring: new Int16Array(slots * names.length).fill(EMPTY_SLOT),
    scale: scale,
    current: -1,
    sums: new Float32Array(2 * names.length),
  };
}

/**
 * The mean of one series' readings in the slot being filled (NaN without any).
 *
 * @param history The history.
 * @param series The series' index in `names`.
 * @returns The mean so far.
 * @example
 * ```ts
 * import { createChipHistory, runningMean } from "./web_history.ts";
 * import { recordReading } from "./web_history_record.ts";
 * import assert from "node:assert/strict";
 * const history = createChipHistory(["power"], 3, 1000, 4);
 * assert.ok(isNaN(runningMean(history, 0)));
 * recordReading(history, [10], 0);
 * recordReading(history, [20], 500);
 * assert.equal(runningMean(history, 0), 15);
 * ```
 */
export function runningMean(history: ChipHistory, series: number): number {
  const count = history.sums[history.names.length + series] as number;
  return count > 0 ? (history.sums[series] as number) / count : NaN;
}

// A slot's value: the running slot's mean, a closed slot from its ring, or NaN.
const slotValue = (history: ChipHistory, series: number, slot: number): number => {
  if (slot === history.current) return runningMean(history, series);
  if (slot < history.current && slot > history.current - history.slots) {
    const stored = history.ring[series * history.slots + slot % history.slots] as number;
    return stored === EMPTY_SLOT ? NaN : stored / history.scale;
  }
  return NaN;
};

// A value as JSON: two decimals, `null` for NaN (what JSON.stringify writes for a number).
const jsonNumber = (value: number): string =>
  isNaN(value) ? "null" : String(Math.round(value * 100) / 100);

// The mean of the first series over the `meanSlots` slots up to `slot` (NaN for none).
const meanAt = (history: ChipHistory, first: number, slot: number, meanSlots: number): number => {
  let sum = 0;
  let count = 0;
  for (let from = Math.max(first, slot - meanSlots + 1); from <= slot; from++) {
    const value = slotValue(history, 0, from);
    if (!isNaN(value)) {
      sum += value;
      count++;
    }
  }
  return count > 0 ? sum / count : NaN;
};

/**
 * The history as `GET api/history` answers it, as JSON text in parts, a number at a
 * time: `{slotMs, startMs, <series>: [...]}`, oldest slot first, the last one holding
 * now; with `meanSlots` > 0 also `mean`, the running mean of the first series over that
 * many slots, and `meanWindowMs`. Empty slots are `null`.
 *
 * Why parts: on Espruino every array element is a variable or two, so the arrays of a
 * 60-slot answer took some 400 of the chip's 1,600 variables, and the whole text some 75
 * more; the chip sends each part as it is made (`firmware/web.ts`), so only a few hundred
 * characters are ever held. The slots are fixed when this is called.
 *
 * @param history The history.
 * @param nowMs Now; the last slot is the one holding it.
 * @param meanSlots Slots in the running mean, or 0 for none.
 * @returns The parts: one per call, then `null`.
 * @example
 * ```ts
 * import { createChipHistory, historyParts } from "./web_history.ts";
 * import { recordReading } from "./web_history_record.ts";
 * import assert from "node:assert/strict";
 * const history = createChipHistory(["power"], 2, 1000, 4);
 * recordReading(history, [10], 1000);
 * const next = historyParts(history, 1000, 0);
 * const parts = [];
 * for (let part = next(); part !== null; part = next()) parts.push(part);
 * assert.deepEqual(parts, ['{"slotMs":1000,"startMs":0', ',"power":[null', ",10]", "}"]);
 * ```
 */
export function historyParts(
  history: ChipHistory,
  nowMs: number,
  meanSlots: number,
): TextParts {
  const last = Math.floor(nowMs / history.slotMs);
  const first = last - history.slots + 1;
  const names = history.names;
  // The series written so far (-1 before the opening); the mean is one past the names.
  let series = -1;
  let slot = first;
  const seriesCount = names.length + (meanSlots > 0 ? 1 : 0);
  return () => {
    if (series < 0) {
      series = 0;
      return '{"slotMs":' + history.slotMs + ',"startMs":' + first * history.slotMs;
    }
    if (series >= seriesCount) {
      if (series > seriesCount) return null;
      series++;
      return (meanSlots > 0 ? ',"meanWindowMs":' + meanSlots * history.slotMs : "") + "}";
    }
    const mean = series === names.length;
    let part = slot > first ? "," : ',"' + (mean ? "mean" : names[series]) + '":[';
    part += jsonNumber(
      mean ? meanAt(history, first, slot, meanSlots) : slotValue(history, series, slot),
    );
    if (slot < last) {
      slot++;
      return part;
    }
    series++;
    slot = first;
    return part + "]";
  };
}

/**
 * The history as `GET api/history` answers it, as one JSON text (see
 * {@linkcode historyParts}, which the chip sends instead).
 *
 * @param history The history.
 * @param nowMs Now; the last slot is the one holding it.
 * @param meanSlots Slots in the running mean, or 0 for none.
 * @returns The JSON text.
 * @example
 * ```ts
 * import { createChipHistory, historyText } from "./web_history.ts";
 * import { recordReading } from "./web_history_record.ts";
 * import assert from "node:assert/strict";
 * const history = createChipHistory(["power"], 3, 1000, 4);
 * recordReading(history, [10], 0);
 * recordReading(history, [20], 1000);
 * assert.deepEqual(JSON.parse(historyText(history, 2000, 2)), {
 *   slotMs: 1000, startMs: 0, power: [10, 20, null], mean: [10, 15, 20], meanWindowMs: 2000,
 * });
 * ```
 */
export function historyText(history: ChipHistory, nowMs: number, meanSlots: number): string {
  return joinParts("", historyParts(history, nowMs, meanSlots));
}
