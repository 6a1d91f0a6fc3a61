/**
 * Plug scenarios: a kettle boiling a few times in an hour, a fridge cycling through a day,
 * and an overload that trips `max_power`. Commands reach the plug through its in-memory
 * MQTT link, loads change through the simulator's `load` knob, as they would from a
 * controller and a test rig.
 *
 * @module
 */

import { plugStates } from "../lib/plug_device.ts";
import type { PlugStates } from "../lib/protocol_states.ts";
import type { ChartSeries, ChartSpec } from "./chart.ts";
import type { CsvValue } from "./csv.ts";
import { fridge, heater, type LoadModel, noLoad } from "./loads.ts";
import type { SimPlug } from "./plug.ts";
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

/** Options of a plug scenario. */
export interface PlugScenarioOptions {
  /** Seed of random choices (kettle times, fridge cycles). */
  seed: number;
  /** Simulated time (default: the scenario's own). */
  durationMs?: number;
  /** Sample period (default: the scenario's own). */
  sampleMs?: number;
  /** Told the fraction done. */
  onProgress?: ProgressFn;
}

/** Columns of the plug CSV. */
export const PLUG_COLUMNS: string[] = [
  "time",
  "hour",
  "load_w",
  "power_w",
  "mean_power_w",
  "energy_wh",
  "energy_today_wh",
  "relay",
  "fault",
  "max_power_w",
];

const COL = { hour: 1, load: 2, power: 3, mean: 4, energy: 5, today: 6, relay: 7, fault: 8 };
const KETTLE_W = 2200;
const KETTLE_BOIL_MS = 3 * MINUTE_MS;

/** What a plug scenario's run gave, before its own findings. */
interface PlugRun {
  harness: ScenarioHarness;
  plug: SimPlug;
  rows: CsvValue[][];
  /** The plug's states at the end (before it is stopped). */
  final: PlugStates | null;
  wallMs: number;
  durationMs: number;
  /** Relay changes: when (from the start), to what, and the fault then. */
  relayChanges: Array<{ offsetMs: number; on: boolean; fault: string | null }>;
}

function runPlug(
  load: LoadModel,
  options: PlugScenarioOptions,
  defaults: { durationMs: number; sampleMs: number },
  setup: (harness: ScenarioHarness, plug: SimPlug, durationMs: number) => void,
): PlugRun {
  const durationMs = options.durationMs ?? defaults.durationMs;
  const harness = new ScenarioHarness();
  const plug = harness.addPlug("plug1", load);
  const relayChanges: PlugRun["relayChanges"] = [];
  let relayOn = plug.relayOn;
  plug.onChange(() => {
    if (plug.relayOn === relayOn) return;
    relayOn = plug.relayOn;
    const offsetMs = harness.clock.nowMs() - harness.startMs;
    relayChanges.push({ offsetMs, on: relayOn, fault: plug.state?.relay.fault ?? null });
  });
  // The mean of every measurement (one per second), independent of the energy counter.
  let powerSum = 0;
  let powerCount = 0;
  harness.clock.every(1000, () => {
    powerSum += plug.state?.reading?.powerW ?? 0;
    powerCount++;
  });
  harness.at(5000, () => harness.command(plug, "power", "ON"));
  setup(harness, plug, durationMs);
  const rows: CsvValue[][] = [];
  harness.sampleEvery(options.sampleMs ?? defaults.sampleMs, durationMs, (offsetMs) => {
    const nowMs = harness.startMs + offsetMs;
    const state = plug.state;
    const states = state === null ? null : plugStates(state, nowMs);
    rows.push([
      isoTime(nowMs),
      round(offsetMs / HOUR_MS, 4),
      round(plug.load.at(nowMs).powerW, 1),
      round(states?.powerW ?? 0, 1),
      round(powerCount === 0 ? 0 : powerSum / powerCount, 2),
      round(states?.energyTotalWh ?? 0, 3),
      round(states?.energyTodayWh ?? 0, 3),
      states?.on ? "ON" : "OFF",
      states?.fault ?? "",
      state?.settings.maxPowerW ?? 0,
    ]);
  });
  const wallMs = harness.run(durationMs, options.onProgress);
  const final = plug.state === null ? null : plugStates(plug.state, harness.clock.nowMs());
  void harness.stop();
  return { harness, plug, rows, final, wallMs, durationMs, relayChanges };
}

