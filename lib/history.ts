/**
 * A fixed-memory history of one measured series (power W, humidity %, temperature °C)
 * for graphs: the last `slots x slotMs` of time, one averaged value per slot.
 *
 * Why a mutable class, unlike the pure controllers: the plug keeps this history on an
 * ESP8266 whose Espruino has about 1600 variables for all JS state. A new array per
 * sample would churn that memory; a ring of preallocated typed arrays costs a fixed few
 * bytes per slot (24 for the defaults' 120 slots: under 3 KB) and never grows.
 *
 * Rules:
 * - Time is cut into slots `Math.floor(nowMs / slotMs)`; samples in one slot average
 *   into it. A slot with no sample stays empty and reads as `NaN`, never a made-up value.
 * - Non-finite values and times are ignored.
 * - A sample older than the retained window is taken as the clock going back (nothing
 *   else produces one on a device): the history restarts from it rather than freezing.
 *
 * @module
 */

/** Size of a {@link SeriesHistory}. */
export interface SeriesHistoryOptions {
  /** Number of slots kept, 1..{@link MAX_HISTORY_SLOTS}. */
  slots: number;
  /** Length of one slot in ms (> 0). */
  slotMs: number;
}

/** A window of history, oldest slot first. */
export interface SeriesWindow {
  /** Start time of the first slot. */
  startMs: number;
  /** Length of one slot. */
  slotMs: number;
  /** Mean of each slot's samples; `NaN` for a slot without samples. */
  values: number[];
  /** Mean of the non-empty slot values in the averaging window ending at each slot. */
  means: number[];
}

/** A window in JSON-safe form: empty slots are `null`. */
export interface SeriesJson {
  /** Start time of the first slot. */
  startMs: number;
  /** Length of one slot. */
  slotMs: number;
  /** Mean of each slot's samples, or `null`. */
  values: (number | null)[];
}

/** Most slots one history may keep (memory guard for small devices). */
export const MAX_HISTORY_SLOTS = 3600;

/** The default: 10 minutes in 5 s slots. */
export const DEFAULT_HISTORY_OPTIONS: SeriesHistoryOptions = { slots: 120, slotMs: 5000 };

/**
 * Ring buffer of the last `slots` time slots of one series.
 *
 * @example
 * ```ts
 * import { SeriesHistory } from "./history.ts";
 * import assert from "node:assert/strict";
 * const h = new SeriesHistory({ slots: 4, slotMs: 1000 });
 * h.record(0, 10);
 * h.record(500, 20); // same slot: averages to 15
 * h.record(2000, 30); // slot 1 gets no sample
 * const w = h.series(3000, 2000);
 * assert.deepEqual(w.values, [15, NaN, 30, NaN]);
 * assert.deepEqual(w.means, [15, 15, 30, 30]);
 * ```
 */
export class SeriesHistory {
  // Fields are `declare`d and set in the constructor: Espruino cannot parse a class
  // field without an initializer, which is what a plain declaration compiles to.
  /** Number of slots kept. */
  declare readonly slots: number;
  /** Length of one slot in ms. */
  declare readonly slotMs: number;
  declare private readonly means: Float64Array;
  declare private readonly counts: Uint32Array;
  // Absolute slot number held at each ring position; NaN when the position is unused.
  declare private readonly slotIds: Float64Array;
  declare private newestSlot: number;

  /**
   * Allocates all memory once. Invalid sizes fall back to {@link DEFAULT_HISTORY_OPTIONS};
   * more than {@link MAX_HISTORY_SLOTS} slots are capped.
   *
   * @param options Slot count and slot length.
   * @example
   * ```ts
   * import { SeriesHistory } from "./history.ts";
   * import assert from "node:assert/strict";
   * assert.equal(new SeriesHistory({ slots: 600, slotMs: 1000 }).slots, 600);
   * assert.equal(new SeriesHistory({ slots: -1, slotMs: 1000 }).slots, 120);
   * ```
   */
  constructor(options: SeriesHistoryOptions) {
    const validSlots = typeof options.slots === "number" && options.slots >= 1 &&
      isFinite(options.slots);
    const validSlotMs = typeof options.slotMs === "number" && options.slotMs > 0 &&
      isFinite(options.slotMs);
    const valid = validSlots && validSlotMs;
    this.slots = valid
      ? Math.min(Math.floor(options.slots), MAX_HISTORY_SLOTS)
      : DEFAULT_HISTORY_OPTIONS.slots;
    this.slotMs = valid ? options.slotMs : DEFAULT_HISTORY_OPTIONS.slotMs;
    this.means = new Float64Array(this.slots);
    this.counts = new Uint32Array(this.slots);
    this.slotIds = new Float64Array(this.slots);
    this.newestSlot = NaN;
    this.clear();
  }

  /**
   * Forgets every sample (memory stays allocated).
   *
   * @example
   * ```ts
   * import { SeriesHistory } from "./history.ts";
   * import assert from "node:assert/strict";
   * const h = new SeriesHistory({ slots: 2, slotMs: 1000 });
   * h.record(0, 1);
   * h.clear();
   * assert.deepEqual(h.series(0, 1000).values, [NaN, NaN]);
   * ```
   */
  clear(): void {
    for (let i = 0; i < this.slots; i++) {
      this.means[i] = 0;
      this.counts[i] = 0;
      this.slotIds[i] = NaN;
    }
    this.newestSlot = NaN;
  }

