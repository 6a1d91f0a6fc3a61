/**
 * Latency benchmark: command-to-state round trips through one broker, the simulator
 * against a raw echo.
 *
 * - Simulator: N plugs (`minSwitchIntervalMs` 0 written into their settings, so the
 *   contact protection never delays a switch; virtual clock at real time). A controller
 *   publishes `plugs/<id>/commands/power` TOGGLE and times the arrival of the matching
 *   `plugs/<id>/states/power` (the new ON/OFF value).
 * - Baseline: N raw mqtt.js echo clients, each subscribed to its own
 *   `raw/echo<i>/commands/power` and answering on `raw/echo<i>/states/power`, with the same
 *   QoS and retain flags as the plugs.
 *
 * One round trip is in flight at a time, alternating simulator and baseline and cycling
 * through the devices, so both see the same machine conditions. The figure is the
 * simulator's p50 and p99 over the baseline's (target: within 1.5x).
 *
 * Run: `deno run -A bench/sim_latency.ts [--devices 20] [--seconds 20] [--round-trips 500]
 * [--json out.json] [--broker mqtt://host:port]`
 *
 * @module
 */

import mqtt from "mqtt";
import { encodeSettings } from "../lib/settings_codec.ts";
import { DEFAULT_PLUG_SETTINGS } from "../lib/settings.ts";
import { type BrokerHandle, startBroker } from "../sim/broker.ts";
import { startRealtime, VirtualClock } from "../sim/clock.ts";
import { fleetFromCounts, startFleet } from "../sim/fleet.ts";
import { deviceStore } from "../sim/store.ts";
import {
  type LagSummary,
  LoopMeter,
  type MachineInfo,
  machineInfo,
  markdownTable,
  parseBenchFlags,
  percentile,
  round,
  sleep,
  writeJson,
} from "./sim_bench_common.ts";

const USAGE = `Usage: deno run -A bench/sim_latency.ts [--devices N] [--seconds S]
  [--round-trips R] [--json FILE] [--broker mqtt://host:port]`;
const SETTINGS_TEXT = encodeSettings("plugs", { ...DEFAULT_PLUG_SETTINGS, minSwitchIntervalMs: 0 });
/** Round trips of each kind left out at the start (connections and JIT warming up). */
const WARMUP_ROUND_TRIPS = 20;
/** A round trip that takes longer than this counts as lost. */
const LOST_AFTER_MS = 5000;

/** Round-trip statistics of one kind, in wall ms. */
export interface RoundTripStats {
  /** Round trips measured (after the warm-up). */
  count: number;
  /** Round trips that got no answer within 5 s. */
  lost: number;
  /** Median. */
  p50Ms: number;
  /** 90th percentile. */
  p90Ms: number;
  /** 99th percentile. */
  p99Ms: number;
  /** Worst. */
  maxMs: number;
  /** Mean. */
  meanMs: number;
}

/** The benchmark's result. */
export interface LatencyResult {
  /** Benchmark name. */
  bench: "sim_latency";
  /** Where it ran. */
  machine: MachineInfo;
  /** The broker: in-process aedes, or the URL of an external one. */
  broker: string;
  /** Simulated plugs (and echo clients). */
  devices: number;
  /** Command-to-state round trips through the simulator. */
  sim: RoundTripStats;
  /** Raw publish/echo round trips. */
  raw: RoundTripStats;
  /** Simulator p50 over raw p50. */
  p50Ratio: number;
  /** Simulator p99 over raw p99. */
  p99Ratio: number;
  /** Event-loop lag while measuring. */
  lag: LagSummary;
}

