/**
 * The recorded bathroom data (`data/bathroom-2016-01-11_2016-04-12.csv`, 10-minute samples)
 * and the showers in it, found from the data alone:
 *
 * - Shower onset: a sample at least {@link SHOWER_RISE_PCT} %RH above the lower of the two
 *   samples before it (a rise of 5 %RH within 20 minutes), with no such sample in the
 *   previous hour (one shower, one onset). Its pre-shower level is the lowest of the three
 *   samples before the onset.
 * - Wet period: from 20 minutes before the onset until humidity is back within
 *   {@link WET_MARGIN_PCT} %RH of the pre-shower level (`dryMs`), at most {@link WET_MAX_MS}.
 *
 * Used by `fan_replay.ts` and `fan_bench.ts`; tests and benchmarks only (it reads files).
 *
 * @module
 */

/** A rise of at least this much within 20 minutes marks a shower. */
export const SHOWER_RISE_PCT = 5;
/** A shower's wet period ends once humidity is back within this of the pre-shower level. */
export const WET_MARGIN_PCT = 5;
/** Longest wet period after an onset. */
export const WET_MAX_MS = 6 * 3600000;

const MIN = 60000;

/** One row of the recorded data. */
export interface ClimateSample {
  /** Time of the row (the local time stamp read as if UTC). */
  atMs: number;
  /** The time stamp as written in the file. */
  time: string;
  /** Bathroom relative humidity. */
  humidityPct: number;
  /** Bathroom temperature. */
  tempC: number;
}

/** A shower found in the data. */
export interface Shower {
  /** Index of the onset sample. */
  index: number;
  /** Time of the onset sample. */
  atMs: number;
  /** Lowest humidity of the three samples before the onset. */
  prePct: number;
  /** Highest humidity within two hours from the onset. */
  peakPct: number;
  /** Start of the wet period (20 minutes before the onset). */
  wetStartMs: number;
  /** End of the wet period: `dryMs`, but at most {@link WET_MAX_MS} after the onset. */
  wetEndMs: number;
  /** When humidity is first back within {@link WET_MARGIN_PCT} of `prePct` (no limit). */
  dryMs: number;
}

/**
 * Parses the recorded CSV (`time,bathroom_temp_c,bathroom_rh_pct,...`).
 *
 * @param text The file's text.
 * @returns The samples with a valid time, humidity and temperature, in file order.
 * @example
 * ```ts
 * import { parseBathroomCsv } from "./bathroom_data.ts";
 * import assert from "node:assert/strict";
 * const rows = parseBathroomCsv("time,bathroom_temp_c,bathroom_rh_pct\n2016-01-11T17:00,17.2,55.2\n");
 * assert.deepEqual(rows.map((r) => r.humidityPct), [55.2]);
 * ```
 */
export function parseBathroomCsv(text: string): ClimateSample[] {
  const lines = text.trim().split(/\r?\n/);
  const header = (lines[0] ?? "").split(",");
  const timeAt = header.indexOf("time");
  const tempAt = header.indexOf("bathroom_temp_c");
  const humidityAt = header.indexOf("bathroom_rh_pct");
  const samples: ClimateSample[] = [];
  for (const line of lines.slice(1)) {
    const cells = line.split(",");
    const time = cells[timeAt] ?? "";
    const atMs = Date.parse(`${time}Z`);
    const humidityPct = parseFloat(cells[humidityAt] ?? "");
    const tempC = parseFloat(cells[tempAt] ?? "");
    if (isFinite(atMs) && isFinite(humidityPct) && isFinite(tempC)) {
      samples.push({ atMs, time, humidityPct, tempC });
    }
  }
  return samples;
}

/**
 * Finds the showers in a series of 10-minute samples (see the module doc for the rule).
 *
 * @param samples The samples, 10 minutes apart.
 * @returns The showers in time order.
 * @example
 * ```ts
 * import { findShowers } from "./bathroom_data.ts";
 * import assert from "node:assert/strict";
 * const levels = [45, 45, 45, 45, 70, 75, 65, 55, 49, 45];
 * const samples = levels.map((humidityPct, i) => ({ atMs: i * 600000, time: "", humidityPct, tempC: 20 }));
 * const showers = findShowers(samples);
 * assert.equal(showers.length, 1);
 * assert.equal(showers[0]?.index, 4);
 * assert.equal(showers[0]?.wetEndMs, 8 * 600000); // 49 is within 5 of 45
 * ```
 */
export function findShowers(samples: ClimateSample[]): Shower[] {
  const h = (i: number): number => samples[i]?.humidityPct ?? NaN;
  const showers: Shower[] = [];
  let lastRiseIndex = -Infinity;
  for (let i = 2; i < samples.length; i++) {
    const rises = h(i) - Math.min(h(i - 1), h(i - 2)) >= SHOWER_RISE_PCT;
    if (!rises) continue;
    const atMs = samples[i]?.atMs ?? 0;
    const previousMs = samples[lastRiseIndex]?.atMs ?? -Infinity;
    lastRiseIndex = i;
    if (atMs - previousMs <= 60 * MIN) continue;
    const prePct = Math.min(h(i - 1), h(i - 2), i >= 3 ? h(i - 3) : Infinity);
    let peakPct = h(i);
    let dryMs = samples[samples.length - 1]?.atMs ?? atMs;
    for (let j = i + 1; j < samples.length; j++) {
      const sample = samples[j];
      if (sample === undefined) break;
      if (sample.humidityPct <= prePct + WET_MARGIN_PCT) {
        dryMs = sample.atMs;
        break;
      }
    }
    for (let j = i + 1; j < samples.length && (samples[j]?.atMs ?? 0) - atMs <= 2 * 3600000; j++) {
      peakPct = Math.max(peakPct, h(j));
    }
    const wetEndMs = Math.min(dryMs, atMs + WET_MAX_MS);
    showers.push({
      index: i,
      atMs,
      prePct,
      peakPct,
      wetStartMs: atMs - 20 * MIN,
      wetEndMs,
      dryMs,
    });
  }
  return showers;
}

/** Where the recorded data lives, relative to this file. */
export const BATHROOM_CSV_URL: URL = new URL(
  "../data/bathroom-2016-01-11_2016-04-12.csv",
  import.meta.url,
);
