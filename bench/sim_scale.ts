/**
 * Scale benchmark on the in-process aedes broker, one process: first N raw mqtt.js clients
 * (the baseline) each publish a plug-sized JSON snapshot once a second (QoS 0, retained, as
 * the plugs do); then N simulated plugs run with telemetry every 1 s on a virtual clock at
 * real time, in the `snapshot` telemetry mode (one message a second each, like the raw
 * clients; `--telemetry-mode full` adds the ~19 per-state topics). One subscriber on
 * `plugs/+/state` counts snapshots in a window; the figure is the simulator's snapshot
 * throughput over the raw clients' (target >= 70 %).
 *
 * Run: `deno run -A bench/sim_scale.ts --devices 1000 --seconds 20 [--json out.json]`
 * (`--data-dir DIR` puts the fleet's data folder elsewhere, e.g. on tmpfs;
 * `--raw-messages K` makes each raw client publish K messages a second, the last one
 * the snapshot, to match the simulator's whole telemetry batch; `--broker URL` uses an
 * external broker, e.g. Mosquitto, instead of the in-process one; `--transport tcp|memory`
 * chooses how plugs, raw clients and the counter reach the in-process broker: in-memory
 * streams, as `deno task sim` connects its devices, by default, or TCP sockets; an external
 * broker is always reached over TCP).
 *
 * @module
 */

import { encodeSettings } from "../lib/settings_codec.ts";
import { DEFAULT_PLUG_SETTINGS, type TelemetryMode } from "../lib/settings.ts";
import { startBroker } from "../sim/broker.ts";
import { startRealtime, VirtualClock } from "../sim/clock.ts";
import { fleetFromCounts, startFleet } from "../sim/fleet.ts";
import { heater } from "../sim/loads.ts";
import { type MemoryLink, memoryLink } from "../sim/mqtt_link.ts";
import { SimPlug } from "../sim/plug.ts";
import { deviceStore } from "../sim/store.ts";
import {
  machineInfo,
  markdownTable,
  parseBenchFlags,
  round,
  sleep,
  writeJson,
} from "./sim_bench_common.ts";
import { runRaw } from "./sim_scale_raw.ts";
import {
  abortPhase,
  awaitConnections,
  type BrokerTarget,
  captureCrashes,
  connectTimeoutMs,
  type Counter,
  firstCrash,
  inBatches,
  measureWindow,
  note,
  type ScalePhase,
  startCounter,
  toPhase,
  transportOf,
  withTimeout,
} from "./sim_scale_meter.ts";

export type { ScalePhase };

const USAGE = `Usage: deno run -A bench/sim_scale.ts [--devices N] [--seconds S] [--json FILE]
  [--data-dir DIR] [--raw-messages K] [--broker mqtt://host:port] [--transport tcp|memory]
  [--telemetry-mode snapshot|full]`;
/** Plug settings: telemetry every second, in the given mode (default `snapshot`: 1 msg/s). */
const settingsText = (mode: TelemetryMode): string =>
  encodeSettings("plugs", { ...DEFAULT_PLUG_SETTINGS, telemetryMs: 1000, telemetryMode: mode });

/** The benchmark's result. */
export interface ScaleResult {
  /** Benchmark name. */
  bench: "sim_scale";
  /** Where it ran. */
  machine: ReturnType<typeof machineInfo>;
  /** The broker: in-process aedes, or the URL of an external one. */
  broker: string;
  /** How every client (plugs, raw clients, counter) reached it: TCP or in-memory streams. */
  transport: "tcp" | "memory";
  /** The plugs' telemetry mode (`snapshot`: one message a second each). */
  telemetryMode: TelemetryMode;
  /** Devices (and raw clients). */
  devices: number;
  /** Window length in seconds. */
  seconds: number;
  /** Size of a plug's JSON snapshot. */
  snapshotBytes: number;
  /** Messages one plug publishes per second at telemetry 1 s (all topics). */
  plugMessagesPerSecond: number;
  /** Messages each raw client publishes per second. */
  rawMessagesPerSecond: number;
  /** Wall ms `startFleet` blocked the process (construction, storage, boot). */
  startFleetMs: number;
  /** The simulator. */
  sim: ScalePhase;
  /** Raw mqtt.js clients. */
  raw: ScalePhase;
  /** The first uncaught error of the run (from the broker or a client), if any. */
  crash: string | null;
  /** Simulator snapshots/s over raw snapshots/s. */
  throughputRatio: number;
}

