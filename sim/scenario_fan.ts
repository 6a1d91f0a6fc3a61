/**
 * Fan scenarios: a bathroom fan through a day with two showers, a toilet fan through a day
 * of seeded visits. Sampled every minute: room air, what the duct sensor read, the fan's
 * speed and why.
 *
 * @module
 */

import { fanStates } from "../lib/fan_device.ts";
import type { ChartSpans, ChartSpec } from "./chart.ts";
import type { CsvValue } from "./csv.ts";
import type { SimFan } from "./fan.ts";
import { type Activity, scheduleVisits } from "./occupancy.ts";
import { createRandom } from "./random.ts";
import {
  clockTime,
  HOUR_MS,
  isoTime,
  MINUTE_MS,
  type ProgressFn,
  round,
  ScenarioHarness,
  type ScenarioResult,
} from "./scenario.ts";

export type { Activity };

/** Options of a fan scenario. */
export interface FanScenarioOptions {
  /** Seed of the visits (toilet); the bathroom's showers are fixed. */
  seed: number;
  /** Simulated time (default 24 h). */
  durationMs?: number;
  /** Sample period (default 1 min). */
  sampleMs?: number;
  /** Sends the fan a `check_period` command (s) once it is online; default: factory setting. */
  checkPeriodS?: number;
  /** Showers or visits instead of the scenario's own. */
  activities?: Activity[];
  /** Told the fraction done. */
  onProgress?: ProgressFn;
}

/** Columns of the fan CSV. */
export const FAN_COLUMNS: string[] = [
  "time",
  "hour",
  "occupied",
  "room_humidity_pct",
  "sensor_humidity_pct",
  "room_temp_c",
  "sensor_temp_c",
  "fan_speed",
  "reason",
  "mode",
  "control",
];

/** Band colours of the fan's reasons (`none` stays blank). */
export const REASON_COLORS: Readonly<Record<string, string>> = {
  humidity: "#4e79a7",
  temperature: "#e15759",
  timer: "#59a14f",
  purge: "#b07aa1",
  check: "#edc948",
  manual: "#9c755f",
  safety: "#f28e2b",
};

/** The bathroom-day showers: 07:00 for 10 min and 19:30 for 12 min. */
export const BATHROOM_SHOWERS: readonly Activity[] = [
  { startMs: 7 * HOUR_MS, durationMs: 10 * MINUTE_MS },
  { startMs: 19.5 * HOUR_MS, durationMs: 12 * MINUTE_MS },
];

/**
 * A bathroom fan through a day with two showers (07:00 for 10 min, 19:30 for 12 min).
 *
 * @param options Seed, duration, settings and progress.
 * @returns CSV rows, chart and findings; `facts.caught` counts showers the fan ran for.
 * @example
 * ```ts
 * import { bathroomDay } from "./scenario_fan.ts";
 * import assert from "node:assert/strict";
 * const result = bathroomDay({ seed: 1, durationMs: 3 * 3600000 });
 * assert.equal(result.rows.length, 180);
 * ```
 */
export function bathroomDay(options: FanScenarioOptions): ScenarioResult {
  const harness = new ScenarioHarness();
  const activities = options.activities ??
    BATHROOM_SHOWERS.map((a) => ({
      startMs: harness.startMs + a.startMs,
      durationMs: a.durationMs,
    }));
  return fanDay("bathroom-day", "bathroom", harness, activities, options);
}

/**
 * A toilet fan through a day of visits drawn from the seed.
 *
 * @param options Seed, duration, settings and progress.
 * @returns CSV rows, chart and findings.
 * @example
 * ```ts
 * import { toiletDay } from "./scenario_fan.ts";
 * import assert from "node:assert/strict";
 * const result = toiletDay({ seed: 2, durationMs: 3600000 });
 * assert.equal(result.rows.length, 60);
 * ```
 */
export function toiletDay(options: FanScenarioOptions): ScenarioResult {
  const harness = new ScenarioHarness();
  const activities = options.activities ??
    scheduleVisits(createRandom(options.seed), { fromMs: harness.startMs, days: 1 });
  return fanDay("toilet-day", "toilet", harness, activities, options);
}

interface Sample {
  offsetMs: number;
  speed: number;
  reason: string;
}

