/**
 * Home Assistant MQTT discovery: the retained `config` messages that make a plug or a
 * fan appear in Home Assistant with its entities, all pointing at the device's real
 * topics from the v1 protocol (see DESIGN.md).
 *
 * Topics follow `<discoveryPrefix>/<component>/<id>/<object>/config`, where `<object>`
 * is the protocol parameter the entity shows (`watts`, `hum_on`, ...). Payloads use the
 * full (not abbreviated) option names. Messages can be built one at a time with
 * {@linkcode discoveryMessageAt} so a small device never holds them all in memory.
 *
 * @module
 */

import { err, ok, type Result } from "./result.ts";
import { telemetryParams } from "./protocol_states.ts";
import { DEFAULT_FAN_SETTINGS, type TelemetryMode } from "./settings.ts";
import {
  availabilityTopic,
  baseTopic,
  commandTopic,
  type DeviceKind,
  isValidDeviceId,
  snapshotTopic,
  stateTopic,
} from "./topics.ts";

/** The Home Assistant integrations housegrid's entities use. */
export type DiscoveryComponent = "switch" | "sensor" | "fan" | "number" | "button";

/** One retained message to publish as is. */
export interface DiscoveryMessage {
  /** `<discoveryPrefix>/<component>/<id>/<object>/config`. */
  topic: string;
  /** The JSON configuration, or `""` to remove the entity. */
  payload: string;
  /** Always retained, so Home Assistant finds the entity after its own restart. */
  retain: true;
}

/** Which device's discovery topics to address. */
export interface DiscoveryTarget {
  /** `plugs` or `fans`. */
  kind: DeviceKind;
  /**
   * The device id, `[a-z0-9_-]{1,32}`. Discovery topics and unique ids leave the kind
   * out, so a plug and a fan on one broker need different ids.
   */
  id: string;
  /** Home Assistant's discovery prefix; `homeassistant` when absent. */
  discoveryPrefix?: string;
}

/** Everything needed to describe a device to Home Assistant. */
export interface DiscoveryOptions extends DiscoveryTarget {
  /** The protocol topic prefix, empty or ending with `/` (e.g. `home/`). */
  prefix: string;
  /** Human-readable device name shown in Home Assistant, e.g. `Bathroom fan`. */
  name: string;
  /** Firmware or library version shown on the device page. */
  swVersion: string;
  /** Highest fan speed step (fans only); {@linkcode DEFAULT_FAN_SETTINGS} when absent. */
  maxSpeed?: number;
  /**
   * The device's telemetry mode (`full` when absent). In `snapshot` mode the readings
   * exist only in the JSON snapshot, so their entities read it with a value template.
   */
  telemetryMode?: TelemetryMode;
}

/** The discovery prefix Home Assistant listens on unless configured otherwise. */
export const DEFAULT_DISCOVERY_PREFIX = "homeassistant";

/** The highest speed step a fan may announce (Home Assistant speaks percent). */
const MAX_SPEED_LIMIT = 100;

type Fields = Record<string, unknown>;

interface EntitySpec {
  component: DiscoveryComponent;
  object: string;
  /** `null` names the entity after the device: right for its main feature. */
  name: string | null;
  reads: boolean;
  writes: boolean;
  fields: Fields;
}

const spec = (
  component: DiscoveryComponent,
  object: string,
  name: string | null,
  reads: boolean,
  writes: boolean,
  fields: Fields,
): EntitySpec => ({ component, object, name, reads, writes, fields });

// Absent options are left out rather than set to undefined, so the JSON never depends
// on how an interpreter serialises undefined.
const withText = (fields: Fields, key: string, value: string): Fields => {
  if (value !== "") fields[key] = value;
  return fields;
};

const sensor = (object: string, name: string, fields: Fields): EntitySpec =>
  spec("sensor", object, name, true, false, fields);

const measurement = (object: string, name: string, deviceClass: string, unit: string): EntitySpec =>
  sensor(object, name, {
    device_class: deviceClass,
    state_class: "measurement",
    unit_of_measurement: unit,
  });

