/**
 * Measuring helpers of `sim_scale.ts`: the snapshot counter, the connection wait, the
 * measurement window (rate, event-loop lag, CPU, RSS), a phase's figures, and crash capture.
 *
 * @module
 */

import process from "node:process";
import type { Duplex } from "node:stream";
import mqtt, { type IClientOptions } from "mqtt";
import { CpuMeter, type LagSummary, LoopMeter, round, sleep } from "./sim_bench_common.ts";

/** The run stops measuring above this resident set size. */
export const RSS_LIMIT_BYTES: number = 12 * 2 ** 30;
const MiB = 2 ** 20;

/**
 * Long enough for the simulator's connection ramp at 1000 devices on the in-process broker
 * (30-40 s), short enough that a run stays near three minutes.
 */
export const connectTimeoutMs = (devices: number): number =>
  devices <= 100 ? 20000 : devices <= 2000 ? 45000 : 90000;

/** The first uncaught error of the run, or `null`. */
let crash: string | null = null;

/** The first uncaught error so far, or `null`. */
export const firstCrash = (): string | null => crash;

/** Set by a phase's watchdog: measuring stops with this reason. */
let phaseAbort: string | null = null;

/**
 * Ends the waits and the window of the current phase (`null` clears it for the next).
 *
 * @param reason Why, e.g. `"deadline"`.
 */
export const abortPhase = (reason: string | null): void => {
  phaseAbort = reason;
};

/**
 * Records uncaught errors instead of dying (under load, aedes' mqemitter can overflow the
 * stack), so a run ends with what it measured. Process-wide: call it from the script only.
 */
export const captureCrashes = (): void => {
  process.on("uncaughtException", (error: Error) => {
    crash ??= `${error.name}: ${error.message}`;
    note(`uncaught ${error.name}: ${error.message}`);
  });
};

/** Progress on stderr, so stdout stays the table. */
export const note = (text: string): void =>
  console.error(`[sim_scale ${new Date().toISOString()}] ${text}`);

const STOP_BATCH = 100;

/** Stops items a hundred at a time. */
export const inBatches = async <T>(
  items: T[],
  stop: (item: T) => Promise<unknown>,
): Promise<void> => {
  for (let i = 0; i < items.length; i += STOP_BATCH) {
    await Promise.all(items.slice(i, i + STOP_BATCH).map((item) => stop(item).catch(() => {})));
  }
};

/** Waits for work, at most `ms`. */
export const withTimeout = (work: Promise<unknown>, ms: number): Promise<unknown> =>
  Promise.race([work, sleep(ms)]);

/**
 * How the benchmark's clients reach the broker: over TCP at `url`, or through in-process
 * streams of the same broker (`openStream`), the path the simulator's own devices take.
 */
export interface BrokerTarget {
  /** Broker URL (TCP). */
  url: string;
  /** Opens an in-process connection instead of a TCP one, or `null` for TCP. */
  openStream: (() => Duplex) | null;
}

/** Which transport a target uses, for the report. */
export const transportOf = (target: BrokerTarget): "tcp" | "memory" =>
  target.openStream === null ? "tcp" : "memory";

/** Starts an mqtt.js client on the target's transport (errors are left to reconnection). */
export const connectClient = (target: BrokerTarget, options: IClientOptions): mqtt.MqttClient => {
  const client = target.openStream === null
    ? mqtt.connect(target.url, options)
    : new mqtt.MqttClient(target.openStream, options);
  client.on("error", () => {});
  return client;
};

const connectClientAsync = (
  target: BrokerTarget,
  options: IClientOptions,
): Promise<mqtt.MqttClient> =>
  target.openStream === null ? mqtt.connectAsync(target.url, options) : new Promise(
    (resolve, reject) => {
      const client = new mqtt.MqttClient(target.openStream!, { ...options, reconnectPeriod: 0 });
      client.once("connect", () => resolve(client));
      client.once("error", reject);
    },
  );