/** A client that times round trips: publish a command, wait for the matching state. */
const startController = async (url: string) => {
  const client = await mqtt.connectAsync(url, { clientId: "bench-controller", clean: true });
  let waiting: { topic: string; payload: string; resolve: (ms: number) => void } | null = null;
  client.on("message", (topic, payload) => {
    const now = performance.now();
    if (waiting === null || topic !== waiting.topic || payload.toString() !== waiting.payload) {
      return;
    }
    const done = waiting;
    waiting = null;
    done.resolve(now);
  });
  await client.subscribeAsync(["plugs/+/states/power", "raw/+/states/power"], { qos: 1 });
  return {
    /** Publishes `command` and resolves with the wall ms until `stateTopic` reads `expected`. */
    roundTrip(commandTopic: string, stateTopic: string, expected: string): Promise<number | null> {
      return new Promise((resolve) => {
        const began = performance.now();
        const timer = setTimeout(() => {
          waiting = null;
          resolve(null);
        }, LOST_AFTER_MS);
        waiting = {
          topic: stateTopic,
          payload: expected,
          resolve: (now) => {
            clearTimeout(timer);
            resolve(now - began);
          },
        };
        client.publish(commandTopic, "TOGGLE", { qos: 1 });
      });
    },
    end: () => client.endAsync(true),
  };
};

/** Raw devices: each answers a power command on its state topic, as fast as mqtt.js can. */
const startEchoes = async (url: string, count: number): Promise<mqtt.MqttClient[]> => {
  const clients: mqtt.MqttClient[] = [];
  for (let i = 1; i <= count; i++) {
    const client = await mqtt.connectAsync(url, { clientId: `bench-echo-${i}`, clean: true });
    let on = false;
    client.on("message", (_topic, _payload, packet) => {
      if (packet.retain) return;
      on = !on;
      client.publish(`raw/echo${i}/states/power`, on ? "ON" : "OFF", { qos: 0, retain: true });
    });
    await client.subscribeAsync(`raw/echo${i}/commands/power`, { qos: 1 });
    clients.push(client);
  }
  return clients;
};

const stats = (samples: number[], lost: number): RoundTripStats => {
  const sorted = samples.slice().sort((a, b) => a - b);
  const mean = sorted.reduce((sum, x) => sum + x, 0) / Math.max(1, sorted.length);
  return {
    count: sorted.length,
    lost,
    p50Ms: round(percentile(sorted, 50), 3),
    p90Ms: round(percentile(sorted, 90), 3),
    p99Ms: round(percentile(sorted, 99), 3),
    maxMs: round(sorted.at(-1) ?? NaN, 3),
    meanMs: round(mean, 3),
  };
};

/**
 * Runs the benchmark.
 *
 * @param devices Simulated plugs and echo clients.
 * @param seconds Most wall time spent measuring.
 * @param roundTrips Most round trips of each kind.
 * @param brokerUrl An external broker, or none for the in-process one.
 * @returns The figures.
 */