// Home Assistant accepts only `total`/`total_increasing` (or none) for energy;
// yesterday's figure is a fixed report, not a meter, so it gets no state class.
const energy = (object: string, name: string, stateClass: string): EntitySpec =>
  sensor(
    object,
    name,
    withText({ device_class: "energy", unit_of_measurement: "Wh" }, "state_class", stateClass),
  );

const diagnostic = (object: string, name: string, fields: Fields): EntitySpec =>
  sensor(object, name, Object.assign({ entity_category: "diagnostic" }, fields));

const choice = (object: string, name: string, options: string): EntitySpec =>
  diagnostic(object, name, { device_class: "enum", options: options.split(" ") });

const setting = (object: string, name: string, deviceClass: string, limits: number[]): EntitySpec =>
  spec("number", object, name, true, true, {
    entity_category: "config",
    device_class: deviceClass,
    unit_of_measurement: deviceClass === "temperature"
      ? "°C"
      : deviceClass === "duration"
      ? "s"
      : "%",
    min: limits[0],
    max: limits[1],
    step: limits[2],
    mode: "box",
  });

const ON_OFF: Fields = { payload_on: "ON", payload_off: "OFF", state_on: "ON", state_off: "OFF" };

const toggle = (object: string, name: string): EntitySpec =>
  spec("switch", object, name, true, true, Object.assign({ entity_category: "config" }, ON_OFF));

// One entity at a time, built only when asked, by a `switch` that skips the other cases'
// code: on an ESP8266 the whole table (150 to 300 variables) does not fit beside a
// connection being set up.
const networkSpecAt = (index: number): EntitySpec | undefined => {
  switch (index) {
    case 0:
      return diagnostic("rssi", "Wi-Fi signal", {
        device_class: "signal_strength",
        unit_of_measurement: "dBm",
        state_class: "measurement",
      });
    case 1:
      return diagnostic("uptime", "Uptime", { device_class: "duration", unit_of_measurement: "s" });
    case 2:
      return diagnostic("ip", "IP address", { icon: "mdi:ip-network" });
    case 3:
      return diagnostic("ssid", "Wi-Fi network", { icon: "mdi:wifi" });
    case 4:
      return diagnostic("mac", "MAC address", { icon: "mdi:network-outline" });
  }
  return undefined;
};

const NETWORK_ENTITIES = 5;
const PLUG_ENTITIES = 11 + NETWORK_ENTITIES;
const FAN_ENTITIES = 17 + NETWORK_ENTITIES;

const plugSpecAt = (index: number): EntitySpec | undefined => {
  switch (index) {
    case 0:
      return spec("switch", "power", null, true, true, ON_OFF);
    case 1:
      return measurement("watts", "Power", "power", "W");
    case 2:
      return measurement("volts", "Voltage", "voltage", "V");
    case 3:
      return measurement("amps", "Current", "current", "A");
    case 4:
      return sensor("power_factor", "Power factor", {
        device_class: "power_factor",
        state_class: "measurement",
      });
    case 5:
      return measurement("apparent_va", "Apparent power", "apparent_power", "VA");
    case 6:
      return energy("energy_total", "Energy", "total_increasing");
    case 7:
      return energy("energy_today", "Energy today", "total_increasing");
    case 8:
      return energy("energy_yesterday", "Energy yesterday", "");
    case 9:
      return diagnostic("fault", "Fault", { icon: "mdi:alert-circle-outline" });
    case 10:
      return spec("button", "energy_reset", "Reset energy", false, true, {
        entity_category: "config",
        payload_press: "0",
      });
  }
  return networkSpecAt(index - (PLUG_ENTITIES - NETWORK_ENTITIES));
};

