/**
 * Shared rig for the simulator's end-to-end tests: an in-process aedes broker, a fleet on a
 * manually driven virtual clock, the knob listener, and an mqtt.js client playing the user.
 * Holds no tests itself.
 *
 * @module
 */

import assert from "node:assert/strict";
import mqtt, { type MqttClient } from "mqtt";
import { type BrokerHandle, startBroker } from "./broker.ts";
import { VirtualClock } from "./clock.ts";
import type { SimDevice } from "./device.ts";
import type { SimFan } from "./fan.ts";
import {
  type DeviceSpec,
  type Fleet,
  type KnobListener,
  listenForKnobs,
  startFleet,
} from "./fleet.ts";
import type { SimPlug } from "./plug.ts";

/** 2026-01-01 08:00 UTC: far from midnight, so `energy_today` does not roll over. */
export const START_MS = Date.UTC(2026, 0, 1, 8);

/** Wall-clock ms between device reconnection attempts in tests. */
export const TEST_RECONNECT_MS = 50;

/** A message the user client received. */
export interface Received {
  /** Topic. */
  topic: string;
  /** Payload as text (lossy UTF-8). */
  payload: string;
  /** Whether it came as a retained message (only on subscription, with aedes). */
  retain: boolean;
}

/** Waits wall-clock milliseconds. */
export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds, failing with `what` after `timeoutMs` of wall time. */
export async function until(
  check: () => boolean,
  what: string,
  timeoutMs = 2000,
): Promise<void> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > timeoutMs) assert.fail(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** An mqtt.js client that records everything it receives. */
export class User {
  /** Every message received, in order. */
  readonly log: Received[] = [];
  /** The latest payload per topic. */
  readonly latest: Map<string, string> = new Map();
  #syncs = 0;

  private constructor(readonly client: MqttClient) {
    client.on("message", (topic, payload, packet) => {
      const text = new TextDecoder().decode(payload);
      this.log.push({ topic, payload: text, retain: packet.retain === true });
      this.latest.set(topic, text);
    });
  }

  /** Connects (no automatic reconnection unless asked) and subscribes to `filters`. */
  static async connect(url: string, filters: string[], reconnect = false): Promise<User> {
    const client = await mqtt.connectAsync(url, {
      reconnectPeriod: reconnect ? TEST_RECONNECT_MS : 0,
      connectTimeout: 2000,
    });
    // Our small messages leave at once (Nagle's algorithm would hold each one back until
    // the broker's delayed ACK of the one before).
    (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    const user = new User(client);
    if (filters.length > 0) await client.subscribeAsync(filters, { qos: 1 });
    return user;
  }

  /** Publishes (QoS 0 unless asked). */
  async send(topic: string, payload: string | Uint8Array, retain = false, qos: 0 | 1 = 0) {
    await this.client.publishAsync(topic, payload as string, { retain, qos });
  }

  /**
   * Sends a knob and waits until the listener has handled it: a `sync` knob sent after it
   * is answered on `sim/<id>/errors`, and knobs are handled in order.
   */
  async knob(id: string, name: string, payload: string): Promise<void> {
    await this.send(`sim/${id}/${name}`, payload);
    const mark = this.log.length;
    await this.send(`sim/${id}/sync`, "");
    await this.waitFor(`sim/${id}/errors`, (p) => JSON.parse(p).knob === "sync", mark);
  }

  /**
   * Sends a command and waits until the device has handled it: a `sync` command sent after
   * it (with a unique payload) is answered on `<base>/errors`, and commands are handled in
   * order. Those answers have param `sync`.
   */
  async command(base: string, param: string, payload: string | Uint8Array): Promise<void> {
    await this.send(`${base}/commands/${param}`, payload);
    await this.sync(base);
  }

  /** Waits until the device at `base` has handled every command sent before. */
  async sync(base: string): Promise<void> {
    const nonce = `sync-${++this.#syncs}`;
    const mark = this.log.length;
    await this.send(`${base}/commands/sync`, nonce);
    await this.waitFor(`${base}/errors`, (p) => JSON.parse(p).payload === nonce, mark);
  }

  /** Messages received on one topic (from index `from` of the log on). */
  on(topic: string, from = 0): Received[] {
    return this.log.slice(from).filter((message) => message.topic === topic);
  }

  /** Waits for a message on `topic` (after index `from` of the log) that `match` accepts. */
  async waitFor(
    topic: string,
    match: (payload: string) => boolean = () => true,
    from = 0,
    timeoutMs = 2000,
  ): Promise<Received> {
    let found: Received | undefined;
    await until(
      () => {
        found = this.log.slice(from).find((m) => m.topic === topic && match(m.payload));
        return found !== undefined;
      },
      `${topic} matching ${match}`,
      timeoutMs,
    );
    return found!;
  }

  /** Disconnects. */
  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/**
 * Reads what the broker retains under `filter`: a fresh client subscribes and collects until
 * nothing new arrives for a moment.
 */
export async function retainedUnder(url: string, filter: string): Promise<Map<string, string>> {
  const reader = await User.connect(url, []);
  try {
    await reader.client.subscribeAsync(filter, { qos: 1 });
    // Retained messages follow the subscription acknowledgement: wait until they stop.
    await sleep(60);
    let count = -1;
    while (count !== reader.log.length) {
      count = reader.log.length;
      await sleep(60); // longer than a delayed ACK (~40 ms), which can pause a burst
    }
    const out = new Map<string, string>();
    for (const message of reader.log) if (message.retain) out.set(message.topic, message.payload);
    return out;
  } finally {
    await reader.close();
  }
}

/** What a rig is made of. */
export interface RigOptions {
  /** Devices of the fleet. */
  devices: DeviceSpec[];
  /** Start the knob listener (default true). */
  knobs?: boolean;
  /** Use this data folder (kept on close) instead of a fresh temporary one. */
  dataDir?: string;
  /** Use this broker (kept on close) instead of a fresh one. */
  broker?: BrokerHandle;
  /** Use this clock instead of a fresh one at {@linkcode START_MS}. */
  clock?: VirtualClock;
  /** Topic filters the user subscribes to (default `#`). */
  filters?: string[];
  /** Run this before the fleet starts (e.g. publish retained messages). */
  beforeFleet?: (user: User) => Promise<void>;
  /** Advance the clock until every device is connected (default true). */
  waitOnline?: boolean;
  /** Let the user's client reconnect by itself (for broker restarts). */
  userReconnects?: boolean;
}

/** A broker, a fleet on a virtual clock, the knob listener and a user. */
export interface Rig {
  /** The broker. */
  broker: BrokerHandle;
  /** The shared virtual clock. */
  clock: VirtualClock;
  /** The fleet. */
  fleet: Fleet;
  /** The user's client. */
  user: User;
  /** The data folder. */
  dataDir: string;
  /** A plug by id. */
  plug(id: string): SimPlug;
  /** A fan by id. */
  fan(id: string): SimFan;
  /**
   * Moves virtual time on in steps of `stepMs`, letting the network deliver between steps
   * (a message sent at virtual time t then arrives at about t + stepMs).
   */
  advance(ms: number, stepMs?: number): Promise<void>;
  /** Advances the clock in small steps until `check` holds (or `limitMs` of virtual time). */
  advanceUntil(check: () => boolean, what: string, limitMs: number, stepMs?: number): Promise<void>;
  /** Stops everything the rig started, in order. */
  close(): Promise<void>;
}

/** Starts a rig; close it in a `finally`. */
export async function startRig(options: RigOptions): Promise<Rig> {
  const ownBroker = options.broker === undefined;
  const broker = options.broker ?? await startBroker({ port: 0 });
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? await Deno.makeTempDir({ prefix: "housegrid-e2e-" });
  const clock = options.clock ?? new VirtualClock({ startMs: START_MS });
  const user = await User.connect(broker.url, options.filters ?? ["#"], options.userReconnects);
  let fleet: Fleet | null = null;
  let knobs: KnobListener | null = null;
  const close = async (): Promise<void> => {
    await knobs?.close();
    await fleet?.stop();
    await user.close();
    if (ownBroker) await broker.stop();
    if (ownDir) await Deno.remove(dataDir, { recursive: true });
  };
  try {
    await options.beforeFleet?.(user);
    fleet = startFleet({
      devices: options.devices,
      clock,
      prefix: "",
      dataDir,
      seed: 1,
      brokerUrl: broker.url,
      reconnectPeriodMs: TEST_RECONNECT_MS,
    });
    if (options.knobs !== false) knobs = await listenForKnobs(fleet, broker.url, "");
  } catch (error) {
    await close();
    throw error;
  }
  const running = fleet;
  const device = (id: string): SimDevice<unknown, never> => {
    const found = running.devices.get(id);
    assert.ok(found, `no device ${id}`);
    return found;
  };
  const rig: Rig = {
    broker,
    clock,
    fleet: running,
    user,
    dataDir,
    plug: (id) => device(id) as unknown as SimPlug,
    fan: (id) => device(id) as unknown as SimFan,
    async advance(ms, stepMs = 1000) {
      const end = clock.nowMs() + ms;
      while (clock.nowMs() < end) {
        clock.advanceTo(Math.min(end, clock.nowMs() + stepMs));
        await sleep(0);
      }
      await sleep(5);
    },
    async advanceUntil(check, what, limitMs, stepMs = 1000) {
      const end = clock.nowMs() + limitMs;
      while (!check()) {
        if (clock.nowMs() >= end) assert.fail(`${what}: not within ${limitMs} virtual ms`);
        clock.advanceBy(stepMs);
        await sleep(1);
      }
    },
    close,
  };
  if (options.waitOnline !== false) {
    try {
      // Wi-Fi joins in 3 virtual s, then the MQTT session needs real time. A live snapshot
      // proves the session is up (the broker may still retain one from an earlier run).
      await rig.advance(3000);
      await until(
        () =>
          [...running.devices.values()].every((d) =>
            d.connected && user.on(`${d.base}/state`).some((m) => !m.retain)
          ),
        "every device online with its states published",
      );
    } catch (error) {
      await close();
      throw error;
    }
  }
  return rig;
}

/** The JSON snapshot a device last published on `<base>/state`. */
export function snapshotOf(user: User, base: string): Record<string, unknown> {
  const text = user.latest.get(`${base}/state`);
  assert.ok(text !== undefined, `no snapshot on ${base}/state yet`);
  return JSON.parse(text);
}

/** Snapshot fields that change with every measurement or second, left out of comparisons. */
export const MEASURED_FIELDS = [
  "watts",
  "volts",
  "amps",
  "power_factor",
  "apparent_va",
  "energy_total",
  "energy_today",
  "energy_yesterday",
  "rssi",
  "uptime",
  "temperature",
  "humidity",
];

/** A snapshot without its measured fields. */
export function discreteStates(snapshot: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(snapshot)) {
    if (!MEASURED_FIELDS.includes(key)) out[key] = value;
  }
  return out;
}
