/**
 * MQTT protocol v1, what a device publishes: one retained plain-text message per state on
 * `<base>/states/<param>` and the JSON snapshot of all of them on `<base>/state`, both on
 * change and at each telemetry period.
 *
 * Numbers are plain decimals rounded per state (watts, volts and VA 1 decimal, amps 3,
 * power factor 2, energy Wh 3, °C and %RH 1, uptime whole seconds); words are upper-case
 * `ON`/`OFF` for switches and settings, lower-case for `mode`, `control` and `reason`. A
 * reading that is missing is published as `None`, which Home Assistant shows as unknown,
 * and is `null` in the snapshot. Settings that MQTT may change (and the fan's `max_speed`)
 * are published too, in the same text their commands take. The Wi-Fi password is never
 * part of any state: no state carries it.
 *
 * @module
 */

import { formatDecimal } from "./decimal.ts";
import type { FanControl, FanMode, FanReason } from "./fan_types.ts";
import type { NetworkInfo } from "./ports.ts";
import type { FanSettings, PlugSettings } from "./settings.ts";
import { findSettingSpec, type SettingValue } from "./settings_schema.ts";
import { formatSettingValue } from "./setting_value.ts";
import { type DeviceKind, stateTopic } from "./topics.ts";

/**
 * The payload of a state whose reading is missing (e.g. no sensor). `None` is what Home
 * Assistant's MQTT sensors read as "unknown".
 *
 * @example
 * ```ts
 * import { MISSING_STATE_PAYLOAD } from "./protocol_states.ts";
 * import assert from "node:assert/strict";
 * assert.equal(MISSING_STATE_PAYLOAD, "None");
 * ```
 */
export const MISSING_STATE_PAYLOAD = "None";

/** Everything a plug publishes. */
export interface PlugStates {
  /** Relay closed (`power` ON/OFF). */
  on: boolean;
  /** Real power (`watts`); `null` when not measured. */
  powerW: number | null;
  /** RMS voltage (`volts`); `null` on a board that only measures current. */
  voltageV: number | null;
  /** RMS current (`amps`); `null` when not measured. */
  currentA: number | null;
  /** Power factor (`power_factor`); `null` when unknown. */
  powerFactor: number | null;
  /** Apparent power (`apparent_va`); `null` when not measured. */
  apparentVA: number | null;
  /** Energy since the last reset (`energy_total`). */
  energyTotalWh: number;
  /** Energy of the local day so far (`energy_today`). */
  energyTodayWh: number;
  /** Energy of the previous local day (`energy_yesterday`). */
  energyYesterdayWh: number;
  /** Why the relay was forced open (`fault`); `null` publishes `none`. */
  fault: string | null;
  /** Current settings; those MQTT may change are published. */
  settings: PlugSettings;
  /** Wi-Fi facts (`rssi`, `ssid`, `ip`, `mac`); never the password. */
  network: NetworkInfo;
  /** Time since boot (`uptime`, published in whole seconds). */
  uptimeMs: number;
}

/** Everything a fan publishes. */
export interface FanStates {
  /** Fan running (`power` ON/OFF). */
  on: boolean;
  /** Speed step, 0 = off (`speed`). */
  speed: number;
  /** Automatic control or a manual override (`mode`). */
  mode: FanMode;
  /** Which of sensor and network are available (`control`). */
  control: FanControl;
  /** Why the fan runs or stopped last (`reason`). */
  reason: FanReason;
  /** Temperature (`temperature`); `null` when the sensor is missing or stale. */
  tempC: number | null;
  /** Relative humidity (`humidity`); `null` when the sensor is missing or stale. */
  humidityPct: number | null;
  /** Current settings; those MQTT may change, and `max_speed`, are published. */
  settings: FanSettings;
  /** Wi-Fi facts (`rssi`, `ssid`, `ip`, `mac`); never the password. */
  network: NetworkInfo;
  /** Time since boot (`uptime`, published in whole seconds). */
  uptimeMs: number;
}

/** The states of each device kind. */
export interface StatesByKind {
  /** A plug's states. */
  plugs: PlugStates;
  /** A fan's states. */
  fans: FanStates;
}