const fanSpecAt = (index: number): EntitySpec | undefined => {
  switch (index) {
    case 0:
      return spec("fan", "power", null, true, true, { payload_on: "ON", payload_off: "OFF" });
    case 1:
      return measurement("temperature", "Temperature", "temperature", "°C");
    case 2:
      return measurement("humidity", "Humidity", "humidity", "%");
    case 3:
      return choice(
        "reason",
        "Reason",
        "humidity temperature timer purge check manual safety none",
      );
    case 4:
      return choice("mode", "Mode", "auto manual");
    case 5:
      return choice("control", "Control", "full sensor remote timer");
    case 6:
      return setting("hum_on", "Humidity on", "humidity", [1, 100, 1]);
    case 7:
      return setting("hum_off", "Humidity off", "humidity", [0, 99, 1]);
    case 8:
      return setting("hum_rise", "Humidity rise", "humidity", [0, 50, 1]);
    case 9:
      return setting("temp_on", "Temperature on", "temperature", [-20, 60, 0.5]);
    case 10:
      return setting("temp_off", "Temperature off", "temperature", [-20, 60, 0.5]);
    case 11:
      return setting("timer_on", "Timer on", "duration", [0, 86400, 1]);
    case 12:
      return setting("timer_off", "Timer off", "duration", [0, 86400, 1]);
    case 13:
      return setting("max_run", "Maximum run", "duration", [0, 86400, 1]);
    case 14:
      return toggle("hum_using", "Use humidity");
    case 15:
      return toggle("temp_using", "Use temperature");
    case 16:
      return toggle("time_using", "Use timer");
  }
  return networkSpecAt(index - (FAN_ENTITIES - NETWORK_ENTITIES));
};

const specAt = (kind: DeviceKind, index: number): EntitySpec | undefined =>
  kind === "plugs" ? plugSpecAt(index) : fanSpecAt(index);

// The whole table, for hosts that publish every message at once.
const specsOf = (kind: DeviceKind): EntitySpec[] => {
  const specs: EntitySpec[] = [];
  for (let index = 0; index < discoveryMessageCount(kind); index++) {
    specs.push(specAt(kind, index) as EntitySpec);
  }
  return specs;
};

const hasWildcard = (topic: string): boolean =>
  topic.indexOf("+") >= 0 || topic.indexOf("#") >= 0 || topic.indexOf("\u0000") >= 0;

const discoveryPrefixOf = (target: DiscoveryTarget): string =>
  target.discoveryPrefix ?? DEFAULT_DISCOVERY_PREFIX;

/** Returns "" when the target is usable, else why not. */
const targetProblem = (target: DiscoveryTarget): string => {
  if (typeof target !== "object" || target === null) return "discovery options must be an object";
  if (target.kind !== "plugs" && target.kind !== "fans") {
    return "kind must be plugs or fans, got " + JSON.stringify(target.kind);
  }
  if (typeof target.id !== "string" || !isValidDeviceId(target.id)) {
    return "device id must be 1 to 32 of a-z 0-9 _ -, got " + JSON.stringify(target.id);
  }
  const discoveryPrefix = discoveryPrefixOf(target);
  if (
    typeof discoveryPrefix !== "string" || discoveryPrefix === "" ||
    discoveryPrefix.charAt(discoveryPrefix.length - 1) === "/" || hasWildcard(discoveryPrefix)
  ) {
    return "discovery prefix must be a non-empty topic without + # or a trailing /, got " +
      JSON.stringify(discoveryPrefix);
  }
  return "";
};

const optionsProblem = (options: DiscoveryOptions): string => {
  const problem = targetProblem(options);
  if (problem !== "") return problem;
  const prefix = options.prefix;
  if (
    typeof prefix !== "string" ||
    (prefix !== "" && prefix.charAt(prefix.length - 1) !== "/") || hasWildcard(prefix)
  ) {
    return "prefix must be empty or end with / and hold no + or #, got " + JSON.stringify(prefix);
  }
  if (typeof options.name !== "string" || options.name.trim() === "") {
    return "device name must be a non-empty string";
  }
  if (typeof options.swVersion !== "string") return "swVersion must be a string";
  const mode = options.telemetryMode;
  if (mode !== undefined && mode !== "full" && mode !== "snapshot") {
    return "telemetryMode must be full or snapshot, got " + JSON.stringify(mode);
  }
  const maxSpeed = options.maxSpeed ?? DEFAULT_FAN_SETTINGS.maxSpeed;
  if (
    typeof maxSpeed !== "number" || !isFinite(maxSpeed) || Math.floor(maxSpeed) !== maxSpeed ||
    maxSpeed < 1 || maxSpeed > MAX_SPEED_LIMIT
  ) {
    return "maxSpeed must be a whole number from 1 to " + MAX_SPEED_LIMIT + ", got " +
      JSON.stringify(maxSpeed);
  }
  return "";
};

