/**
 * A fleet of simulated devices sharing one virtual clock and one broker: which devices
 * run (the default fleet, flags or a fleet file), their MQTT links, and the knob
 * listener that turns `<prefix>sim/<id>/<knob>` messages into fault injection.
 *
 * @module
 */

import { join } from "node:path";
import type { Duplex } from "node:stream";
import mqtt from "mqtt";
import type { FirmwareBundles } from "../firmware/shim/bundles.ts";
import { ShimStorage } from "../firmware/shim/shim_storage.ts";
import { err, ok, type Result } from "../lib/result.ts";
import { isValidDeviceId } from "../lib/topics.ts";
import type { VirtualClock } from "./clock.ts";
import type { SimDevice } from "./device.ts";
import { SimFan } from "./fan.ts";
import { FirmwareDevice } from "./firmware_device.ts";
import { memoryLink, mqttJsLink, type MqttLink } from "./mqtt_link.ts";
import { scheduleShowers, scheduleVisits } from "./occupancy.ts";
import { namedLoad, SimPlug } from "./plug.ts";
import { createRandom } from "./random.ts";
import { deviceStore } from "./store.ts";

/** One device of a fleet. */
export interface DeviceSpec {
  /** `plugs` or `fans`. */
  kind: "plugs" | "fans";
  /** Device id. */
  id: string;
  /** A plug's load: heater, kettle, motor, fridge, standby or none. */
  load?: string;
  /** A fan's room: bathroom (showers) or toilet (visits). */
  room?: "bathroom" | "toilet";
}

/** The default fleet: two plugs, a bathroom fan and a toilet fan. */
export const DEFAULT_FLEET: DeviceSpec[] = [
  { kind: "plugs", id: "plug1", load: "heater" },
  { kind: "plugs", id: "plug2", load: "fridge" },
  { kind: "fans", id: "fan1", room: "bathroom" },
  { kind: "fans", id: "fan2", room: "toilet" },
];

/**
 * Builds a fleet from counts: plugs `plug<N>` and fans `fan<N>`, numbered from
 * `idOffset + 1` so several processes can share one broker without clashing.
 *
 * @param plugs Number of plugs.
 * @param fans Number of fans.
 * @param idOffset Added to every number.
 * @returns The device list.
 * @example
 * ```ts
 * import { fleetFromCounts } from "./fleet.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(fleetFromCounts(1, 1, 10).map((d) => d.id), ["plug11", "fan11"]);
 * ```
 */
export function fleetFromCounts(plugs: number, fans: number, idOffset: number): DeviceSpec[] {
  const devices: DeviceSpec[] = [];
  const loads = ["heater", "fridge", "motor", "standby", "kettle"];
  for (let n = 1; n <= plugs; n++) {
    devices.push({ kind: "plugs", id: `plug${idOffset + n}`, load: loads[(n - 1) % loads.length] });
  }
  for (let n = 1; n <= fans; n++) {
    devices.push({
      kind: "fans",
      id: `fan${idOffset + n}`,
      room: n % 2 === 1 ? "bathroom" : "toilet",
    });
  }
  return devices;
}

/**
 * Parses a fleet file: `{"devices": [...], "groups": [{"kind", "count", "idPrefix",
 * "from", "load", "room"}]}`.
 *
 * @param text The file's text.
 * @returns The device list or a clear error.
 * @example
 * ```ts
 * import { parseFleetFile } from "./fleet.ts";
 * import assert from "node:assert/strict";
 * const fleet = parseFleetFile('{"groups":[{"kind":"plugs","count":2,"idPrefix":"p","from":5}]}');
 * assert.deepEqual(fleet.ok && fleet.value.map((d) => d.id), ["p5", "p6"]);
 * assert.equal(parseFleetFile("{").ok, false);
 * ```
 */