/** One plug on an in-memory link: its snapshot and how much it publishes at telemetry 1 s. */
const probePlug = (mode: TelemetryMode): { snapshot: string; messagesPerSecond: number } => {
  const clock = new VirtualClock({ startMs: Date.UTC(2026, 0, 15) });
  const values = new Map<string, string>([["settings", settingsText(mode)]]);
  const store = {
    read: (k: string) => values.get(k) ?? null,
    write: (k: string, v: string) => void values.set(k, v),
  };
  let link: MemoryLink | null = null;
  const plug = new SimPlug({
    id: "plug1",
    prefix: "",
    clock,
    link: () => (link = memoryLink()),
    store,
    load: heater(),
  });
  plug.start();
  clock.advanceBy(5000);
  // A switched-on load, so the snapshot carries every reading.
  (link as MemoryLink | null)?.inject("plugs/plug1/commands/power", "ON", false);
  clock.advanceBy(5000);
  const published = (link as MemoryLink | null)?.published ?? [];
  const before = published.length;
  clock.advanceBy(10000);
  const snapshot = published.findLast((m) => m.topic === "plugs/plug1/state")?.payload ?? "{}";
  return { snapshot, messagesPerSecond: (published.length - before) / 10 };
};

const runSim = async (
  target: BrokerTarget,
  counter: Counter,
  devices: number,
  seconds: number,
  dataDir: string,
  mode: TelemetryMode,
) => {
  const specs = fleetFromCounts(devices, 0, 0);
  for (const spec of specs) {
    deviceStore(dataDir, spec.id, { fsync: false }).write("settings", settingsText(mode));
  }
  const clock = new VirtualClock({ startMs: Date.now() });
  // Time spent in device work (measurement, the pure device, mqtt.js publish calls). Each
  // call catches up at most 1 s of virtual time: behind real time, the clock falls back
  // (the window reports the speed it kept) instead of firing ever larger bursts of timers.
  let timerMs = 0;
  const advanceTo = clock.advanceTo.bind(clock);
  clock.advanceTo = (targetMs: number): number => {
    const began = performance.now();
    try {
      return advanceTo(Math.min(targetMs, clock.nowMs() + 1000));
    } finally {
      timerMs += performance.now() - began;
    }
  };
  note(`sim: starting ${devices} plugs`);
  const began = performance.now();
  const fleet = startFleet({
    devices: specs,
    clock,
    prefix: "",
    dataDir,
    seed: 1,
    brokerUrl: target.url,
    openStream: target.openStream,
  });
  const startFleetMs = round(performance.now() - began, 0);
  note(`sim: startFleet returned after ${startFleetMs} ms`);
  // Started after startFleet, so the time it blocked is not a virtual jump to catch up.
  const driver = startRealtime(clock, 1);
  const budgetMs = connectTimeoutMs(devices) + seconds * 1000 + 10000;
  const watchdog = setTimeout(() => {
    abortPhase("deadline");
    driver.stop();
  }, budgetMs);
  const connection = await awaitConnections(
    devices,
    () => fleet.plugs.reduce((n, plug) => n + (plug.connected ? 1 : 0), 0),
    connectTimeoutMs(devices),
  );
  note(`sim: ${connection.connected} connected (${connection.aborted ?? "all"}); measuring`);
  const window = connection.aborted === "rss" || firstCrash() !== null
    ? null
    : await measureWindow(counter, seconds, () => timerMs, () => clock.nowMs());
  clearTimeout(watchdog);
  driver.stop();
  abortPhase(null);
  note("sim: stopping");
  await withTimeout(inBatches([...fleet.devices.values()], (device) => device.stop()), 20000);
  await withTimeout(fleet.stop(), 10000);
  return { startFleetMs, phase: toPhase(devices, connection, window, true) };
};

/**
 * Runs the benchmark: the simulator phase, then the raw phase, on one broker.
 *
 * @param devices Plugs and raw clients.
 * @param seconds Window length.
 * @param options Data folder (default a temporary one), raw messages per second, an external
 * broker, and the transport to the in-process one (default `memory`).
 * @returns The figures.
 */
export async function runScaleBench(
  devices: number,
  seconds: number,
  options: {
    dataDir?: string;
    rawMessagesPerSecond?: number;
    brokerUrl?: string;
    transport?: "tcp" | "memory";
    telemetryMode?: TelemetryMode;
  } = {},
): Promise<ScaleResult> {
  const mode = options.telemetryMode ?? "snapshot";
  if (options.brokerUrl !== undefined && options.transport === "memory") {
    throw new Error("--transport memory needs the in-process broker (no --broker)");
  }
  captureCrashes();
  const machine = machineInfo();
  const probe = probePlug(mode);
  const rawPerSecond = options.rawMessagesPerSecond ?? 1;
  const broker = options.brokerUrl === undefined ? await startBroker({ port: 0 }) : null;
  // Plugs, raw clients and counter all take the same path, so the ratio compares like with like.
  const target: BrokerTarget = {
    url: broker?.url ?? options.brokerUrl!,
    openStream: broker !== null && options.transport !== "tcp" ? broker.openStream : null,
  };
  const url = target.url;
  const counter = await startCounter(target);
  const dataDir = await Deno.makeTempDir({ dir: options.dataDir, prefix: "sim_scale_" });
  try {
    // Raw first: should the simulator's load crash the broker, the baseline is already in.
    const raw = await runRaw(target, counter, devices, seconds, probe.snapshot, rawPerSecond);
    await sleep(1000);
    const sim = await runSim(target, counter, devices, seconds, dataDir, mode);
    return {
      bench: "sim_scale",
      machine,
      broker: broker === null ? url : "in-process aedes",
      transport: transportOf(target),
      telemetryMode: mode,
      devices,
      seconds,
      snapshotBytes: new TextEncoder().encode(probe.snapshot).length,
      plugMessagesPerSecond: probe.messagesPerSecond,
      rawMessagesPerSecond: rawPerSecond,
      startFleetMs: sim.startFleetMs,
      sim: sim.phase,
      raw,
      crash: firstCrash(),
      throughputRatio: raw.snapshotsPerSecond > 0
        ? round(sim.phase.snapshotsPerSecond / raw.snapshotsPerSecond, 3)
        : 0,
    };
  } finally {
    await withTimeout(counter.end(), 5000);
    if (broker !== null) await withTimeout(broker.stop(), 10000);
    await Deno.remove(dataDir, { recursive: true });
  }
}