/**
 * Builds the topic of one entity's discovery configuration.
 *
 * @param discoveryPrefix Home Assistant's discovery prefix, e.g. `homeassistant`.
 * @param component The Home Assistant integration, e.g. `sensor`.
 * @param id The device id.
 * @param object The protocol parameter the entity shows, e.g. `watts`.
 * @returns `<discoveryPrefix>/<component>/<id>/<object>/config`.
 * @example
 * ```ts
 * import { discoveryTopic } from "./discovery.ts";
 * import assert from "node:assert/strict";
 * assert.equal(
 *   discoveryTopic("homeassistant", "sensor", "plug1", "watts"),
 *   "homeassistant/sensor/plug1/watts/config",
 * );
 * ```
 */
export function discoveryTopic(
  discoveryPrefix: string,
  component: DiscoveryComponent,
  id: string,
  object: string,
): string {
  return discoveryPrefix + "/" + component + "/" + id + "/" + object + "/config";
}

/**
 * Tells how many discovery messages a device of this kind publishes.
 *
 * @param kind `plugs` or `fans`.
 * @returns The number of entities, the valid range of indices for
 * {@linkcode discoveryMessageAt}.
 * @example
 * ```ts
 * import { discoveryMessageCount } from "./discovery.ts";
 * import assert from "node:assert/strict";
 * assert.ok(discoveryMessageCount("plugs") > 10);
 * ```
 */
export function discoveryMessageCount(kind: DeviceKind): number {
  return kind === "plugs" ? PLUG_ENTITIES : FAN_ENTITIES;
}

const buildPayload = (entity: EntitySpec, options: DiscoveryOptions): Fields => {
  const base = baseTopic(options.prefix, options.kind, options.id);
  const uniqueId = "housegrid_" + options.id + "_" + entity.object;
  const payload: Fields = {
    name: entity.name,
    unique_id: uniqueId,
    // Entity ids allow no `-` and no `__`, which device ids may contain.
    default_entity_id: entity.component + "." + uniqueId.replace(/[-_]+/g, "_"),
    availability: [{
      topic: availabilityTopic(base),
      payload_available: "online",
      payload_not_available: "offline",
    }],
    device: {
      identifiers: ["housegrid_" + options.id],
      name: options.name,
      manufacturer: "housegrid",
      model: options.kind === "plugs" ? "Smart plug" : "Exhaust fan",
      sw_version: options.swVersion,
    },
    origin: { name: "housegrid", sw_version: options.swVersion },
  };
  if (
    entity.reads && options.telemetryMode === "snapshot" &&
    telemetryParams(options.kind).indexOf(entity.object) >= 0
  ) {
    payload.state_topic = snapshotTopic(base);
    payload.value_template = "{{ value_json." + entity.object + " }}";
  } else if (entity.reads) payload.state_topic = stateTopic(base, entity.object);
  if (entity.writes) {
    payload.command_topic = commandTopic(base, entity.object);
    // The device ignores retained commands, so Home Assistant must never send one.
    payload.retain = false;
  }
  Object.assign(payload, entity.fields);
  if (entity.component === "fan") {
    payload.preset_modes = ["auto"];
    payload.preset_mode_command_topic = commandTopic(base, "power");
    payload.preset_mode_command_template = "{{ value | upper }}";
    payload.preset_mode_state_topic = stateTopic(base, "mode");
    // `None` is Home Assistant's payload for "no preset": manual mode.
    payload.preset_mode_value_template = "{{ 'auto' if value == 'auto' else 'None' }}";
    const maxSpeed = options.maxSpeed ?? DEFAULT_FAN_SETTINGS.maxSpeed;
    if (maxSpeed > 1) {
      payload.percentage_command_topic = commandTopic(base, "speed");
      payload.percentage_state_topic = stateTopic(base, "speed");
      payload.speed_range_min = 1;
      payload.speed_range_max = maxSpeed;
    }
  }
  return payload;
};