export function parseFleetFile(text: string): Result<DeviceSpec[]> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return err("fleet file is not JSON: " + (error as Error).message);
  }
  if (typeof data !== "object" || data === null) return err("fleet file must hold an object");
  const { devices = [], groups = [] } = data as { devices?: unknown; groups?: unknown };
  if (!Array.isArray(devices) || !Array.isArray(groups)) {
    return err('fleet file: "devices" and "groups" must be arrays');
  }
  const out: DeviceSpec[] = [];
  for (const [index, device] of devices.entries()) {
    const checked = checkSpec(device, `devices[${index}]`);
    if (!checked.ok) return checked;
    out.push(checked.value);
  }
  for (const [index, group] of groups.entries()) {
    const where = `groups[${index}]`;
    const { count, idPrefix, from = 1 } = group as {
      count?: unknown;
      idPrefix?: unknown;
      from?: unknown;
    };
    if (!Number.isInteger(count) || (count as number) < 0 || (count as number) > 100000) {
      return err(`${where}.count must be a whole number 0..100000`);
    }
    if (typeof idPrefix !== "string" || !Number.isInteger(from)) {
      return err(`${where} needs "idPrefix" (text) and an integer "from"`);
    }
    for (let n = 0; n < (count as number); n++) {
      const checked = checkSpec({ ...group, id: `${idPrefix}${(from as number) + n}` }, where);
      if (!checked.ok) return checked;
      out.push(checked.value);
    }
  }
  const ids = new Set<string>();
  for (const device of out) {
    if (ids.has(device.id)) return err(`fleet file: device id "${device.id}" appears twice`);
    ids.add(device.id);
  }
  return ok(out);
}

function checkSpec(value: unknown, where: string): Result<DeviceSpec> {
  const spec = value as Partial<DeviceSpec> | null;
  if (spec === null || typeof spec !== "object") return err(`${where} must be an object`);
  if (spec.kind !== "plugs" && spec.kind !== "fans") {
    return err(`${where}.kind must be plugs or fans`);
  }
  if (typeof spec.id !== "string" || !isValidDeviceId(spec.id)) {
    return err(`${where}.id must be 1..32 of a-z, 0-9, _ and -`);
  }
  if (spec.load !== undefined && namedLoad(spec.load, 0) === null) {
    return err(`${where}.load must be heater, kettle, motor, fridge, standby or none`);
  }
  if (spec.room !== undefined && spec.room !== "bathroom" && spec.room !== "toilet") {
    return err(`${where}.room must be bathroom or toilet`);
  }
  return ok({ kind: spec.kind, id: spec.id, load: spec.load, room: spec.room });
}

/** How a fleet connects and where it keeps its data. */
export interface FleetOptions {
  /** The devices. */
  devices: DeviceSpec[];
  /** The shared clock. */
  clock: VirtualClock;
  /** Topic prefix. */
  prefix: string;
  /** Data folder. */
  dataDir: string;
  /** Seed of every random choice. */
  seed: number;
  /** Broker URL, or `null` for in-memory links (scenarios, fast tests). */
  brokerUrl: string | null;
  /**
   * Opens an in-process connection to the broker at `brokerUrl` (the simulator's own broker,
   * `BrokerHandle.openStream`): native devices then connect through it, without sockets, so
   * a fleet of thousands needs no file descriptors and no accept backlog. Firmware devices
   * (their shim speaks TCP) still use `brokerUrl`.
   */
  openStream?: (() => Duplex) | null;
  /** Credentials per device id (`--secure`), else none. */
  credentials?: (id: string) => { username: string; password: string } | undefined;
  /** Keep a publish trace per device. */
  trace?: boolean;
  /** Wall-clock ms between MQTT reconnection attempts (default 1000; tests use less). */
  reconnectPeriodMs?: number;
  /**
   * Run every device from these firmware bundles in the Espruino shim (`--firmware`)
   * instead of natively; needs `brokerUrl`. Each device's flash is kept in
   * `<dataDir>/<id>/firmware-storage.json`.
   */
  firmware?: FirmwareBundles | null;
  /** Lines the firmware devices print, with the device id. */
  firmwareLog?: (id: string, line: string) => void;
}