/** One retained state message. */
export interface StateMessage {
  /**
   * Always `publish`: a state message is also the effect that publishes it, so a batch of
   * them does not take twice the memory (on an ESP8266 each object costs some 15 variables).
   */
  type: "publish";
  /** The state's parameter, e.g. `watts`. */
  param: string;
  /** `<base>/states/<param>`. */
  topic: string;
  /** The plain-text value. */
  payload: string;
  /** Always `true`: states are retained. */
  retain: true;
}

// `json` is the value as it appears in the snapshot.
interface StateEntry {
  param: string;
  payload: string;
  json: string;
}

const numberEntry = (param: string, value: number | null, decimals: number): StateEntry => {
  if (typeof value !== "number" || !isFinite(value)) {
    return { param: param, payload: MISSING_STATE_PAYLOAD, json: "null" };
  }
  const text = formatDecimal(value, decimals);
  return { param: param, payload: text, json: text };
};

const textEntry = (param: string, value: string): StateEntry => {
  const text = String(value);
  return { param: param, payload: text, json: JSON.stringify(text) };
};

const switchEntry = (param: string, on: boolean): StateEntry =>
  textEntry(param, on === true ? "ON" : "OFF");

const settingEntries = (kind: DeviceKind, settings: PlugSettings | FanSettings): StateEntry[] => {
  const values = settings as unknown as Record<string, SettingValue>;
  const entries: StateEntry[] = [];
  findSettingSpec(kind, (spec) => {
    if (spec.access === "local") return false;
    const value = values[spec.key] as SettingValue;
    if (spec.kind !== "number") entries.push(textEntry(spec.name, formatSettingValue(spec, value)));
    else if (typeof value !== "number" || !isFinite(value)) {
      entries.push(numberEntry(spec.name, null, 0));
    } else {
      const text = formatSettingValue(spec, value);
      entries.push({ param: spec.name, payload: text, json: text });
    }
    return false;
  });
  return entries;
};

const tailEntries = (network: NetworkInfo, uptimeMs: number): StateEntry[] => [
  numberEntry("rssi", network.rssiDbm, 0),
  textEntry("ssid", network.ssid),
  textEntry("ip", network.ip),
  textEntry("mac", network.mac),
  numberEntry("uptime", Math.floor(uptimeMs / 1000), 0),
];

const plugEntries = (states: PlugStates): StateEntry[] =>
  [
    switchEntry("power", states.on),
    numberEntry("watts", states.powerW, 1),
    numberEntry("volts", states.voltageV, 1),
    numberEntry("amps", states.currentA, 3),
    numberEntry("power_factor", states.powerFactor, 2),
    numberEntry("apparent_va", states.apparentVA, 1),
    numberEntry("energy_total", states.energyTotalWh, 3),
    numberEntry("energy_today", states.energyTodayWh, 3),
    numberEntry("energy_yesterday", states.energyYesterdayWh, 3),
    textEntry("fault", states.fault === null ? "none" : states.fault),
  ].concat(settingEntries("plugs", states.settings), tailEntries(states.network, states.uptimeMs));

const fanEntries = (states: FanStates): StateEntry[] =>
  [
    switchEntry("power", states.on),
    numberEntry("speed", states.speed, 0),
    textEntry("mode", states.mode),
    textEntry("control", states.control),
    textEntry("reason", states.reason),
    numberEntry("temperature", states.tempC, 1),
    numberEntry("humidity", states.humidityPct, 1),
  ].concat(settingEntries("fans", states.settings), tailEntries(states.network, states.uptimeMs));

// The entries become the messages in place (their snapshot text is written first, if at
// all): on an ESP8266 a second object per state, 30 of them at once, does not fit.
const toMessages = (base: string, entries: StateEntry[]): StateMessage[] => {
  for (const entry of entries) {
    const message = entry as Partial<StateEntry> & StateMessage;
    message.type = "publish";
    message.topic = stateTopic(base, entry.param);
    message.retain = true;
    delete message.json;
  }
  return entries as unknown as StateMessage[];
};