function result(
  name: string,
  title: string,
  summary: string,
  facts: Record<string, number>,
  run: PlugRun,
  extra: ChartSeries[],
): ScenarioResult {
  const rows = run.rows;
  const column = (n: number): number[] => rows.map((r) => r[n] as number);
  const chart: ChartSpec = {
    title,
    subtitle: summary,
    timesH: column(COL.hour),
    xMinH: 0,
    xMaxH: run.durationMs / HOUR_MS,
    xLabel: "time since start (h:mm)",
    left: { label: "power (W)", min: 0 },
    right: { label: "energy (Wh)", min: 0 },
    series: [
      { name: "measured power", values: column(COL.power), color: "#f28e2b", axis: "left" },
      ...extra,
      { name: "energy", values: column(COL.energy), color: "#2f7d32", axis: "right" },
    ],
    bands: {
      label: "relay",
      values: rows.map((r) =>
        r[COL.fault] !== "" ? "open (fault)" : r[COL.relay] === "OFF" ? "open" : ""
      ),
      colors: { "open (fault)": "#e15759", open: "#bab0ac" },
    },
  };
  return {
    name,
    title,
    columns: PLUG_COLUMNS,
    rows,
    chart,
    summary,
    facts,
    simulatedMs: run.durationMs,
    deviceCount: run.harness.deviceCount,
    wallMs: run.wallMs,
    messages: run.harness.messages,
  };
}

const lastRow = (run: PlugRun): CsvValue[] => run.rows[run.rows.length - 1] ?? [];

/**
 * A kettle boiling four times in an hour (about every 15 min, times jittered by the seed),
 * 2200 W for 3 min each, sampled every 10 s.
 *
 * @param options Seed, duration and progress.
 * @returns CSV rows, chart and findings (`facts.boils`, `facts.energyWh`).
 * @example
 * ```ts
 * import { kettleScenario } from "./scenario_plug.ts";
 * import assert from "node:assert/strict";
 * const result = kettleScenario({ seed: 1, durationMs: 600000 });
 * assert.equal(result.rows.length, 60);
 * ```
 */
export function kettleScenario(options: PlugScenarioOptions): ScenarioResult {
  const random = createRandom(options.seed);
  const boilsAtMs: number[] = [];
  const run = runPlug(
    noLoad(),
    options,
    { durationMs: HOUR_MS, sampleMs: 10000 },
    (harness, plug, durationMs) => {
      for (const minutes of [5, 20, 35, 50]) {
        const atMs = Math.round((minutes - 2 + 4 * random()) * 60) * 1000;
        if (atMs + KETTLE_BOIL_MS > durationMs) continue;
        boilsAtMs.push(atMs);
        harness.at(atMs, () => plug.knob("load", "kettle"));
      }
    },
  );
  const energyWh = lastRow(run)[COL.energy] as number;
  const peakW = Math.max(0, ...run.rows.map((r) => r[COL.power] as number));
  const expectedWh = (boilsAtMs.length * KETTLE_W * KETTLE_BOIL_MS) / HOUR_MS;
  const summary = `${boilsAtMs.length} boils (${boilsAtMs.map(clockTime).join(", ")}): ` +
    `${round(energyWh, 1)} Wh (${round(expectedWh, 1)} Wh expected), peak ${round(peakW, 0)} W`;
  return result(
    "kettle",
    `kettle: a plug with a ${KETTLE_W} W kettle boiling ${boilsAtMs.length} times`,
    summary,
    { boils: boilsAtMs.length, energyWh, expectedWh, peakW },
    run,
    [],
  );
}

/**
 * A fridge-like cycling load (about 15 min on at 120 W, 30 min off, seeded variation)
 * through a day, sampled every minute.
 *
 * @param options Seed, duration and progress.
 * @returns CSV rows, chart and findings (`facts.meanPowerW`, `facts.energyWh`).
 * @example
 * ```ts
 * import { fridgeScenario } from "./scenario_plug.ts";
 * import assert from "node:assert/strict";
 * const result = fridgeScenario({ seed: 1, durationMs: 600000 });
 * assert.equal(result.rows.length, 10);
 * ```
 */