/** A running fleet. */
export interface Fleet {
  /** Devices by id, in spec order. */
  readonly devices: Map<string, SimDevice<unknown, never>>;
  /** Plugs. */
  readonly plugs: SimPlug[];
  /** Fans. */
  readonly fans: SimFan[];
  /** Devices running a firmware bundle (`--firmware`; then `plugs` and `fans` are empty). */
  readonly firmware: FirmwareDevice[];
  /** Applies a knob to a device by id; returns an error or `null`. */
  knob(id: string, name: string, payload: string): string | null;
  /** Stops every device cleanly. */
  stop(): Promise<void>;
}

const DAY_MS = 86400000;

/**
 * Creates and starts a fleet.
 *
 * @param options Devices, clock, broker and data folder.
 * @returns The running fleet.
 * @example
 * ```ts
 * import { VirtualClock } from "./clock.ts";
 * import { startFleet } from "./fleet.ts";
 * import assert from "node:assert/strict";
 * const dataDir = await Deno.makeTempDir();
 * const clock = new VirtualClock({ startMs: Date.UTC(2026, 0, 1) });
 * const fleet = startFleet({
 *   devices: [{ kind: "plugs", id: "p1", load: "heater" }], clock, prefix: "",
 *   dataDir, seed: 1, brokerUrl: null,
 * });
 * clock.advanceBy(5000);
 * assert.equal(fleet.plugs[0]?.connected, true);
 * await fleet.stop();
 * await Deno.remove(dataDir, { recursive: true });
 * ```
 */
export function startFleet(options: FleetOptions): Fleet {
  const random = createRandom(options.seed);
  const devices = new Map<string, SimDevice<unknown, never>>();
  const plugs: SimPlug[] = [];
  const fans: SimFan[] = [];
  const firmware: FirmwareDevice[] = [];
  const nowMs = options.clock.nowMs();
  const midnight = nowMs - (nowMs % DAY_MS);
  for (const spec of options.devices) {
    const credentials = options.credentials?.(spec.id);
    const openStream = options.openStream ?? undefined;
    const link = (): MqttLink =>
      options.brokerUrl === null ? memoryLink() : mqttJsLink({
        ...(openStream === undefined ? { url: options.brokerUrl } : { openStream }),
        clientId: `housegrid-${spec.kind}-${spec.id}`,
        username: credentials?.username,
        password: credentials?.password,
        reconnectPeriodMs: options.reconnectPeriodMs,
      });
    const common = {
      id: spec.id,
      prefix: options.prefix,
      clock: options.clock,
      link,
      // Written in the background: thousands of plugs saving energy in one second must
      // not stall the clock (stop() waits until everything is on disk).
      store: deviceStore(options.dataDir, spec.id, { writeBehind: true }),
      trace: options.trace,
    };
    if (options.firmware) {
      const device = firmwareDevice(options, spec, options.firmware, random, midnight);
      firmware.push(device);
      // The device has the surface of a SimDevice that the fleet's users touch.
      devices.set(spec.id, device as unknown as SimDevice<unknown, never>);
      continue;
    }
    if (spec.kind === "plugs") {
      const plug = new SimPlug({
        ...common,
        load: namedLoad(spec.load ?? "none", nowMs) ?? undefined,
      });
      plugs.push(plug);
      devices.set(spec.id, plug as unknown as SimDevice<unknown, never>);
    } else {
      const room = spec.room ?? "bathroom";
      const schedule = room === "toilet" ? scheduleVisits : scheduleShowers;
      const activities = schedule(random, { fromMs: midnight, days: 30 });
      const fan = new SimFan({ ...common, room, activities });
      fans.push(fan);
      devices.set(spec.id, fan as unknown as SimDevice<unknown, never>);
    }
  }
  for (const device of devices.values()) device.start();
  return {
    devices,
    plugs,
    fans,
    firmware,
    knob(id, name, payload) {
      const device = devices.get(id);
      if (device === undefined) return `no device "${id}" in this fleet`;
      return device.knob(name, payload);
    },
    async stop() {
      await Promise.all([...devices.values()].map((device) => device.stop()));
    },
  };
}