/**
 * Formats a result as a markdown table.
 *
 * @param r The result.
 * @returns The table, with a line of context above it.
 */
export function scaleTable(r: ScaleResult): string {
  const both = (f: (p: ScalePhase) => string | number): (string | number)[] => [f(r.sim), f(r.raw)];
  const lag = (p: ScalePhase): string => `${p.lag.p50Ms} / ${p.lag.p99Ms} / ${p.lag.maxMs}`;
  const rows: (string | number)[][] = [
    ["connected", ...both((p) => `${p.connected}/${p.devices}`), ""],
    ["connect spread, first to last (s)", ...both((p) => round(p.connectSpreadMs / 1000, 1)), ""],
    [
      `snapshots/s (nominal ${r.devices})`,
      ...both((p) => p.snapshotsPerSecond),
      r.throughputRatio,
    ],
    ["snapshots in window / window length", ...both((p) => p.windowCountPerSecond), ""],
    ["devices seen in window", ...both((p) => p.devicesSeen), ""],
    ["event-loop lag p50 / p99 / max (ms)", ...both(lag), ""],
    ["CPU (% of one core)", ...both((p) => p.cpuPercent), ""],
    ["device timers (share of wall)", r.sim.deviceTimerShare ?? "", "", ""],
    ["virtual clock speed kept (1 = real time)", r.sim.virtualSpeed ?? "", "", ""],
    ["peak RSS (MiB)", ...both((p) => p.peakRssMiB), ""],
    ["aborted", ...both((p) => p.aborted ?? "no"), ""],
  ];
  return `sim_scale: ${r.devices} plugs vs ${r.devices} raw mqtt.js clients on ${r.broker} ` +
    `(${r.transport === "memory" ? "in-memory streams" : "TCP"}), ` +
    `${r.seconds} s window, ` +
    `${r.machine.cpu} x${r.machine.cores}, Deno ${r.machine.deno}, ` +
    `load ${r.machine.loadAverage1m.toFixed(1)} at start\n` +
    `plug publishes ${r.plugMessagesPerSecond} msg/s (snapshot ${r.snapshotBytes} B); raw client ` +
    `${r.rawMessagesPerSecond} msg/s; startFleet blocked ${r.startFleetMs} ms\n\n` +
    markdownTable(["figure", "simulator", "raw mqtt.js", "ratio"], rows);
}

if (import.meta.main) {
  const flags = parseBenchFlags(
    Deno.args,
    { devices: 1000, seconds: 20, json: null, extra: {} },
    USAGE,
    ["data-dir", "raw-messages", "broker", "transport", "telemetry-mode"],
  );
  if (flags === null) Deno.exit(Deno.args.includes("--help") || Deno.args.includes("-h") ? 0 : 2);
  const transport = flags.extra["transport"];
  if (transport !== undefined && transport !== "tcp" && transport !== "memory") {
    console.error(`--transport must be tcp or memory\n\n${USAGE}`);
    Deno.exit(2);
  }
  if (transport === "memory" && flags.extra["broker"] !== undefined) {
    console.error(`--transport memory needs the in-process broker (no --broker)\n\n${USAGE}`);
    Deno.exit(2);
  }
  const mode = flags.extra["telemetry-mode"] ?? "snapshot";
  if (mode !== "full" && mode !== "snapshot") {
    console.error(`--telemetry-mode must be full or snapshot\n\n${USAGE}`);
    Deno.exit(2);
  }
  const result = await runScaleBench(flags.devices, flags.seconds, {
    telemetryMode: mode,
    dataDir: flags.extra["data-dir"],
    rawMessagesPerSecond: Number(flags.extra["raw-messages"] ?? 1),
    brokerUrl: flags.extra["broker"],
    transport,
  });
  console.log(scaleTable(result));
  await writeJson(flags.json, result);
  Deno.exit(0);
}