/** A running snapshot counter. */
export interface Counter {
  /** Starts counting afresh. */
  open(): void;
  /** Stops counting; returns the count, the summed per-device rate and the devices seen. */
  close(windowMs: number): { count: number; rate: number; seen: number };
  /** Disconnects. */
  end(): Promise<unknown>;
}

/**
 * Counts snapshots on `plugs/+/state` inside a window. Devices publish in step (they boot in
 * the same tick), so a plain count over a window jumps by N at each second's edge; the rate
 * is therefore summed per device, from its first to its last snapshot in the window.
 */
export const startCounter = async (target: BrokerTarget): Promise<Counter> => {
  const client = await connectClientAsync(target, { clientId: "bench-counter", clean: true });
  let counting = false;
  const perTopic = new Map<string, { count: number; firstMs: number; lastMs: number }>();
  client.on("message", (topic) => {
    if (!counting) return;
    const now = performance.now();
    const entry = perTopic.get(topic);
    if (entry === undefined) perTopic.set(topic, { count: 1, firstMs: now, lastMs: now });
    else {
      entry.count++;
      entry.lastMs = now;
    }
  });
  await client.subscribeAsync("plugs/+/state", { qos: 0 });
  return {
    open: () => {
      counting = true;
      perTopic.clear();
    },
    close: (windowMs: number) => {
      counting = false;
      let count = 0;
      let rate = 0;
      for (const entry of perTopic.values()) {
        count += entry.count;
        // A lagging simulator delivers a device's snapshots in clumps: a short span says
        // nothing about its rate, so such a device counts over the whole window.
        const spanMs = entry.lastMs - entry.firstMs;
        rate += spanMs >= windowMs / 2
          ? ((entry.count - 1) * 1000) / spanMs
          : (entry.count * 1000) / windowMs;
      }
      return { count, rate, seen: perTopic.size };
    },
    end: () => client.endAsync(true),
  };
};

/** Waits until every client is connected (or the timeout, or the RSS limit). */
export const awaitConnections = async (
  devices: number,
  connectedCount: () => number,
  timeoutMs: number,
): Promise<{ connected: number; spreadMs: number; aborted: string | null }> => {
  const began = performance.now();
  let firstMs: number | null = null;
  for (;;) {
    const connected = connectedCount();
    const now = performance.now();
    if (connected > 0 && firstMs === null) firstMs = now;
    const spreadMs = firstMs === null ? 0 : round(now - firstMs, 0);
    if (connected >= devices) return { connected, spreadMs, aborted: null };
    const stop = crash ?? phaseAbort;
    if (stop !== null) return { connected, spreadMs, aborted: stop };
    if (Deno.memoryUsage().rss > RSS_LIMIT_BYTES) return { connected, spreadMs, aborted: "rss" };
    if (now - began > timeoutMs) return { connected, spreadMs, aborted: "connect timeout" };
    await sleep(50);
  }
};

/** What one measurement window saw. */
export interface WindowFigures {
  /** Snapshots per second, summed over devices. */
  snapshotsPerSecond: number;
  /** Snapshots counted over the window length. */
  windowCountPerSecond: number;
  /** Devices whose snapshot arrived in the window. */
  devicesSeen: number;
  /** Event-loop lag. */
  lag: LagSummary;
  /** CPU, % of one core. */
  cpuPercent: number;
  /** Share of wall time in device timers. */
  timerShare: number;
  /** Virtual ms per wall ms over the window: 1 when the simulator keeps real time. */
  virtualSpeed: number;
  /** Peak RSS in MiB. */
  peakRssMiB: number;
  /** Why the window ended early, if it did. */
  aborted: string | null;
}

