/**
 * Replays three months of a real bathroom's humidity (`data/bathroom-2016-01-11_2016-04-12.csv`,
 * 10-minute samples) through the fan controller and scores how well it serves the showers.
 *
 * - Showers and their wet periods: see `bathroom_data.ts` (a rise of 5 %RH within 20
 *   minutes; wet until back within 5 %RH of the level before, at most 6 h).
 * - Caught: the fan runs for humidity (or temperature) at the onset or within
 *   {@link CATCH_WINDOW_MS} (30 min) after it. The delay is counted from the first sample that
 *   shows the rise, so it is a multiple of the 10-minute sample period.
 * - Wasted hours: humidity/temperature runs (high speed) outside every wet period. Low-speed
 *   purge, check and timer runs are counted apart.
 *
 * The sensor of a real installation sits in the duct; the recorded humidity is room air,
 * so the replay treats the sensor as always reading the room. A reading is fed every 10
 * minutes with ticks at each controller deadline between them; `sensorStaleMs` is raised to
 * 20 minutes so that the 10-minute samples keep the sensor valid. The controller cannot dry
 * the recorded room, so runs last as long as the recorded humidity stays up.
 *
 * Run `deno run -A bench/fan_replay.ts` to print the table and write `bench/FAN_REPLAY.md`.
 *
 * @module
 */

import type { FanReason, FanState } from "../lib/fan.ts";
import { initialFanState, nextFanDeadlineMs, stepFan } from "../lib/fan.ts";
import { DEFAULT_FAN_SETTINGS, type FanSettings } from "../lib/settings.ts";
import {
  BATHROOM_CSV_URL,
  type ClimateSample,
  findShowers,
  parseBathroomCsv,
  type Shower,
  SHOWER_RISE_PCT,
  WET_MARGIN_PCT,
} from "./bathroom_data.ts";

export type { FanSettings } from "../lib/settings.ts";
export type { ClimateSample, Shower } from "./bathroom_data.ts";

/** A shower counts as caught if the fan runs for humidity within this after the onset. */
export const CATCH_WINDOW_MS = 30 * 60000;
const MIN = 60000;

/** The score of one replay. */
export interface ReplayResult {
  /** Name of the configuration. */
  name: string;
  /** Showers in the data. */
  showers: number;
  /** Showers caught. */
  caught: number;
  /** Detection delays of the caught showers, in minutes. */
  delaysMin: number[];
  /** Hours run for humidity or temperature. */
  demandHours: number;
  /** Of those, hours outside every wet period. */
  wastedHours: number;
  /** Of those, hours outside every shower's time until dry (wet periods without the cap). */
  wastedUncappedHours: number;
  /** Hours run at low speed for purge, check or timer. */
  lowSpeedHours: number;
  /** Safety stops after `maxRunMs`. */
  safetyStops: number;
  /** Number of starts. */
  starts: number;
}

interface Segment {
  startMs: number;
  endMs: number;
  speed: number;
  reason: FanReason;
}

const isDemand = (reason: FanReason): boolean => reason === "humidity" || reason === "temperature";

/** Length of `[startMs, endMs)` outside the windows (sorted by start, possibly overlapping). */
const outsideMs = (startMs: number, endMs: number, windows: Array<[number, number]>): number => {
  let coveredMs = 0;
  let cursorMs = startMs;
  for (const window of windows) {
    if (window[1] <= cursorMs) continue;
    if (window[0] >= endMs) break;
    const fromMs = Math.max(cursorMs, window[0]);
    const toMs = Math.min(endMs, window[1]);
    if (toMs > fromMs) coveredMs += toMs - fromMs;
    cursorMs = Math.max(cursorMs, toMs);
  }
  return endMs - startMs - coveredMs;
};

/**
 * Replays the samples through the controller and scores the result.
 *
 * @param name A label for the table.
 * @param samples The recorded samples.
 * @param showers The showers found in them (`findShowers`).
 * @param settings The fan settings to replay with.
 * @returns The score.
 * @example
 * ```ts
 * import { findShowers } from "./bathroom_data.ts";
 * import { replayFan, REPLAY_BASE_SETTINGS } from "./fan_replay.ts";
 * import assert from "node:assert/strict";
 * const levels = [45, 45, 45, 45, 45, 45, 62, 66, 60, 52, 47, 45, 45];
 * const samples = levels.map((humidityPct, i) => ({ atMs: i * 600000, time: "", humidityPct, tempC: 20 }));
 * const result = replayFan("rise", samples, findShowers(samples), REPLAY_BASE_SETTINGS);
 * assert.equal(result.caught, 1);
 * assert.deepEqual(result.delaysMin, [0]);
 * ```
 */