export async function runLatencyBench(
  devices: number,
  seconds: number,
  roundTrips: number,
  brokerUrl?: string,
): Promise<LatencyResult> {
  const machine = machineInfo();
  const broker: BrokerHandle | null = brokerUrl === undefined
    ? await startBroker({ port: 0 })
    : null;
  const url = broker?.url ?? brokerUrl!;
  const dataDir = await Deno.makeTempDir({ prefix: "sim_latency_" });
  const specs = fleetFromCounts(devices, 0, 0);
  for (const spec of specs) {
    deviceStore(dataDir, spec.id, { fsync: false }).write("settings", SETTINGS_TEXT);
  }
  const clock = new VirtualClock({ startMs: Date.now() });
  const driver = startRealtime(clock, 1);
  const fleet = startFleet({ devices: specs, clock, prefix: "", dataDir, seed: 1, brokerUrl: url });
  const controller = await startController(url);
  const echoes = await startEchoes(url, devices);
  const loop = new LoopMeter();
  try {
    const deadline = performance.now() + 30000;
    while (fleet.plugs.some((plug) => !plug.connected)) {
      if (performance.now() > deadline) throw new Error("the plugs did not connect in 30 s");
      await sleep(20);
    }
    await sleep(500);
    const simOn = specs.map(() => false);
    const rawOn = specs.map(() => false);
    const simMs: number[] = [];
    const rawMs: number[] = [];
    let simLost = 0;
    let rawLost = 0;
    loop.start();
    const began = performance.now();
    for (let n = 0; n < roundTrips + WARMUP_ROUND_TRIPS; n++) {
      if (n >= WARMUP_ROUND_TRIPS && performance.now() - began > seconds * 1000) break;
      const i = n % devices;
      const id = specs[i]!.id;
      simOn[i] = !simOn[i];
      const sim = await controller.roundTrip(
        `plugs/${id}/commands/power`,
        `plugs/${id}/states/power`,
        simOn[i] ? "ON" : "OFF",
      );
      rawOn[i] = !rawOn[i];
      const raw = await controller.roundTrip(
        `raw/echo${i + 1}/commands/power`,
        `raw/echo${i + 1}/states/power`,
        rawOn[i] ? "ON" : "OFF",
      );
      if (n < WARMUP_ROUND_TRIPS) continue;
      if (sim === null) simLost++;
      else simMs.push(sim);
      if (raw === null) rawLost++;
      else rawMs.push(raw);
    }
    loop.stop();
    const sim = stats(simMs, simLost);
    const raw = stats(rawMs, rawLost);
    return {
      bench: "sim_latency",
      machine,
      broker: broker === null ? url : "in-process aedes",
      devices,
      sim,
      raw,
      p50Ratio: round(sim.p50Ms / raw.p50Ms, 2),
      p99Ratio: round(sim.p99Ms / raw.p99Ms, 2),
      lag: loop.summary(),
    };
  } finally {
    loop.stop();
    await controller.end();
    await Promise.all(echoes.map((client) => client.endAsync(true)));
    await fleet.stop();
    driver.stop();
    await broker?.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
}

/**
 * Formats a result as a markdown table.
 *
 * @param r The result.
 * @returns The table, with a line of context above it.
 */
export function latencyTable(r: LatencyResult): string {
  const row = (name: string, f: (s: RoundTripStats) => number, ratio: number | string) => [
    name,
    f(r.sim),
    f(r.raw),
    ratio,
  ];
  const rows = [
    row("round trips", (s) => s.count, ""),
    row("lost (> 5 s)", (s) => s.lost, ""),
    row("p50 (ms)", (s) => s.p50Ms, r.p50Ratio),
    row("p90 (ms)", (s) => s.p90Ms, round(r.sim.p90Ms / r.raw.p90Ms, 2)),
    row("p99 (ms)", (s) => s.p99Ms, r.p99Ratio),
    row("max (ms)", (s) => s.maxMs, ""),
    row("mean (ms)", (s) => s.meanMs, round(r.sim.meanMs / r.raw.meanMs, 2)),
  ];
  return `sim_latency: TOGGLE -> states/power over ${r.devices} plugs vs ${r.devices} raw echo ` +
    `clients on ${r.broker}, ${r.machine.cpu} x${r.machine.cores}, Deno ${r.machine.deno}, ` +
    `load ${r.machine.loadAverage1m.toFixed(1)} at start; event-loop lag p50/p99/max ` +
    `${r.lag.p50Ms}/${r.lag.p99Ms}/${r.lag.maxMs} ms\n\n` +
    markdownTable(["figure", "simulator", "raw echo", "ratio"], rows);
}

if (import.meta.main) {
  const flags = parseBenchFlags(
    Deno.args,
    { devices: 20, seconds: 20, json: null, extra: {} },
    USAGE,
    ["round-trips", "broker"],
  );
  if (flags === null) Deno.exit(Deno.args.includes("--help") || Deno.args.includes("-h") ? 0 : 2);
  const roundTrips = Number(flags.extra["round-trips"] ?? 500);
  if (!Number.isInteger(roundTrips) || roundTrips < 1) {
    console.error(`--round-trips must be a whole number >= 1\n\n${USAGE}`);
    Deno.exit(2);
  }
  const result = await runLatencyBench(
    flags.devices,
    flags.seconds,
    roundTrips,
    flags.extra["broker"],
  );
  console.log(latencyTable(result));
  await writeJson(flags.json, result);
}
