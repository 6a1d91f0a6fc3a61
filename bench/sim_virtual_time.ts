/**
 * Virtual-time benchmark: simulated device-hours per wall second, as fast as possible.
 *
 * - Scenario: the `bathroom-day` scenario (one fan, 24 h, two showers; room model, duct
 *   sensor, Wi-Fi, in-memory MQTT link, a CSV sample every minute).
 * - Fleet: N bathroom fans in one scenario harness through the same day (the virtual clock
 *   and timers with many devices).
 * - Baseline for both: the pure `lib/fan_device.ts` transition stepped directly through the
 *   same day (boot, session, a reading every 10 s from a humidity curve with the same
 *   showers, a tick at each deadline), its effects dropped.
 *
 * Runs alternate between simulator and baseline until the wall budget is spent; medians
 * are reported.
 *
 * Run: `deno run -A bench/sim_virtual_time.ts [--devices 10] [--seconds 20] [--json out.json]`
 *
 * @module
 */

import {
  bootFan,
  type FanDeviceEvent,
  type FanDeviceState,
  nextFanDeviceDeadlineMs,
  stepFanDevice,
} from "../lib/fan_device.ts";
import { SENSOR_PERIOD_MS } from "../sim/fan.ts";
import { HOUR_MS, ScenarioHarness } from "../sim/scenario.ts";
import { BATHROOM_SHOWERS } from "../sim/scenario_fan.ts";
import { runScenario } from "../sim/scenarios.ts";
import {
  type MachineInfo,
  machineInfo,
  markdownTable,
  parseBenchFlags,
  percentile,
  round,
  writeJson,
} from "./sim_bench_common.ts";

const USAGE =
  "Usage: deno run -A bench/sim_virtual_time.ts [--devices N] [--seconds S] [--json FILE]";
const DAY_MS = 24 * HOUR_MS;
const NETWORK = { rssiDbm: -60, ssid: "lan", ip: "10.0.0.3", mac: "5C:CF:7F:00:00:03" };

/** One workload against its baseline. */
export interface VirtualTimeRow {
  /** Devices simulated at once. */
  devices: number;
  /** Simulated hours per run and device. */
  hours: number;
  /** Runs of each kind. */
  runs: number;
  /** Simulator: median device-hours per wall second. */
  simDeviceHoursPerSecond: number;
  /** Pure transition: median device-hours per wall second. */
  pureDeviceHoursPerSecond: number;
  /** Simulator over pure. */
  ratio: number;
}

/** The benchmark's result. */
export interface VirtualTimeResult {
  /** Benchmark name. */
  bench: "sim_virtual_time";
  /** Where it ran. */
  machine: MachineInfo;
  /** The bathroom-day scenario, one fan. */
  scenario: VirtualTimeRow;
  /** N fans in one harness. */
  fleet: VirtualTimeRow;
}

/** Humidity in the duct: a slow daily swing, each shower a jump decaying over an hour. */
const humidityAt = (offsetMs: number): number => {
  let pct = 55 + 5 * Math.sin((2 * Math.PI * offsetMs) / DAY_MS);
  for (const shower of BATHROOM_SHOWERS) {
    const sinceMs = offsetMs - shower.startMs;
    if (sinceMs >= 0) pct += 35 * Math.exp(-sinceMs / HOUR_MS);
  }
  return Math.min(100, pct);
};

/** Steps `devices` pure fan devices through `durationMs`; returns the wall ms taken. */
export function runPureFans(devices: number, durationMs: number): number {
  const began = performance.now();
  for (let d = 0; d < devices; d++) {
    let state: FanDeviceState = bootFan({
      prefix: "",
      id: `fan${d + 1}`,
      nowMs: 0,
      settingsText: null,
      network: NETWORK,
      swVersion: "bench",
    }).state;
    const step = (event: FanDeviceEvent): void => {
      state = stepFanDevice(state, event).state;
    };
    step({ type: "network", nowMs: 0, network: NETWORK });
    step({ type: "connected", nowMs: 0 });
    for (let nowMs = 0; nowMs < durationMs; nowMs += SENSOR_PERIOD_MS) {
      // Ticks the device asked for before this reading, as the runtime's timer would send.
      for (let deadline = nextFanDeviceDeadlineMs(state); deadline < nowMs;) {
        step({ type: "tick", nowMs: deadline });
        const next = nextFanDeviceDeadlineMs(state);
        if (next <= deadline) break;
        deadline = next;
      }
      step({
        type: "reading",
        nowMs,
        reading: { humidityPct: humidityAt(nowMs), tempC: 22, atMs: nowMs },
      });
    }
  }
  return performance.now() - began;
}