export function replayFan(
  name: string,
  samples: ClimateSample[],
  showers: Shower[],
  settings: FanSettings,
): ReplayResult {
  const first = samples[0];
  const result: ReplayResult = {
    name,
    showers: showers.length,
    caught: 0,
    delaysMin: [],
    demandHours: 0,
    wastedHours: 0,
    wastedUncappedHours: 0,
    lowSpeedHours: 0,
    safetyStops: 0,
    starts: 0,
  };
  if (first === undefined) return result;
  const segments: Segment[] = [];
  let state: FanState = initialFanState(first.atMs);
  let sinceMs = first.atMs;
  const send = (event: Parameters<typeof stepFan>[1]): void => {
    const next = stepFan(state, event, settings).state;
    if (next.speed !== state.speed || next.reason !== state.reason) {
      if (state.speed > 0) {
        segments.push({
          startMs: sinceMs,
          endMs: next.nowMs,
          speed: state.speed,
          reason: state.reason,
        });
      }
      if (next.speed > 0 && state.speed === 0) result.starts++;
      if (next.reason === "safety" && state.reason !== "safety") result.safetyStops++;
      sinceMs = next.nowMs;
    }
    state = next;
  };
  send({ type: "boot", nowMs: first.atMs });
  send({ type: "network", nowMs: first.atMs, up: true });
  for (const sample of samples) {
    for (;;) {
      const deadlineMs = nextFanDeadlineMs(state, settings);
      if (deadlineMs === null || deadlineMs >= sample.atMs) break;
      send({ type: "tick", nowMs: deadlineMs });
    }
    send({
      type: "reading",
      nowMs: sample.atMs,
      humidityPct: sample.humidityPct,
      tempC: sample.tempC,
    });
  }
  if (state.speed > 0) {
    segments.push({
      startMs: sinceMs,
      endMs: state.nowMs,
      speed: state.speed,
      reason: state.reason,
    });
  }
  const wet = showers.map((x): [number, number] => [x.wetStartMs, x.wetEndMs]);
  const untilDry = showers.map((x): [number, number] => [x.wetStartMs, x.dryMs]);
  for (const segment of segments) {
    const hours = (segment.endMs - segment.startMs) / 3600000;
    if (!isDemand(segment.reason)) {
      result.lowSpeedHours += hours;
      continue;
    }
    result.demandHours += hours;
    result.wastedHours += outsideMs(segment.startMs, segment.endMs, wet) / 3600000;
    result.wastedUncappedHours += outsideMs(segment.startMs, segment.endMs, untilDry) / 3600000;
  }
  for (const shower of showers) {
    const hit = segments.find((s) =>
      isDemand(s.reason) && s.endMs > shower.atMs && s.startMs <= shower.atMs + CATCH_WINDOW_MS
    );
    if (hit === undefined) continue;
    result.caught++;
    result.delaysMin.push(Math.max(0, hit.startMs - shower.atMs) / MIN);
  }
  return result;
}

/** Settings every replay starts from: the defaults, with the sensor valid for 20 minutes. */
export const REPLAY_BASE_SETTINGS: FanSettings = Object.assign({}, DEFAULT_FAN_SETTINGS, {
  sensorStaleMs: 20 * MIN,
});

const fixed = (onPct: number, offPct: number, risePct: number): FanSettings =>
  Object.assign({}, REPLAY_BASE_SETTINGS, {
    humOnPct: onPct,
    humOffPct: offPct,
    humRisePct: risePct,
  });

/** The configurations compared in `bench/FAN_REPLAY.md`. */
export const REPLAY_CONFIGS: Array<{ name: string; settings: FanSettings }> = [
  { name: "fixed 70/60 (rise off)", settings: fixed(70, 60, 0) },
  { name: "fixed 65/60 (tuned, rise off)", settings: fixed(65, 60, 0) },
  { name: "fixed 60/55 (tuned low, rise off)", settings: fixed(60, 55, 0) },
  { name: "rise 10 + fixed 70/60", settings: fixed(70, 60, 10) },
  { name: "rise 10 + fixed 80/70 (the defaults)", settings: REPLAY_BASE_SETTINGS },
  { name: "rise 10 alone (hum_on 100)", settings: fixed(100, 99, 10) },
];

const median = (values: number[]): number => {
  const sorted = values.slice().sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? sorted[mid] ?? NaN
    : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
};

const mean = (values: number[]): number =>
  values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;