const messageOf = (entity: EntitySpec, options: DiscoveryOptions): DiscoveryMessage => ({
  topic: discoveryTopic(discoveryPrefixOf(options), entity.component, options.id, entity.object),
  payload: JSON.stringify(buildPayload(entity, options)),
  retain: true,
});

/**
 * Builds one discovery message, so a device can publish them one by one.
 *
 * @param options The device to describe.
 * @param index Which entity, from 0 to {@linkcode discoveryMessageCount} - 1.
 * @returns The retained message, or an error for bad options or an index out of range.
 * @example
 * ```ts
 * import { discoveryMessageAt } from "./discovery.ts";
 * import assert from "node:assert/strict";
 * const options = { prefix: "", kind: "plugs" as const, id: "p1", name: "Desk", swVersion: "1.0" };
 * const first = discoveryMessageAt(options, 0);
 * assert.ok(first.ok);
 * assert.equal(first.value.topic, "homeassistant/switch/p1/power/config");
 * assert.equal(JSON.parse(first.value.payload).command_topic, "plugs/p1/commands/power");
 * assert.equal(discoveryMessageAt(options, 999).ok, false);
 * ```
 */
export function discoveryMessageAt(
  options: DiscoveryOptions,
  index: number,
): Result<DiscoveryMessage> {
  const problem = optionsProblem(options);
  if (problem !== "") return err(problem);
  const entity = index >= 0 && index < discoveryMessageCount(options.kind)
    ? specAt(options.kind, index)
    : undefined;
  if (entity === undefined) return err("no discovery entity at index " + JSON.stringify(index));
  return ok(messageOf(entity, options));
}

/**
 * Builds every discovery message of a device.
 *
 * @param options The device to describe.
 * @returns All retained messages, or an error naming the bad option.
 * @example
 * ```ts
 * import { discoveryMessages } from "./discovery.ts";
 * import assert from "node:assert/strict";
 * const result = discoveryMessages({
 *   prefix: "home/", kind: "fans", id: "bath", name: "Bathroom fan", swVersion: "1.0", maxSpeed: 3,
 * });
 * assert.ok(result.ok);
 * const fan = result.value.find((m) => m.topic === "homeassistant/fan/bath/power/config");
 * assert.ok(fan);
 * const config = JSON.parse(fan.payload);
 * assert.equal(config.percentage_command_topic, "home/fans/bath/commands/speed");
 * assert.equal(config.speed_range_max, 3);
 * const bad = discoveryMessages({ prefix: "", kind: "fans", id: "Bad Id", name: "x", swVersion: "" });
 * assert.equal(bad.ok, false);
 * ```
 */
export function discoveryMessages(options: DiscoveryOptions): Result<DiscoveryMessage[]> {
  const problem = optionsProblem(options);
  if (problem !== "") return err(problem);
  return ok(specsOf(options.kind).map((entity) => messageOf(entity, options)));
}

/**
 * Builds the messages that remove a device from Home Assistant: an empty retained
 * payload on each of its discovery topics.
 *
 * @param target The device to remove; a full {@linkcode DiscoveryOptions} also fits.
 * @returns The retained empty messages, or an error naming the bad option.
 * @example
 * ```ts
 * import { discoveryRemovalMessages } from "./discovery.ts";
 * import assert from "node:assert/strict";
 * const result = discoveryRemovalMessages({ kind: "plugs", id: "p1" });
 * assert.ok(result.ok);
 * assert.ok(result.value.every((m) => m.payload === "" && m.retain));
 * assert.ok(result.value.some((m) => m.topic === "homeassistant/sensor/p1/watts/config"));
 * ```
 */
export function discoveryRemovalMessages(target: DiscoveryTarget): Result<DiscoveryMessage[]> {
  const problem = targetProblem(target);
  if (problem !== "") return err(problem);
  const discoveryPrefix = discoveryPrefixOf(target);
  return ok(
    specsOf(target.kind).map((entity): DiscoveryMessage => ({
      topic: discoveryTopic(discoveryPrefix, entity.component, target.id, entity.object),
      payload: "",
      retain: true,
    })),
  );
}