function fanDay(
  name: string,
  room: "bathroom" | "toilet",
  harness: ScenarioHarness,
  activities: Activity[],
  options: FanScenarioOptions,
): ScenarioResult {
  const durationMs = options.durationMs ?? 24 * HOUR_MS;
  const sampleMs = options.sampleMs ?? MINUTE_MS;
  const fan = harness.addFan("fan1", room, activities);
  if (options.checkPeriodS !== undefined) {
    const seconds = String(options.checkPeriodS);
    harness.at(5000, () => harness.command(fan, "check_period", seconds));
  }
  const rows: CsvValue[][] = [];
  const samples: Sample[] = [];
  harness.sampleEvery(sampleMs, durationMs, (offsetMs) => {
    const row = fanRow(fan, harness.startMs, offsetMs);
    rows.push(row);
    samples.push({ offsetMs, speed: row[7] as number, reason: row[8] as string });
  });
  const wallMs = harness.run(durationMs, options.onProgress);
  const during = activities
    .map((a) => ({ startMs: a.startMs - harness.startMs, durationMs: a.durationMs }))
    .filter((a) => a.startMs >= 0 && a.startMs < durationMs);
  const facts = fanFacts(samples, during, sampleMs, rows);
  const what = room === "bathroom" ? "showers" : "visits";
  const delays = during.map((_, n) => facts[`delay${n}Min`]).filter((d) => d !== undefined);
  const usage = `fan ran ${facts.fanHours} h (humidity ${facts.humidityHours} h, ` +
    `check/purge ${facts.checkHours} h), peak ${facts.peakHumidityPct} %RH`;
  const summary = room === "bathroom"
    ? `${facts.caught}/${during.length} showers caught` +
      (delays.length > 0 ? ` (after ${delays.join(", ")} min)` : "") + `, ${usage}`
    : `${during.length} visits, ${facts.caught} followed by a humidity run, ${usage}`;
  const plan = during.length <= 4
    ? during.map((a) => `${clockTime(a.startMs)} (${Math.round(a.durationMs / MINUTE_MS)} min)`)
      .join(", ")
    : `${during.length} between ${clockTime(during[0]!.startMs)} and ` +
      clockTime(during[during.length - 1]!.startMs);
  const title = `${name}: a ${room} fan through ${round(durationMs / HOUR_MS, 2)} h, ` +
    `${what} ${plan || "none"}`;
  void harness.stop();
  return {
    name,
    title,
    columns: FAN_COLUMNS,
    rows,
    chart: fanChart(title, summary, rows, durationMs, fan.state?.settings.maxSpeed ?? 2, {
      name: room === "bathroom" ? "shower" : "visit",
      color: "#7b3294",
      rangesH: during.map((a) => [a.startMs / HOUR_MS, (a.startMs + a.durationMs) / HOUR_MS]),
    }),
    summary,
    facts,
    simulatedMs: durationMs,
    deviceCount: harness.deviceCount,
    wallMs,
    messages: harness.messages,
  };
}

function fanRow(fan: SimFan, startMs: number, offsetMs: number): CsvValue[] {
  const nowMs = startMs + offsetMs;
  fan.advanceRoom();
  const state = fan.state;
  const outputs = state === null ? null : fanStates(state, nowMs);
  const sensorPct = outputs?.humidityPct ?? null;
  const sensorC = outputs?.tempC ?? null;
  return [
    isoTime(nowMs),
    round(offsetMs / HOUR_MS, 4),
    fan.occupied(nowMs) ? 1 : 0,
    round(fan.room.humidityPct, 1),
    sensorPct === null ? null : round(sensorPct, 1),
    round(fan.room.tempC, 2),
    sensorC === null ? null : round(sensorC, 2),
    outputs?.speed ?? 0,
    outputs?.reason ?? "none",
    outputs?.mode ?? "",
    outputs?.control ?? "",
  ];
}

function fanFacts(
  samples: Sample[],
  activities: Activity[],
  sampleMs: number,
  rows: CsvValue[][],
): Record<string, number> {
  const hours = (keep: (s: Sample) => boolean): number =>
    round((samples.filter(keep).length * sampleMs) / HOUR_MS, 2);
  const facts: Record<string, number> = {
    activities: activities.length,
    caught: 0,
    fanHours: hours((s) => s.speed > 0),
    humidityHours: hours((s) => s.reason === "humidity"),
    checkHours: hours((s) => s.reason === "check" || s.reason === "purge"),
    peakHumidityPct: Math.max(0, ...rows.map((r) => r[3] as number)),
  };
  activities.forEach((activity, n) => {
    // Caught: the fan runs for humidity before the next activity starts (or within 2 h).
    const limitMs = Math.min(
      activity.startMs + 2 * HOUR_MS,
      activities[n + 1]?.startMs ?? Infinity,
    );
    const run = samples.find((s) =>
      s.offsetMs >= activity.startMs && s.offsetMs < limitMs && s.reason === "humidity"
    );
    if (run === undefined) return;
    facts.caught! += 1;
    facts[`delay${n}Min`] = Math.round((run.offsetMs - activity.startMs) / MINUTE_MS);
    const stop = samples.find((s) => s.offsetMs > run.offsetMs && s.reason !== "humidity");
    if (stop !== undefined) {
      facts[`run${n}Min`] = Math.round((stop.offsetMs - run.offsetMs) / MINUTE_MS);
    }
  });
  return facts;
}

function fanChart(
  title: string,
  summary: string,
  rows: CsvValue[][],
  durationMs: number,
  maxSpeed: number,
  occupancy: ChartSpans,
): ChartSpec {
  const column = (n: number): (number | null)[] => rows.map((r) => r[n] as number | null);
  return {
    title,
    subtitle: summary,
    timesH: rows.map((r) => r[1] as number),
    xMinH: 0,
    xMaxH: durationMs / HOUR_MS,
    xLabel: "time of day (h:mm)",
    left: { label: "relative humidity (%RH)", min: 30, max: 100 },
    right: { label: "fan speed (step)", min: 0, max: maxSpeed + 0.5, integer: true },
    series: [
      { name: "room humidity", values: column(3), color: "#1f3b73", axis: "left" },
      {
        name: "sensor (duct) humidity",
        values: column(4),
        color: "#17becf",
        axis: "left",
        dashed: true,
      },
      { name: "fan speed", values: column(7), color: "#d62728", axis: "right", step: true },
    ],
    bands: { label: "reason", values: rows.map((r) => String(r[8])), colors: REASON_COLORS },
    spans: [occupancy],
  };
}
