/**
 * Records readings into the page's graph history (`web_history.ts`): the one part of it
 * that stays resident, since every reading goes through it.
 *
 * @module
 */

import { type ChipHistory, EMPTY_SLOT, runningMean, toRing } from "./web_history.ts";

// Writes the slot being filled into its ring, and blanks the slots skipped up to `slot`.
const closeSlots = (history: ChipHistory, slot: number): void => {
  const from = history.current;
  const series = history.names.length;
  for (let i = 0; i < series; i++) {
    const at = i * history.slots;
    if (from >= 0) {
      history.ring[at + from % history.slots] = toRing(runningMean(history, i), history.scale);
    }
    const last = Math.min(slot, from + history.slots + 1);
    for (let n = Math.max(from + 1, slot - history.slots + 1); n < last; n++) {
      history.ring[at + n % history.slots] = EMPTY_SLOT;
    }
  }
  history.sums.fill(0);
  history.current = slot;
};

/**
 * Records one reading of every series (NaN or a non-number for a series without one).
 * A clock that goes back starts the history over.
 *
 * @param history The history (changed in place).
 * @param values One value per series, in `names` order.
 * @param nowMs The reading's time.
 * @example
 * ```ts
 * import { createChipHistory, historyText } from "./web_history.ts";
 * import { recordReading } from "./web_history_record.ts";
 * import assert from "node:assert/strict";
 * const history = createChipHistory(["power"], 3, 1000, 4);
 * recordReading(history, [10], 0);
 * recordReading(history, [20], 500);
 * recordReading(history, [5], 2000);
 * assert.deepEqual(JSON.parse(historyText(history, 2000, 0)).power, [15, null, 5]);
 * ```
 */
export function recordReading(history: ChipHistory, values: number[], nowMs: number): void {
  if (typeof nowMs !== "number" || !isFinite(nowMs)) return;
  const slot = Math.floor(nowMs / history.slotMs);
  if (slot < history.current) {
    history.ring.fill(EMPTY_SLOT);
    history.current = -1;
  }
  if (slot !== history.current) closeSlots(history, slot);
  const series = history.names.length;
  for (let i = 0; i < series; i++) {
    const value = values[i];
    if (typeof value !== "number" || !isFinite(value)) continue;
    history.sums[i] = (history.sums[i] as number) + value;
    history.sums[series + i] = (history.sums[series + i] as number) + 1;
  }
}