/** Runs `devices` bathroom fans in one harness through `durationMs`; returns the wall ms. */
const runHarnessFans = (devices: number, durationMs: number): number => {
  const harness = new ScenarioHarness();
  const showers = BATHROOM_SHOWERS.map((shower) => ({
    startMs: harness.startMs + shower.startMs,
    durationMs: shower.durationMs,
  }));
  for (let d = 0; d < devices; d++) harness.addFan(`fan${d + 1}`, "bathroom", showers);
  const wallMs = harness.run(durationMs);
  void harness.stop();
  return wallMs;
};

/** Alternates simulator and baseline runs until the budget is spent (at least one each). */
const compare = (
  devices: number,
  durationMs: number,
  budgetMs: number,
  sim: () => number,
): VirtualTimeRow => {
  const simMs: number[] = [];
  const pureMs: number[] = [];
  const began = performance.now();
  while (simMs.length < 1 || (performance.now() - began < budgetMs && simMs.length < 15)) {
    simMs.push(sim());
    pureMs.push(runPureFans(devices, durationMs));
  }
  const deviceHours = (devices * durationMs) / HOUR_MS;
  const median = (values: number[]): number => percentile(values.slice().sort((a, b) => a - b), 50);
  const simRate = deviceHours / (median(simMs) / 1000);
  const pureRate = deviceHours / (median(pureMs) / 1000);
  return {
    devices,
    hours: durationMs / HOUR_MS,
    runs: simMs.length,
    simDeviceHoursPerSecond: round(simRate, 1),
    pureDeviceHoursPerSecond: round(pureRate, 1),
    ratio: round(simRate / pureRate, 3),
  };
};

/**
 * Runs the benchmark.
 *
 * @param devices Fans in the fleet row.
 * @param seconds Wall budget, shared by the two rows.
 * @returns The figures.
 */
export function runVirtualTimeBench(devices: number, seconds: number): VirtualTimeResult {
  const machine = machineInfo();
  // Compile everything once before timing.
  runScenario("bathroom-day", { durationMs: HOUR_MS });
  runPureFans(1, HOUR_MS);
  const scenario = compare(1, DAY_MS, (seconds * 1000) / 2, () => {
    const result = runScenario("bathroom-day");
    return result.wallMs;
  });
  const fleet = compare(
    devices,
    DAY_MS,
    (seconds * 1000) / 2,
    () => runHarnessFans(devices, DAY_MS),
  );
  return { bench: "sim_virtual_time", machine, scenario, fleet };
}

/**
 * Formats a result as a markdown table.
 *
 * @param r The result.
 * @returns The table, with a line of context above it.
 */
export function virtualTimeTable(r: VirtualTimeResult): string {
  const row = (name: string, x: VirtualTimeRow) => [
    name,
    x.devices,
    x.runs,
    x.simDeviceHoursPerSecond,
    x.pureDeviceHoursPerSecond,
    x.ratio,
  ];
  return `sim_virtual_time: simulated device-hours per wall second (medians), ` +
    `${r.machine.cpu} x${r.machine.cores}, Deno ${r.machine.deno}, ` +
    `load ${r.machine.loadAverage1m.toFixed(1)} at start\n\n` +
    markdownTable(
      ["workload (24 h)", "fans", "runs", "simulator dev-h/s", "pure fan_device dev-h/s", "ratio"],
      [row("bathroom-day scenario", r.scenario), row("fans in one harness", r.fleet)],
    );
}

if (import.meta.main) {
  const flags = parseBenchFlags(
    Deno.args,
    { devices: 10, seconds: 20, json: null, extra: {} },
    USAGE,
  );
  if (flags === null) Deno.exit(Deno.args.includes("--help") || Deno.args.includes("-h") ? 0 : 2);
  const result = runVirtualTimeBench(flags.devices, flags.seconds);
  console.log(virtualTimeTable(result));
  await writeJson(flags.json, result);
}
