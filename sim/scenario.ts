/**
 * What every scenario shares: a harness that runs simulated devices on a virtual clock as
 * fast as the CPU allows (in-memory MQTT links and storage, no broker, no disk), injects
 * commands through a device's link as a controller would, samples on a fixed period, and
 * reports progress; and the result every scenario returns.
 *
 * @module
 */

import type { KeyValueStore } from "../lib/ports.ts";
import type { ChartSpec } from "./chart.ts";
import { VirtualClock } from "./clock.ts";
import type { CsvValue } from "./csv.ts";
import type { LoadModel } from "./loads.ts";
import { type MemoryLink, memoryLink } from "./mqtt_link.ts";
import type { Activity } from "./occupancy.ts";
import { SimFan } from "./fan.ts";
import { SimPlug } from "./plug.ts";

export type { Activity, KeyValueStore };

/** One minute in ms. */
export const MINUTE_MS = 60000;
/** One hour in ms. */
export const HOUR_MS = 3600000;
/** When scenarios start: a midnight (UTC, the devices' default time zone), so hours are times of day. */
export const SCENARIO_START_MS: number = Date.UTC(2026, 0, 15);

/** Told how far a run is, as a fraction 0..1 of its simulated time. */
export type ProgressFn = (fraction: number) => void;

/** What a scenario run produced. */
export interface ScenarioResult {
  /** Scenario name. */
  name: string;
  /** One line saying what was simulated. */
  title: string;
  /** CSV column names. */
  columns: string[];
  /** CSV rows, one per sample. */
  rows: CsvValue[][];
  /** The chart of the run. */
  chart: ChartSpec;
  /** One line of findings (showers caught, fan-hours, energy). */
  summary: string;
  /** Figures behind the summary, by name, for tests and tools. */
  facts: Record<string, number>;
  /** Simulated time. */
  simulatedMs: number;
  /** Simulated devices. */
  deviceCount: number;
  /** Wall time the simulation took (without writing files). */
  wallMs: number;
  /** MQTT messages the devices published. */
  messages: number;
}

/**
 * An in-memory key/value store: scenarios start from factory state and leave nothing behind.
 *
 * @returns An empty store.
 * @example
 * ```ts
 * import { memoryStore } from "./scenario.ts";
 * import assert from "node:assert/strict";
 * const store = memoryStore();
 * store.write("settings", "{}");
 * assert.equal(store.read("settings"), "{}");
 * assert.equal(store.read("energy"), null);
 * ```
 */
export function memoryStore(): KeyValueStore {
  const values = new Map<string, string>();
  return {
    read: (key) => values.get(key) ?? null,
    write: (key, value) => void values.set(key, value),
  };
}

/** A simulated device the harness runs. */
export type HarnessDevice = SimFan | SimPlug;

/**
 * Runs devices on a virtual clock with in-memory links, for scenarios and benchmarks.
 *
 * @example
 * ```ts
 * import { HOUR_MS, ScenarioHarness } from "./scenario.ts";
 * import { heater } from "./loads.ts";
 * import assert from "node:assert/strict";
 * const harness = new ScenarioHarness();
 * const plug = harness.addPlug("plug1", heater(1000));
 * harness.at(5000, () => harness.command(plug, "power", "ON"));
 * harness.run(HOUR_MS);
 * assert.ok(Math.abs((plug.state?.energy.totalWholeWh ?? 0) - 1000) <= 2);
 * ```
 */
export class ScenarioHarness {
  /** The shared clock. */
  readonly clock: VirtualClock;
  /** Virtual time at the start. */
  readonly startMs: number;
  #devices: HarnessDevice[] = [];
  #links = new Map<HarnessDevice, MemoryLink>();
  #allLinks: MemoryLink[] = [];
  #messages = 0;

  /**
   * Creates a harness with its own clock.
   *
   * @param startMs Virtual start time (default {@linkcode SCENARIO_START_MS}).
   */
  constructor(startMs: number = SCENARIO_START_MS) {
    this.startMs = startMs;
    this.clock = new VirtualClock({ startMs });
  }

  /** Number of devices. */
  get deviceCount(): number {
    return this.#devices.length;
  }

  /** MQTT messages published so far by all devices. */
  get messages(): number {
    this.#countMessages();
    return this.#messages;
  }

  /**
   * Adds and powers up a fan.
   *
   * @param id Device id.
   * @param room Bathroom (showers) or toilet (visits).
   * @param activities Showers or visits, in time order.
   * @returns The fan.
   */
  addFan(id: string, room: "bathroom" | "toilet", activities: Activity[]): SimFan {
    const fan: SimFan = new SimFan({
      id,
      prefix: "",
      clock: this.clock,
      link: () => this.#newLink(fan),
      store: memoryStore(),
      room,
      activities,
    });
    this.#start(fan);
    return fan;
  }