/**
 * Builds the retained state messages of a plug, one per state.
 *
 * @param base The plug's base topic.
 * @param states Everything the plug reports.
 * @returns The messages, in protocol order (power first, uptime last).
 * @example
 * ```ts
 * import { plugStateMessages } from "./protocol_states.ts";
 * import { DEFAULT_PLUG_SETTINGS } from "./settings.ts";
 * import assert from "node:assert/strict";
 * const messages = plugStateMessages("plugs/p1", {
 *   on: true, powerW: 1234.56, voltageV: 229.94, currentA: 5.3712, powerFactor: 0.987,
 *   apparentVA: 1250.1, energyTotalWh: 1500.25, energyTodayWh: 12.5, energyYesterdayWh: 0,
 *   fault: null, settings: DEFAULT_PLUG_SETTINGS, uptimeMs: 61500,
 *   network: { rssiDbm: -61, ssid: "home", ip: "192.168.1.20", mac: "aa:bb:cc:dd:ee:ff" },
 * });
 * const watts = messages.find((m) => m.param === "watts");
 * assert.deepEqual(watts, {
 *   type: "publish",
 *   param: "watts",
 *   topic: "plugs/p1/states/watts",
 *   payload: "1234.6",
 *   retain: true,
 * });
 * assert.equal(messages.find((m) => m.param === "uptime")?.payload, "61");
 * ```
 */
export function plugStateMessages(base: string, states: PlugStates): StateMessage[] {
  return toMessages(base, plugEntries(states));
}

/**
 * Builds the retained state messages of a fan, one per state.
 *
 * @param base The fan's base topic.
 * @param states Everything the fan reports.
 * @returns The messages, in protocol order (power first, uptime last).
 * @example
 * ```ts
 * import { fanStateMessages } from "./protocol_states.ts";
 * import { DEFAULT_FAN_SETTINGS } from "./settings.ts";
 * import assert from "node:assert/strict";
 * const messages = fanStateMessages("fans/f1", {
 *   on: true, speed: 2, mode: "auto", control: "full", reason: "humidity",
 *   tempC: 23.46, humidityPct: null, settings: DEFAULT_FAN_SETTINGS, uptimeMs: 5000,
 *   network: { rssiDbm: -70, ssid: "home", ip: "192.168.1.21", mac: "aa:bb:cc:dd:ee:01" },
 * });
 * const payloadOf = (param: string) => messages.find((m) => m.param === param)?.payload;
 * assert.equal(payloadOf("temperature"), "23.5");
 * assert.equal(payloadOf("humidity"), "None");
 * assert.equal(payloadOf("timer_on"), "600");
 * assert.equal(payloadOf("hum_using"), "ON");
 * ```
 */
export function fanStateMessages(base: string, states: FanStates): StateMessage[] {
  return toMessages(base, fanEntries(states));
}

/**
 * Encodes the JSON snapshot of all states for `<base>/state`: the same values as the state
 * messages, numbers as JSON numbers, missing readings as `null`.
 *
 * @param kind `plugs` or `fans`.
 * @param states Everything the device reports.
 * @returns A JSON object keyed by state parameter, in protocol order.
 * @example
 * ```ts
 * import { encodeSnapshot } from "./protocol_states.ts";
 * import { DEFAULT_FAN_SETTINGS } from "./settings.ts";
 * import assert from "node:assert/strict";
 * const snapshot = JSON.parse(encodeSnapshot("fans", {
 *   on: false, speed: 0, mode: "manual", control: "remote", reason: "manual",
 *   tempC: null, humidityPct: 55.04, settings: DEFAULT_FAN_SETTINGS, uptimeMs: 0,
 *   network: { rssiDbm: -70, ssid: "home", ip: "192.168.1.21", mac: "aa:bb:cc:dd:ee:01" },
 * }));
 * assert.equal(snapshot.power, "OFF");
 * assert.equal(snapshot.humidity, 55);
 * assert.equal(snapshot.temperature, null);
 * assert.equal(snapshot.hum_on, 80);
 * ```
 */
export function encodeSnapshot<K extends DeviceKind>(kind: K, states: StatesByKind[K]): string {
  const entries = kind === "plugs"
    ? plugEntries(states as PlugStates)
    : fanEntries(states as FanStates);
  return snapshotOf(entries);
}

// Appended in place (`+=` on a string nothing else holds), not joined from a second array.
const snapshotOf = (entries: StateEntry[]): string => {
  let text = "{";
  for (const entry of entries) {
    if (text !== "{") text += ",";
    text += JSON.stringify(entry.param) + ":" + entry.json;
  }
  return text + "}";
};

