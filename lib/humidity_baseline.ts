/**
 * The slow humidity baseline behind the fan's rise criterion.
 *
 * A bathroom's dry humidity drifts with the seasons (about 30 to 55 %RH in the data under
 * `data/`), so a fixed threshold either misses showers on dry days or runs the fan all day
 * on humid ones. The rise criterion instead compares each reading with a baseline: an
 * exponential moving average with a time constant of {@link BASELINE_TAU_MS} (3 h) that
 * follows the weather but not a 10-minute shower. While the fan runs for humidity the
 * time constant is {@link BASELINE_SLOW_FACTOR} times longer (12 h): the baseline barely
 * chases the shower, yet a lasting change (a wet towel, a humid week) is still absorbed
 * within hours, so a run can never be held by an out-of-date baseline for ever, which a
 * fully frozen baseline would risk.
 *
 * The weight of each reading is `1 - exp(-elapsed / tau)`, so the result does not depend on
 * how often the sensor is read.
 *
 * @module
 */

/** Time constant of the baseline while the fan does not run for humidity: 3 hours. */
export const BASELINE_TAU_MS = 3 * 3600000;

/** How much slower the baseline moves while the fan runs for humidity (12 h instead of 3 h). */
export const BASELINE_SLOW_FACTOR = 4;

/** A slow moving average of relative humidity. */
export interface HumidityBaseline {
  /** The baseline in %RH; `null` until the first reading. */
  pct: number | null;
  /** When the last reading was folded in. */
  atMs: number;
}

/**
 * Returns a baseline that has seen no reading yet.
 *
 * @returns A baseline whose `pct` is `null`.
 * @example
 * ```ts
 * import { emptyBaseline } from "./humidity_baseline.ts";
 * import assert from "node:assert/strict";
 * assert.equal(emptyBaseline().pct, null);
 * ```
 */
export function emptyBaseline(): HumidityBaseline {
  return { pct: null, atMs: 0 };
}

/**
 * Folds a humidity reading into the baseline.
 *
 * The first reading seeds the baseline. Readings that are not finite, or not newer than
 * the last one, leave it unchanged.
 *
 * @param baseline The current baseline (not modified).
 * @param humidityPct The reading in %RH.
 * @param nowMs When the reading was taken.
 * @param slow `true` while the fan runs for humidity: use the long time constant.
 * @returns The new baseline.
 * @example
 * ```ts
 * import { BASELINE_TAU_MS, emptyBaseline, updateBaseline } from "./humidity_baseline.ts";
 * import assert from "node:assert/strict";
 * const seeded = updateBaseline(emptyBaseline(), 50, 0, false);
 * // After one time constant the baseline has moved 63 % of the way to a new level.
 * const moved = updateBaseline(seeded, 60, BASELINE_TAU_MS, false);
 * assert.equal(Math.round(moved.pct ?? 0), 56);
 * // While the fan runs for humidity it moves four times slower.
 * const slowed = updateBaseline(seeded, 60, BASELINE_TAU_MS, true);
 * assert.equal(Math.round(slowed.pct ?? 0), 52);
 * ```
 */
export function updateBaseline(
  baseline: HumidityBaseline,
  humidityPct: number,
  nowMs: number,
  slow: boolean,
): HumidityBaseline {
  if (typeof humidityPct !== "number" || !isFinite(humidityPct) || !isFinite(nowMs)) {
    return baseline;
  }
  if (baseline.pct === null) return { pct: humidityPct, atMs: nowMs };
  const elapsedMs = nowMs - baseline.atMs;
  if (!(elapsedMs > 0)) return baseline;
  const tauMs = slow ? BASELINE_TAU_MS * BASELINE_SLOW_FACTOR : BASELINE_TAU_MS;
  const weight = 1 - Math.exp(-elapsedMs / tauMs);
  return { pct: baseline.pct + (humidityPct - baseline.pct) * weight, atMs: nowMs };
}

/**
 * Decides the rise criterion with hysteresis.
 *
 * ON when humidity is `risePct` or more above the baseline; OFF once it is back within
 * half of that (`risePct / 2`); in between it holds. The half-rise OFF point ends a run
 * when most of the shower's moisture is gone without waiting for the last few percent,
 * which on the recorded data decay slowly and would keep the fan on for hours.
 *
 * @param wasOn The criterion's previous state.
 * @param humidityPct The reading in %RH.
 * @param baselinePct The baseline before this reading, or `null` if there is none yet.
 * @param risePct The rise that switches on; 0 or less disables the criterion.
 * @returns Whether the rise criterion asks for the fan.
 * @example
 * ```ts
 * import { riseDemand } from "./humidity_baseline.ts";
 * import assert from "node:assert/strict";
 * assert.equal(riseDemand(false, 56, 45, 10), true); // 11 above the baseline
 * assert.equal(riseDemand(true, 52, 45, 10), true); // 7 above: holds
 * assert.equal(riseDemand(true, 50, 45, 10), false); // back within 5
 * assert.equal(riseDemand(false, 90, 45, 0), false); // disabled
 * ```
 */
export function riseDemand(
  wasOn: boolean,
  humidityPct: number,
  baselinePct: number | null,
  risePct: number,
): boolean {
  if (!(risePct > 0) || baselinePct === null || !isFinite(humidityPct)) return false;
  const excessPct = humidityPct - baselinePct;
  if (excessPct >= risePct) return true;
  if (excessPct <= risePct / 2) return false;
  return wasOn === true;
}