  /**
   * Adds and powers up a plug.
   *
   * @param id Device id.
   * @param load What is plugged in.
   * @returns The plug.
   */
  addPlug(id: string, load: LoadModel): SimPlug {
    const plug: SimPlug = new SimPlug({
      id,
      prefix: "",
      clock: this.clock,
      link: () => this.#newLink(plug),
      store: memoryStore(),
      load,
    });
    this.#start(plug);
    return plug;
  }

  /**
   * Delivers a command to a device as a controller's MQTT message would arrive.
   *
   * @param device The device; its MQTT session must be up (Wi-Fi joins in about 3 s).
   * @param param Command parameter, e.g. `power` or `max_power`.
   * @param payload Command payload, e.g. `ON`.
   * @throws {Error} When the device is not connected.
   */
  command(device: HarnessDevice, param: string, payload: string): void {
    const link = this.#links.get(device);
    if (link === undefined || !device.connected) {
      throw new Error(`${device.id} is not connected: send commands after it joined (~3 s)`);
    }
    link.inject(`${device.base}/commands/${param}`, payload, false);
  }

  /**
   * Runs `action` once, `offsetMs` after the start.
   *
   * @param offsetMs Time from the start.
   * @param action What to do.
   */
  at(offsetMs: number, action: () => void): void {
    this.clock.setTimer(action, this.startMs + offsetMs - this.clock.nowMs());
  }

  /**
   * Calls `sample` at the start and every `periodMs` until `durationMs` (excluded), after
   * the devices' own work due at the same moment.
   *
   * @param periodMs Sample period.
   * @param durationMs Length of the run.
   * @param sample Called with the time from the start.
   */
  sampleEvery(periodMs: number, durationMs: number, sample: (offsetMs: number) => void): void {
    const take = (): void => {
      const offsetMs = this.clock.nowMs() - this.startMs;
      if (offsetMs < durationMs) sample(offsetMs);
    };
    take();
    this.clock.every(periodMs, take);
  }

  /**
   * Runs the simulation until `durationMs` after the start, as fast as possible.
   *
   * @param durationMs Length of the run.
   * @param onProgress Told the fraction done, 200 times over the run.
   * @returns Wall time taken, in ms.
   */
  run(durationMs: number, onProgress?: ProgressFn): number {
    const began = performance.now();
    const chunks = 200;
    for (let n = 1; n <= chunks; n++) {
      this.clock.advanceTo(this.startMs + (durationMs * n) / chunks);
      // Nobody reads what the devices publish: count it and let it go.
      this.#countMessages();
      onProgress?.(n / chunks);
    }
    return performance.now() - began;
  }

  /** Stops every device. */
  async stop(): Promise<void> {
    await Promise.all(this.#devices.map((device) => device.stop()));
  }

  #start(device: HarnessDevice): void {
    this.#devices.push(device);
    device.start();
  }

  #newLink(device: HarnessDevice): MemoryLink {
    const link = memoryLink();
    this.#links.set(device, link);
    this.#allLinks.push(link);
    return link;
  }

  #countMessages(): void {
    for (const link of this.#allLinks) {
      this.#messages += link.published.length;
      link.published.length = 0;
    }
  }
}

/**
 * Formats a sample time as ISO 8601 without milliseconds.
 *
 * @param ms Epoch ms.
 * @returns E.g. `2026-01-15T07:00:00Z`.
 * @example
 * ```ts
 * import { isoTime } from "./scenario.ts";
 * import assert from "node:assert/strict";
 * assert.equal(isoTime(Date.UTC(2026, 0, 15, 7)), "2026-01-15T07:00:00Z");
 * ```
 */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Rounds to a number of decimals (CSV and summaries stay readable).
 *
 * @param value The number.
 * @param decimals Decimals to keep.
 * @returns The rounded number.
 * @example
 * ```ts
 * import { round } from "./scenario.ts";
 * import assert from "node:assert/strict";
 * assert.equal(round(2.345678, 2), 2.35);
 * ```
 */
export function round(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}

/**
 * Formats a time from the start as `h:mm`.
 *
 * @param offsetMs Time from the start.
 * @returns E.g. `7:05`.
 * @example
 * ```ts
 * import { clockTime } from "./scenario.ts";
 * import assert from "node:assert/strict";
 * assert.equal(clockTime(7 * 3600000 + 5 * 60000), "7:05");
 * ```
 */
export function clockTime(offsetMs: number): string {
  const minutes = Math.round(offsetMs / MINUTE_MS);
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, "0")}`;
}