/** Warms up, then counts snapshots over the window. */
export const measureWindow = async (
  counter: Counter,
  seconds: number,
  timerMs: () => number,
  virtualNowMs: () => number,
): Promise<WindowFigures> => {
  await sleep(Math.min(3000, seconds * 1000));
  // Then until the process keeps up (a second with event-loop lag p99 under 50 ms, at most
  // 60 s): the backlog of the connection ramp would otherwise be counted in the window.
  const settleBy = performance.now() + 60000;
  while (performance.now() < settleBy && crash === null && phaseAbort === null) {
    const probe = new LoopMeter();
    probe.start();
    await sleep(1000);
    probe.stop();
    if (probe.summary().p99Ms < 50) break;
  }
  const loop = new LoopMeter();
  const cpu = new CpuMeter();
  loop.start();
  counter.open();
  const timerBefore = timerMs();
  const virtualBefore = virtualNowMs();
  const began = performance.now();
  let aborted: string | null = null;
  while (performance.now() - began < seconds * 1000) {
    await sleep(100);
    if (Deno.memoryUsage().rss > RSS_LIMIT_BYTES) aborted = "rss";
    aborted ??= crash ?? phaseAbort;
    if (aborted !== null) break;
  }
  const wallMs = performance.now() - began;
  const counted = counter.close(wallMs);
  loop.stop();
  return {
    snapshotsPerSecond: round(counted.rate, 1),
    windowCountPerSecond: round(counted.count / (wallMs / 1000), 1),
    devicesSeen: counted.seen,
    lag: loop.summary(),
    cpuPercent: cpu.percentOfOneCore(),
    timerShare: round((timerMs() - timerBefore) / wallMs, 3),
    virtualSpeed: round((virtualNowMs() - virtualBefore) / wallMs, 3),
    peakRssMiB: Math.round(loop.peakRssBytes / MiB),
    aborted,
  };
};

/** One phase's figures. */
export interface ScalePhase {
  /** Clients asked to connect. */
  devices: number;
  /** Clients connected when the window opened. */
  connected: number;
  /** Wall ms from the first connection to the last (or to the timeout). */
  connectSpreadMs: number;
  /** Snapshots received per second: each device's rate over the window, summed. */
  snapshotsPerSecond: number;
  /** Snapshots received in the window over its length (steps with the per-second bursts). */
  windowCountPerSecond: number;
  /** Devices whose snapshot arrived at least once in the window. */
  devicesSeen: number;
  /** Event-loop lag over the window. */
  lag: { p50Ms: number; p99Ms: number; maxMs: number };
  /** CPU over the window, % of one core (all threads). */
  cpuPercent: number;
  /** Share of wall time spent firing device timers (simulator only). */
  deviceTimerShare: number | null;
  /** Virtual ms per wall ms in the window, 1 = real time kept (simulator only). */
  virtualSpeed: number | null;
  /** Peak RSS in MiB. */
  peakRssMiB: number;
  /** Why the phase stopped early, if it did. */
  aborted: string | null;
}

/** Turns a connection wait and a window into a phase's figures. */
export const toPhase = (
  devices: number,
  connection: { connected: number; spreadMs: number; aborted: string | null },
  window: WindowFigures | null,
  sim: boolean,
): ScalePhase => ({
  devices,
  connected: connection.connected,
  connectSpreadMs: connection.spreadMs,
  snapshotsPerSecond: window?.snapshotsPerSecond ?? 0,
  windowCountPerSecond: window?.windowCountPerSecond ?? 0,
  devicesSeen: window?.devicesSeen ?? 0,
  lag: window?.lag ?? { p50Ms: NaN, p99Ms: NaN, maxMs: NaN },
  cpuPercent: window?.cpuPercent ?? NaN,
  deviceTimerShare: sim ? window?.timerShare ?? null : null,
  virtualSpeed: sim ? window?.virtualSpeed ?? null : null,
  peakRssMiB: window?.peakRssMiB ?? Math.round(Deno.memoryUsage().rss / MiB),
  aborted: window?.aborted ?? connection.aborted,
});