/**
 * Formats replay results as a markdown table.
 *
 * @param results The scores to show.
 * @returns A markdown table, one row per configuration.
 * @example
 * ```ts
 * import { replayTable } from "./fan_replay.ts";
 * import assert from "node:assert/strict";
 * const table = replayTable([{
 *   name: "x", showers: 2, caught: 1, delaysMin: [10], demandHours: 1, wastedHours: 0.5,
 *   wastedUncappedHours: 0.25, lowSpeedHours: 0, safetyStops: 0, starts: 1,
 * }]);
 * assert.ok(table.includes("| x | 1/2 (50 %) | 10 | 10.0 |"));
 * ```
 */
export function replayTable(results: ReplayResult[]): string {
  const rows = [
    "| configuration | showers caught | median delay (min) | mean delay (min) | " +
    "high-speed h | of which no shower (wet <= 6 h) | of which no shower (until dry) | " +
    "low-speed h (purge/check) | safety stops |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of results) {
    const share = r.showers === 0 ? 0 : Math.round((100 * r.caught) / r.showers);
    rows.push(
      `| ${r.name} | ${r.caught}/${r.showers} (${share} %) | ${median(r.delaysMin)} | ` +
        `${mean(r.delaysMin).toFixed(1)} | ${r.demandHours.toFixed(1)} | ` +
        `${r.wastedHours.toFixed(1)} | ${r.wastedUncappedHours.toFixed(1)} | ` +
        `${r.lowSpeedHours.toFixed(1)} | ${r.safetyStops} |`,
    );
  }
  return rows.join("\n");
}

/**
 * Runs every configuration of {@link REPLAY_CONFIGS} over the samples.
 *
 * @param samples The recorded samples.
 * @returns The showers found and one score per configuration.
 * @example
 * ```ts
 * import { REPLAY_CONFIGS, runReplays } from "./fan_replay.ts";
 * import assert from "node:assert/strict";
 * const run = runReplays([]);
 * assert.equal(run.results.length, REPLAY_CONFIGS.length);
 * ```
 */
export function runReplays(
  samples: ClimateSample[],
): { showers: Shower[]; results: ReplayResult[] } {
  const showers = findShowers(samples);
  const results = REPLAY_CONFIGS.map((c) => replayFan(c.name, samples, showers, c.settings));
  return { showers, results };
}

if (import.meta.main) {
  const samples = parseBathroomCsv(await Deno.readTextFile(BATHROOM_CSV_URL));
  const run = runReplays(samples);
  const table = replayTable(run.results);
  const first = samples[0]?.time ?? "";
  const last = samples[samples.length - 1]?.time ?? "";
  const doc = [
    "# Fan controller replay on recorded bathroom humidity",
    "",
    `Data: \`data/bathroom-2016-01-11_2016-04-12.csv\`, ${samples.length} samples every 10`,
    `minutes from ${first} to ${last} (UCI "Appliances energy prediction", CC BY 4.0; see`,
    `data/README.md). Showers found: ${run.showers.length} (a rise of >= ${SHOWER_RISE_PCT} %RH`,
    "within 20 minutes, at most one per hour).",
    "",
    table,
    "",
    "- Caught: the fan runs for humidity within 30 minutes of the first sample showing the rise;",
    "  delays are counted from that sample, in steps of the 10-minute sample period.",
    "- A shower's wet period runs from 20 minutes before its onset until humidity is back within",
    `  ${WET_MARGIN_PCT} %RH of the level before it, at most 6 h; "until dry" drops the limit.`,
    "  After evening showers this room often stays at 60-70 %RH until the small hours:",
    "  whether running the fan then is waste depends on that limit, so both are shown.",
    "- Low-speed hours are the start-up purge and the periodic checks (warm 60 s, held by",
    "  min_on 120 s, every 30 min while off): the price of a duct sensor that sees room air",
    "  only while air moves. In this replay the sensor always reads the room.",
    "- The recorded room was not dried by this controller, so runs end only as the recorded",
    "  humidity falls; max_run (2 h) then cooldown (10 min) cut the longest ones (safety stops).",
    "- Settings: the defaults of lib/settings.ts, with sensorStaleMs 20 min (one reading per",
    "  10 min) and the thresholds named in each row. The rise baseline is an exponential",
    "  average (time constant 3 h, 12 h while the fan runs for humidity); the rise criterion",
    "  switches off when humidity is back within half the rise of that baseline.",
    "",
    "Regenerate: `deno run -A bench/fan_replay.ts`.",
    "",
  ].join("\n");
  const docUrl = new URL("./FAN_REPLAY.md", import.meta.url);
  await Deno.writeTextFile(docUrl, doc);
  // Let deno fmt wrap and align it, so that `deno fmt --check` stays clean.
  await new Deno.Command(Deno.execPath(), { args: ["fmt", "-q", docUrl.pathname] }).output();
  console.log(table);
}
