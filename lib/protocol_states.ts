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
  /** The state's parameter, e.g. `watts`. */
  param: string;
  /** `<base>/states/<param>`. */
  topic: string;
  /** The plain-text value. */
  payload: string;
  /** Always `true`: states are retained. */
  retain: true;
}

/**
 * Receives one state: its parameter, its plain-text payload, and its value as it appears in
 * the JSON snapshot.
 */
export type StateVisitor = (param: string, payload: string, json: string) => void;

const visitNumber = (
  visit: StateVisitor,
  param: string,
  value: number | null,
  decimals: number,
): void => {
  if (typeof value !== "number" || !isFinite(value)) {
    visit(param, MISSING_STATE_PAYLOAD, "null");
    return;
  }
  const text = formatDecimal(value, decimals);
  visit(param, text, text);
};

const visitText = (visit: StateVisitor, param: string, value: string): void => {
  const text = String(value);
  visit(param, text, JSON.stringify(text));
};

const visitSettings = (
  visit: StateVisitor,
  kind: DeviceKind,
  settings: PlugSettings | FanSettings,
): void => {
  const values = settings as unknown as Record<string, SettingValue>;
  findSettingSpec(kind, (spec) => {
    if (spec.access === "local") return false;
    const value = values[spec.field] as SettingValue;
    if (spec.kind !== "number") visitText(visit, spec.name, formatSettingValue(spec, value));
    else if (typeof value !== "number" || !isFinite(value)) visitNumber(visit, spec.name, null, 0);
    else {
      const text = formatSettingValue(spec, value);
      visit(spec.name, text, text);
    }
    return false;
  });
};

const visitTail = (visit: StateVisitor, network: NetworkInfo, uptimeMs: number): void => {
  visitNumber(visit, "rssi", network.rssiDbm, 0);
  visitText(visit, "ssid", network.ssid);
  visitText(visit, "ip", network.ip);
  visitText(visit, "mac", network.mac);
  visitNumber(visit, "uptime", Math.floor(uptimeMs / 1000), 0);
};

const visitPlug = (visit: StateVisitor, states: PlugStates): void => {
  visitText(visit, "power", states.on === true ? "ON" : "OFF");
  visitNumber(visit, "watts", states.powerW, 1);
  visitNumber(visit, "volts", states.voltageV, 1);
  visitNumber(visit, "amps", states.currentA, 3);
  visitNumber(visit, "power_factor", states.powerFactor, 2);
  visitNumber(visit, "apparent_va", states.apparentVA, 1);
  visitNumber(visit, "energy_total", states.energyTotalWh, 3);
  visitNumber(visit, "energy_today", states.energyTodayWh, 3);
  visitNumber(visit, "energy_yesterday", states.energyYesterdayWh, 3);
  visitText(visit, "fault", states.fault === null ? "none" : states.fault);
  visitSettings(visit, "plugs", states.settings);
  visitTail(visit, states.network, states.uptimeMs);
};

const visitFan = (visit: StateVisitor, states: FanStates): void => {
  visitText(visit, "power", states.on === true ? "ON" : "OFF");
  visitNumber(visit, "speed", states.speed, 0);
  visitText(visit, "mode", states.mode);
  visitText(visit, "control", states.control);
  visitText(visit, "reason", states.reason);
  visitNumber(visit, "temperature", states.tempC, 1);
  visitNumber(visit, "humidity", states.humidityPct, 1);
  visitSettings(visit, "fans", states.settings);
  visitTail(visit, states.network, states.uptimeMs);
};

/**
 * Walks a device's states one at a time, in protocol order (power first, uptime last),
 * without building them all: on an ESP8266 some 30 state objects at once do not fit.
 *
 * @param kind `plugs` or `fans`.
 * @param states Everything the device reports.
 * @param visit Called once per state.
 * @example
 * ```ts
 * import { forEachState } from "./protocol_states.ts";
 * import { DEFAULT_FAN_SETTINGS } from "./settings.ts";
 * import assert from "node:assert/strict";
 * const seen: string[] = [];
 * forEachState("fans", {
 *   on: true, speed: 2, mode: "auto", control: "full", reason: "humidity",
 *   tempC: 23.46, humidityPct: null, settings: DEFAULT_FAN_SETTINGS, uptimeMs: 5000,
 *   network: { rssiDbm: -70, ssid: "home", ip: "192.168.1.21", mac: "aa:bb:cc:dd:ee:01" },
 * }, (param, payload, json) => seen.push(param + "=" + payload + "|" + json));
 * assert.equal(seen[0], "power=ON|\"ON\"");
 * assert.ok(seen.includes("temperature=23.5|23.5"));
 * assert.ok(seen.includes("humidity=None|null"));
 * ```
 */
export function forEachState<K extends DeviceKind>(
  kind: K,
  states: StatesByKind[K],
  visit: StateVisitor,
): void {
  if (kind === "plugs") visitPlug(visit, states as PlugStates);
  else visitFan(visit, states as FanStates);
}

const messagesOf = <K extends DeviceKind>(
  kind: K,
  base: string,
  states: StatesByKind[K],
): StateMessage[] => {
  const messages: StateMessage[] = [];
  forEachState(kind, states, (param, payload) => {
    messages.push({ param: param, topic: stateTopic(base, param), payload: payload, retain: true });
  });
  return messages;
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
 *   param: "watts",
 *   topic: "plugs/p1/states/watts",
 *   payload: "1234.6",
 *   retain: true,
 * });
 * assert.equal(messages.find((m) => m.param === "uptime")?.payload, "61");
 * ```
 */
export function plugStateMessages(base: string, states: PlugStates): StateMessage[] {
  return messagesOf("plugs", base, states);
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
  return messagesOf("fans", base, states);
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
  let text = "{";
  forEachState(kind, states, (param, _payload, json) => {
    if (text !== "{") text += ",";
    text += JSON.stringify(param) + ":" + json;
  });
  return text + "}";
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
 *   param, topic: "plugs/p1/states/" + param, payload, retain: true as const,
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