export function fridgeScenario(options: PlugScenarioOptions): ScenarioResult {
  const run = runPlug(
    fridge({ seed: options.seed }),
    options,
    { durationMs: 24 * HOUR_MS, sampleMs: MINUTE_MS },
    () => {},
  );
  const last = lastRow(run);
  const energyWh = run.final?.energyTotalWh ?? 0;
  const hours = run.durationMs / HOUR_MS;
  const meanPowerW = last[COL.mean] as number;
  let cycles = 0;
  run.rows.forEach((row, n) => {
    const before = n === 0 ? 0 : run.rows[n - 1]![COL.power] as number;
    if (before < 5 && (row[COL.power] as number) >= 5) cycles++;
  });
  const summary = `${cycles} compressor cycles, mean ${round(meanPowerW, 1)} W, ` +
    `energy ${round(energyWh, 1)} Wh (mean x ${round(hours, 2)} h = ` +
    `${round(meanPowerW * hours, 1)} Wh), today ${round(last[COL.today] as number, 1)} Wh`;
  return result(
    "fridge",
    `fridge: a plug with a fridge-like cycling load through ${round(hours, 2)} h`,
    summary,
    {
      cycles,
      meanPowerW,
      energyWh: round(energyWh, 3),
      energyTodayWh: last[COL.today] as number,
      hours,
    },
    run,
    [{
      name: "mean power",
      values: run.rows.map((r) => r[COL.mean] as number),
      color: "#4e79a7",
      axis: "left",
    }],
  );
}

/**
 * A 2000 W heater on a plug limited to `max_power` 2500 W; halfway through, the load rises
 * to 3000 W (the `load` knob) and the plug must open its relay and set `fault`.
 * Sampled every 5 s.
 *
 * @param options Seed, duration and progress.
 * @returns CSV rows, chart and findings (`facts.tripped`, `facts.tripDelayS`).
 * @example
 * ```ts
 * import { overloadScenario } from "./scenario_plug.ts";
 * import assert from "node:assert/strict";
 * const result = overloadScenario({ seed: 1, durationMs: 120000 });
 * assert.equal(result.facts.tripped, 1);
 * ```
 */
export function overloadScenario(options: PlugScenarioOptions): ScenarioResult {
  const limitW = 2500;
  const surgeW = 3000;
  let overloadAtMs = 0;
  const run = runPlug(
    heater(2000),
    options,
    { durationMs: 20 * MINUTE_MS, sampleMs: 5000 },
    (harness, plug, durationMs) => {
      harness.at(6000, () => harness.command(plug, "max_power", String(limitW)));
      overloadAtMs = Math.max(10000, Math.round(durationMs / 2000) * 1000);
      harness.at(overloadAtMs, () => plug.knob("load", String(surgeW)));
    },
  );
  const trip = run.relayChanges.find((c) => !c.on && c.offsetMs >= overloadAtMs);
  const fault = run.final?.fault ?? null;
  const energyWh = lastRow(run)[COL.energy] as number;
  const summary = trip === undefined
    ? `relay did NOT open after the load rose to ${surgeW} W (max_power ${limitW} W)`
    : `relay opened ${round((trip.offsetMs - overloadAtMs) / 1000, 1)} s after the load ` +
      `rose to ${surgeW} W at ${clockTime(overloadAtMs)} (max_power ${limitW} W); ` +
      `fault "${fault ?? ""}"; ${round(energyWh, 1)} Wh`;
  return result(
    "overload",
    `overload: a ${limitW} W-limited plug whose load grows from 2000 W to ${surgeW} W`,
    summary,
    {
      tripped: trip === undefined ? 0 : 1,
      tripDelayS: trip === undefined ? -1 : (trip.offsetMs - overloadAtMs) / 1000,
      faultSet: fault === null ? 0 : 1,
      overloadAtS: overloadAtMs / 1000,
      energyWh,
    },
    run,
    [{
      name: "load demand",
      values: run.rows.map((r) => r[COL.load] as number),
      color: "#9d9d9d",
      axis: "left",
      dashed: true,
    }, {
      name: "max_power",
      values: run.rows.map((r) => (r[9] as number) > 0 ? r[9] as number : null),
      color: "#e15759",
      axis: "left",
      dashed: true,
    }],
  );
}