function firmwareDevice(
  options: FleetOptions,
  spec: DeviceSpec,
  bundles: FirmwareBundles,
  random: ReturnType<typeof createRandom>,
  midnight: number,
): FirmwareDevice {
  if (options.brokerUrl === null) throw new Error("firmware devices need a broker URL");
  const url = new URL(options.brokerUrl);
  if (url.protocol !== "mqtt:" && url.protocol !== "tcp:") {
    throw new Error(`firmware devices speak plain MQTT over TCP, not ${url.protocol}//`);
  }
  const credentials = options.credentials?.(spec.id);
  const dir = join(options.dataDir, spec.id);
  Deno.mkdirSync(dir, { recursive: true });
  const room = spec.room ?? "bathroom";
  const schedule = room === "toilet" ? scheduleVisits : scheduleShowers;
  return new FirmwareDevice({
    kind: spec.kind,
    id: spec.id,
    prefix: options.prefix,
    clock: options.clock,
    code: spec.kind === "plugs" ? bundles.plug : bundles.fan,
    files: bundles.files,
    broker: {
      host: url.hostname,
      port: url.port === "" ? 1883 : Number(url.port),
      username: credentials?.username,
      password: credentials?.password,
    },
    storage: new ShimStorage({ path: join(dir, "firmware-storage.json") }),
    load: namedLoad(spec.load ?? "none", options.clock.nowMs()) ?? undefined,
    room,
    activities: spec.kind === "fans" ? schedule(random, { fromMs: midnight, days: 30 }) : [],
    trace: options.trace,
    onPrint: (line) => options.firmwareLog?.(spec.id, line),
  });
}

/** A connection that listens to `<prefix>sim/<id>/<knob>` and applies the knobs. */
export interface KnobListener {
  /** Closes the connection. */
  close(): Promise<void>;
}

/**
 * Listens for knob messages from any MQTT client and applies them to the fleet; a
 * rejected knob is answered on `<prefix>sim/<id>/errors`.
 *
 * @param fleet The fleet.
 * @param url Broker URL.
 * @param prefix Topic prefix.
 * @param credentials Controller credentials, if the broker wants them.
 * @returns The listener.
 */
export async function listenForKnobs(
  fleet: Fleet,
  url: string,
  prefix: string,
  credentials?: { username: string; password: string },
): Promise<KnobListener> {
  const client = await mqtt.connectAsync(url, {
    clientId: `housegrid-knobs-${crypto.randomUUID().slice(0, 8)}`,
    username: credentials?.username,
    password: credentials?.password,
    reconnectPeriod: 1000,
  });
  // Answers go out at once, not after the broker's delayed ACK of the last one (Nagle).
  const noDelay = () =>
    (client.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
  noDelay();
  client.on("connect", noDelay);
  const knobPrefix = `${prefix}sim/`;
  client.on("message", (topic, payload, packet) => {
    if (packet.retain || !topic.startsWith(knobPrefix)) return;
    const [id, name, extra] = topic.slice(knobPrefix.length).split("/");
    if (id === undefined || name === undefined || extra !== undefined || name === "errors") return;
    // Another process of a split fleet runs that device: leave it to that one.
    if (!fleet.devices.has(id)) return;
    const error = fleet.knob(id, name, new TextDecoder().decode(payload));
    if (error !== null) {
      client.publish(`${knobPrefix}${id}/errors`, JSON.stringify({ knob: name, error }));
    }
  });
  await client.subscribeAsync(`${knobPrefix}+/+`, { qos: 1 });
  return {
    async close() {
      await client.endAsync(true);
    },
  };
}