/** A device's state messages and JSON snapshot, encoded together. */
export interface EncodedStates {
  /** One retained message per state, in protocol order. */
  messages: StateMessage[];
  /** The JSON snapshot for `<base>/state`. */
  snapshot: string;
}

/**
 * Encodes a device's state messages and JSON snapshot at once, formatting each value a
 * single time (the same result as {@linkcode plugStateMessages} or
 * {@linkcode fanStateMessages} with {@linkcode encodeSnapshot}).
 *
 * @param kind `plugs` or `fans`.
 * @param base The device's base topic.
 * @param states Everything the device reports.
 * @returns The messages and the snapshot.
 * @example
 * ```ts
 * import { encodeStates } from "./protocol_states.ts";
 * import { DEFAULT_FAN_SETTINGS } from "./settings.ts";
 * import assert from "node:assert/strict";
 * const encoded = encodeStates("fans", "fans/f1", {
 *   on: false, speed: 0, mode: "auto", control: "full", reason: "none",
 *   tempC: 21, humidityPct: 55, settings: DEFAULT_FAN_SETTINGS, uptimeMs: 0,
 *   network: { rssiDbm: -70, ssid: "home", ip: "192.168.1.21", mac: "aa:bb:cc:dd:ee:01" },
 * });
 * assert.equal(encoded.messages[0]?.topic, "fans/f1/states/power");
 * assert.equal(JSON.parse(encoded.snapshot).humidity, 55);
 * ```
 */
export function encodeStates<K extends DeviceKind>(
  kind: K,
  base: string,
  states: StatesByKind[K],
): EncodedStates {
  const entries = kind === "plugs"
    ? plugEntries(states as PlugStates)
    : fanEntries(states as FanStates);
  const snapshot = snapshotOf(entries);
  return { messages: toMessages(base, entries), snapshot: snapshot };
}

/**
 * Picks the state messages whose payload changed, to publish on change.
 *
 * @param previous The messages published last, or `null` before the first publish.
 * @param next The messages of the current states.
 * @returns The messages of `next` whose topic is new or whose payload differs, in order.
 * @example
 * ```ts
 * import { changedStates } from "./protocol_states.ts";
 * import assert from "node:assert/strict";
 * const message = (param: string, payload: string) => ({
 *   type: "publish" as const, param, topic: "plugs/p1/states/" + param, payload, retain: true as const,
 * });
 * const before = [message("power", "OFF"), message("watts", "0")];
 * const after = [before[0]!, Object.assign({}, before[1]!, { payload: "12.5" })];
 * assert.deepEqual(changedStates(before, after).map((m) => m.param), ["watts"]);
 * assert.equal(changedStates(null, after).length, 2);
 * ```
 */
export function changedStates(
  previous: readonly StateMessage[] | null,
  next: readonly StateMessage[],
): StateMessage[] {
  if (previous === null) return next.slice();
  const published: Record<string, string> = {};
  for (const message of previous) published[message.topic] = message.payload;
  return next.filter((message) =>
    !Object.prototype.hasOwnProperty.call(published, message.topic) ||
    published[message.topic] !== message.payload
  );
}

/**
 * Lists the states that change with every reading (and the network facts that go with
 * them). They wait for the telemetry period instead of going out on each change, and in
 * the `snapshot` telemetry mode they are published only inside the JSON snapshot.
 *
 * @param kind `plugs` or `fans`.
 * @returns The state parameters, e.g. `watts` or `humidity`.
 * @example
 * ```ts
 * import { telemetryParams } from "./protocol_states.ts";
 * import assert from "node:assert/strict";
 * assert.ok(telemetryParams("plugs").includes("watts"));
 * assert.ok(telemetryParams("fans").includes("humidity"));
 * assert.ok(!telemetryParams("plugs").includes("power"));
 * ```
 */
export function telemetryParams(kind: DeviceKind): string[] {
  const network = ["rssi", "uptime", "ip", "ssid", "mac"];
  return (kind === "plugs"
    ? [
      "watts",
      "volts",
      "amps",
      "power_factor",
      "apparent_va",
      "energy_total",
      "energy_today",
      "energy_yesterday",
    ]
    : ["temperature", "humidity"]).concat(network);
}
