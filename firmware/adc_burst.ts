/**
 * Current sampling on the ESP8266's only ADC (A0) in short bursts. A long busy loop
 * starves the Wi-Fi stack and resets the chip, so a burst of `samples` readings is taken
 * in slices of at most `sliceSamples`, and the sampler yields (a zero-delay timer)
 * between slices. The sample rate handed to the measurement is measured, not assumed:
 * the time spent inside the slices divided into the count (the loop's speed depends on
 * the firmware and the flash cache, so no fixed rate would be right).
 *
 * The RMS, offset removal and calibration are `lib/power.ts`'s (`measurePower`, run by
 * the plug device on each burst).
 *
 * @module
 */

import type { SampleBurst } from "../lib/ports.ts";

/** Full scale of the ESP8266's 10-bit ADC, in counts. */
export const ADC_FULL_SCALE = 1023;

/** How a burst is taken. */
export interface BurstPlan {
  /** Samples per burst. */
  samples: number;
  /** Most samples taken without yielding. */
  sliceSamples: number;
}

/** Takes bursts; one at a time. */
export interface BurstSampler {
  /**
   * Starts a burst; `done` gets it after the last slice.
   *
   * @returns `false` (and does nothing) while a burst is still being taken.
   */
  start(done: (burst: SampleBurst) => void): boolean;
}

/**
 * Splits a burst into slices.
 *
 * @param plan Samples and slice size.
 * @returns The number of samples of each slice, in order; they add up to `plan.samples`.
 * @example
 * ```ts
 * import { sliceSizes } from "./adc_burst.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(sliceSizes({ samples: 120, sliceSamples: 50 }), [50, 50, 20]);
 * ```
 */
export function sliceSizes(plan: BurstPlan): number[] {
  const sizes: number[] = [];
  const step = Math.max(1, Math.floor(plan.sliceSamples));
  for (let left = Math.max(0, Math.floor(plan.samples)); left > 0; left -= step) {
    sizes.push(Math.min(step, left));
  }
  return sizes;
}

/**
 * Converts an `analogRead` value (0..1) to ADC counts.
 *
 * @param value The reading.
 * @returns Whole counts, 0..{@linkcode ADC_FULL_SCALE}; 0 for a non-number.
 * @example
 * ```ts
 * import { toCounts } from "./adc_burst.ts";
 * import assert from "node:assert/strict";
 * assert.equal(toCounts(0.5), 512);
 * assert.equal(toCounts(1.7), 1023);
 * ```
 */
export function toCounts(value: number): number {
  const counts = Math.round(value * ADC_FULL_SCALE);
  return counts > 0 ? Math.min(ADC_FULL_SCALE, counts) : 0;
}

/**
 * Makes a burst sampler.
 *
 * @param read Reads the ADC once (`() => analogRead(A0)`), 0..1.
 * @param clockS A fine clock in seconds (`getTime`).
 * @param defer Runs a callback soon, after pending work (`(f) => setTimeout(f, 0)`).
 * @param plan Samples and slice size.
 * @returns The sampler.
 * @example
 * ```ts
 * import { createBurstSampler } from "./adc_burst.ts";
 * import assert from "node:assert/strict";
 * let t = 0;
 * const queue: Array<() => void> = [];
 * const sampler = createBurstSampler(() => { t += 0.001; return 0.5; }, () => t,
 *   (run) => queue.push(run), { samples: 100, sliceSamples: 40 });
 * let rate = 0;
 * assert.equal(sampler.start((burst) => (rate = burst.sampleRateHz)), true);
 * assert.equal(sampler.start(() => {}), false); // busy
 * while (queue.length > 0) queue.shift()!();
 * assert.equal(Math.round(rate), 1000);
 * ```
 */
export function createBurstSampler(
  read: () => number,
  clockS: () => number,
  defer: (callback: () => void) => unknown,
  plan: BurstPlan,
): BurstSampler {
  const sizes = sliceSizes(plan);
  const buffer = new Uint16Array(plan.samples);
  let busy = false;
  return {
    start: (done) => {
      if (busy || sizes.length === 0) return false;
      busy = true;
      let slice = 0;
      let filled = 0;
      let activeS = 0;
      const takeSlice = (): void => {
        const end = filled + (sizes[slice] as number);
        const startS = clockS();
        while (filled < end) buffer[filled++] = toCounts(read());
        activeS += clockS() - startS;
        slice++;
        if (slice < sizes.length) {
          defer(takeSlice);
          return;
        }
        busy = false;
        // A clock too coarse to see the slices would give an infinite rate.
        const rate = filled / Math.max(activeS, 1e-6);
        done({ sampleRateHz: rate, current: buffer });
      };
      defer(takeSlice);
      return true;
    },
  };
}