  /**
   * Adds one sample; non-finite values or times are ignored.
   *
   * @param nowMs Time of the sample.
   * @param value The measured value (W, %, °C, ...).
   * @example
   * ```ts
   * import { SeriesHistory } from "./history.ts";
   * import assert from "node:assert/strict";
   * const h = new SeriesHistory({ slots: 2, slotMs: 1000 });
   * h.record(0, 5);
   * h.record(100, NaN); // ignored
   * assert.deepEqual(h.series(0, 1000).values, [NaN, 5]);
   * ```
   */
  record(nowMs: number, value: number): void {
    if (typeof value !== "number" || !isFinite(value)) return;
    if (typeof nowMs !== "number" || !isFinite(nowMs)) return;
    const slot = Math.floor(nowMs / this.slotMs);
    if (slot <= this.newestSlot - this.slots) this.clear();
    const pos = ((slot % this.slots) + this.slots) % this.slots;
    if (this.slotIds[pos] !== slot) {
      this.slotIds[pos] = slot;
      this.means[pos] = 0;
      this.counts[pos] = 0;
    }
    // A running mean, updated in a form that cannot overflow: a sum of large readings could.
    const count = (this.counts[pos] ?? 0) + 1;
    const mean = this.means[pos] ?? 0;
    this.means[pos] = mean - mean / count + value / count;
    this.counts[pos] = count;
    if (!(slot <= this.newestSlot)) this.newestSlot = slot;
  }

  /**
   * Reads the `slots` slots ending with the one holding `nowMs`, with a running mean.
   *
   * @param nowMs The time of the last slot shown.
   * @param meanWindowMs Length of the averaging window: the last
   *   `Math.ceil(meanWindowMs / slotMs)` slots (at least 1), clipped to the history kept.
   * @returns Slot values and means, oldest first; `NaN` where there is nothing to show.
   * @example
   * ```ts
   * import { SeriesHistory } from "./history.ts";
   * import assert from "node:assert/strict";
   * const h = new SeriesHistory({ slots: 3, slotMs: 1000 });
   * h.record(1000, 2);
   * h.record(2000, 4);
   * assert.deepEqual(h.series(2999, 60000), {
   *   startMs: 0, slotMs: 1000, values: [NaN, 2, 4], means: [NaN, 2, 3],
   * });
   * ```
   */
  series(nowMs: number, meanWindowMs: number): SeriesWindow {
    const n = this.slots;
    const fallbackSlot = isNaN(this.newestSlot) ? 0 : this.newestSlot;
    const lastSlot = isFinite(nowMs) ? Math.floor(nowMs / this.slotMs) : fallbackSlot;
    const firstSlot = lastSlot - n + 1;
    const width = meanWindowMs > 0 ? Math.max(1, Math.ceil(meanWindowMs / this.slotMs)) : 1;
    const values: number[] = [];
    const means: number[] = [];
    // The window's sum is kept divided by a power of two at least as large as the window
    // (exact in binary), so that it cannot overflow however large the values.
    let scale = 1;
    while (scale < Math.min(width, n)) scale *= 2;
    let sum = 0;
    let count = 0;
    for (let i = 0; i < n; i++) {
      // The value leaving the window goes before the new one comes in: the sum never holds
      // more than `width` values.
      const leaving = i - width >= 0 ? values[i - width] : NaN;
      if (leaving !== undefined && !isNaN(leaving)) {
        count -= 1;
        // Restart from zero rather than keep float residue of an emptied window.
        sum = count > 0 ? sum - leaving / scale : 0;
      }
      const v = this.slotValue(firstSlot + i);
      values.push(v);
      if (!isNaN(v)) {
        sum += v / scale;
        count += 1;
      }
      means.push(count > 0 ? (sum / count) * scale : NaN);
    }
    return { startMs: firstSlot * this.slotMs, slotMs: this.slotMs, values: values, means: means };
  }

  /**
   * The history up to its newest sample in JSON-safe form (empty slots as `null`).
   *
   * @returns Start, slot length and values; all `null` before the first sample.
   * @example
   * ```ts
   * import { SeriesHistory } from "./history.ts";
   * import assert from "node:assert/strict";
   * const h = new SeriesHistory({ slots: 2, slotMs: 1000 });
   * h.record(5000, 7);
   * assert.equal(JSON.stringify(h), '{"startMs":4000,"slotMs":1000,"values":[null,7]}');
   * ```
   */
  toJSON(): SeriesJson {
    const w = this.series(isNaN(this.newestSlot) ? 0 : this.newestSlot * this.slotMs, 0);
    return {
      startMs: w.startMs,
      slotMs: w.slotMs,
      values: w.values.map((v) => isNaN(v) ? null : v),
    };
  }

  /** Mean of one absolute slot, or `NaN` when it is empty or no longer kept. */
  private slotValue(slot: number): number {
    const pos = ((slot % this.slots) + this.slots) % this.slots;
    const count = this.counts[pos] ?? 0;
    if (this.slotIds[pos] !== slot || count === 0) return NaN;
    return this.means[pos] ?? 0;
  }
}
