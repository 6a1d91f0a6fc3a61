/**
 * The schema of every plug and fan setting: its MQTT name, who may change it, its kind,
 * unit, range, resolution and default, plus the fan's cross-field rules. One table drives
 * validation, the MQTT commands and states, storage and the web page.
 *
 * @module
 */

import {
  DEFAULT_FAN_SETTINGS,
  DEFAULT_PLUG_SETTINGS,
  type FanSettings,
  type PlugSettings,
  type SettingKey,
} from "./settings.ts";
import type { DeviceKind } from "./topics.ts";

/** Who may change a setting, and whether it is published as a state. */
export type SettingAccess = "command" | "state" | "local";

/** The shape of a setting's value. */
export type SettingKind = "number" | "boolean" | "enum";

/** A setting's value in internal units (milliseconds, watts, `"last"`, `true`...). */
export type SettingValue = number | boolean | string;

/** Describes one field of a settings object. */
export interface SettingSpec<K extends string = string> {
  /** Field name in code, e.g. `humOnPct`. */
  key: K;
  /** Name in the MQTT protocol (`<base>/commands/<name>`, `<base>/states/<name>`), e.g. `hum_on`. */
  name: string;
  /**
   * `command`: set by an MQTT command and published as a state; `state`: published, set
   * only through the settings; `local`: only in the settings (web page, storage).
   */
  access: SettingAccess;
  /** `number`, `boolean` (ON/OFF on the wire) or `enum` (see `values`). */
  kind: SettingKind;
  /** Allowed values of an `enum` as stored (lower-case; upper-case on the wire); else empty. */
  values: readonly string[];
  /** Protocol unit shown in messages, e.g. `%RH` or `s`; empty when none. */
  unit: string;
  /** Internal value = protocol value × scale (1000 for seconds kept as milliseconds). */
  scale: number;
  /** Lowest allowed value, in protocol units (numbers only). */
  min: number;
  /** Highest allowed value, in protocol units (numbers only). */
  max: number;
  /** Decimal places kept in protocol units (3 for seconds: whole milliseconds); 0 = whole. */
  decimals: number;
  /** Default value, in internal units. */
  defaultValue: SettingValue;
}

/** A cross-field rule: the `lower` setting must stay strictly below the `upper` one. */
export interface SettingOrderRule<K extends string = string> {
  /** The field that must be lower, e.g. `humOffPct`. */
  lower: K;
  /** The field that must be higher, e.g. `humOnPct`. */
  upper: K;
}

// Builders leave `defaultValue` to `withDefaults`, which reads it from the defaults
// object so that a default is written once.
function numberSetting<K extends string>(
  key: K,
  name: string,
  access: SettingAccess,
  unit: string,
  limits: readonly number[],
  decimals: number,
): SettingSpec<K> {
  return {
    key: key,
    name: name,
    access: access,
    kind: "number",
    values: [],
    unit: unit,
    scale: 1,
    min: limits[0] as number,
    max: limits[1] as number,
    decimals: decimals,
    defaultValue: 0,
  };
}

// Seconds on the wire, whole milliseconds in code.
function secondsSetting<K extends string>(
  key: K,
  name: string,
  access: SettingAccess,
  limits: readonly number[],
): SettingSpec<K> {
  const spec = numberSetting(key, name, access, "s", limits, 3);
  spec.scale = 1000;
  return spec;
}

// ON/OFF on the wire.
function flagSetting<K extends string>(
  key: K,
  name: string,
  access: SettingAccess,
): SettingSpec<K> {
  const spec = numberSetting(key, name, access, "", [0, 0], 0);
  spec.kind = "boolean";
  return spec;
}

function choiceSetting<K extends string>(
  key: K,
  name: string,
  access: SettingAccess,
  values: readonly string[],
): SettingSpec<K> {
  const spec = numberSetting(key, name, access, "", [0, 0], 0);
  spec.kind = "enum";
  spec.values = values;
  return spec;
}

function withDefaults<S, K extends string>(defaults: S, specs: SettingSpec<K>[]): SettingSpec<K>[] {
  for (const spec of specs) {
    spec.defaultValue = (defaults as Record<string, SettingValue>)[spec.key] as SettingValue;
  }
  return specs;
}

// The tables are built on each call rather than held in module constants: their code sits
// in flash on an ESP8266, whereas the objects would hold an estimated few hundred of its
// 1600 variables for the device's lifetime.
const plugSpecs = (): SettingSpec<keyof PlugSettings>[] =>
  withDefaults(DEFAULT_PLUG_SETTINGS, [
    choiceSetting("powerOnState", "power_on_state", "command", ["off", "on", "last"]),
    numberSetting("maxPowerW", "max_power", "command", "W", [0, 4000], 1),
    secondsSetting("telemetryMs", "telemetry", "command", [1, 86400]),
    choiceSetting("telemetryMode", "telemetry_mode", "command", ["full", "snapshot"]),
    secondsSetting("overPowerHoldMs", "over_power_hold", "local", [0, 60]),
    secondsSetting("minSwitchIntervalMs", "min_switch_interval", "local", [0, 60]),
    numberSetting("nominalVoltageV", "nominal_voltage", "local", "V", [50, 300], 1),
    numberSetting("currentGainA", "current_gain", "local", "A/unit", [0.000001, 100000], 6),
    numberSetting("voltageGainV", "voltage_gain", "local", "V/unit", [0.000001, 100000], 6),
    numberSetting("phaseCorrectionDeg", "phase_correction", "local", "°", [-90, 90], 2),
    numberSetting("tzOffsetMin", "tz_offset", "local", "min", [-720, 840], 0),
  ]);

const fanSpecs = (): SettingSpec<keyof FanSettings>[] =>
  withDefaults(DEFAULT_FAN_SETTINGS, [
    numberSetting("humOnPct", "hum_on", "command", "%RH", [1, 100], 1),
    numberSetting("humOffPct", "hum_off", "command", "%RH", [0, 99], 1),
    numberSetting("humRisePct", "hum_rise", "command", "%RH", [0, 50], 1),
    numberSetting("tempOnC", "temp_on", "command", "°C", [-20, 60], 1),
    numberSetting("tempOffC", "temp_off", "command", "°C", [-20, 60], 1),
    flagSetting("humUsing", "hum_using", "command"),
    flagSetting("tempUsing", "temp_using", "command"),
    flagSetting("timeUsing", "time_using", "command"),
    secondsSetting("timerOnMs", "timer_on", "command", [0, 86400]),
    secondsSetting("timerOffMs", "timer_off", "command", [0, 86400]),
    secondsSetting("warmMs", "warm", "command", [0, 3600]),
    secondsSetting("checkPeriodMs", "check_period", "command", [0, 86400]),
    secondsSetting("minOnMs", "min_on", "command", [0, 3600]),
    secondsSetting("minOffMs", "min_off", "command", [0, 3600]),
    secondsSetting("maxRunMs", "max_run", "command", [0, 86400]),
    secondsSetting("telemetryMs", "telemetry", "command", [1, 86400]),
    choiceSetting("telemetryMode", "telemetry_mode", "command", ["full", "snapshot"]),
    secondsSetting("cooldownMs", "cooldown", "local", [0, 86400]),
    numberSetting("maxSpeed", "max_speed", "state", "", [1, 100], 0),
    secondsSetting("sensorStaleMs", "sensor_stale", "local", [1, 86400]),
  ]);

/**
 * Lists the schema of a device kind's settings: every field's MQTT name, access, kind,
 * unit, scale, range, resolution and default.
 *
 * @param kind `plugs` or `fans`.
 * @returns A fresh array of every field's spec, in display order.
 * @example
 * ```ts
 * import { settingSpecs } from "./settings_schema.ts";
 * import assert from "node:assert/strict";
 * const humOn = settingSpecs("fans").find((spec) => spec.key === "humOnPct");
 * assert.deepEqual(humOn, {
 *   key: "humOnPct",
 *   name: "hum_on",
 *   access: "command",
 *   kind: "number",
 *   values: [],
 *   unit: "%RH",
 *   scale: 1,
 *   min: 1,
 *   max: 100,
 *   decimals: 1,
 *   defaultValue: 80,
 * });
 * assert.equal(settingSpecs("fans").find((spec) => spec.name === "timer_on")?.scale, 1000);
 * ```
 */
export function settingSpecs<K extends DeviceKind>(kind: K): SettingSpec<SettingKey<K>>[] {
  const specs = kind === "plugs" ? plugSpecs() : fanSpecs();
  return specs as unknown as SettingSpec<SettingKey<K>>[];
}

/**
 * Lists the cross-field rules of a device kind's settings: for fans, `hum_off` below
 * `hum_on` and `temp_off` below `temp_on`.
 *
 * @param kind `plugs` or `fans`.
 * @returns A fresh array of the rules (none for plugs).
 * @example
 * ```ts
 * import { settingRules } from "./settings_schema.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(settingRules("plugs"), []);
 * assert.deepEqual(settingRules("fans"), [
 *   { lower: "humOffPct", upper: "humOnPct" },
 *   { lower: "tempOffC", upper: "tempOnC" },
 * ]);
 * ```
 */
export function settingRules<K extends DeviceKind>(kind: K): SettingOrderRule<SettingKey<K>>[] {
  const rules: SettingOrderRule<keyof FanSettings>[] = kind === "plugs" ? [] : [
    { lower: "humOffPct", upper: "humOnPct" },
    { lower: "tempOffC", upper: "tempOnC" },
  ];
  return rules as unknown as SettingOrderRule<SettingKey<K>>[];
}

/**
 * Finds a setting's spec by its field name in code.
 *
 * @param kind `plugs` or `fans`.
 * @param key The field name, e.g. `humOnPct`.
 * @returns The spec, or `null` when the kind has no such field.
 * @example
 * ```ts
 * import { settingSpecByKey } from "./settings_schema.ts";
 * import assert from "node:assert/strict";
 * assert.equal(settingSpecByKey("fans", "humOnPct")?.name, "hum_on");
 * assert.equal(settingSpecByKey("plugs", "humOnPct"), null);
 * ```
 */
export function settingSpecByKey<K extends DeviceKind>(
  kind: K,
  key: string,
): SettingSpec<SettingKey<K>> | null {
  const found = settingSpecs(kind).find((spec) => spec.key === key);
  return found === undefined ? null : found;
}

/**
 * Finds a setting's spec by its MQTT name.
 *
 * @param kind `plugs` or `fans`.
 * @param name The protocol name, e.g. `hum_on`.
 * @returns The spec, or `null` when the kind has no such setting.
 * @example
 * ```ts
 * import { settingSpecByName } from "./settings_schema.ts";
 * import assert from "node:assert/strict";
 * assert.equal(settingSpecByName("plugs", "max_power")?.key, "maxPowerW");
 * assert.equal(settingSpecByName("plugs", "hum_on"), null);
 * ```
 */
export function settingSpecByName<K extends DeviceKind>(
  kind: K,
  name: string,
): SettingSpec<SettingKey<K>> | null {
  const found = settingSpecs(kind).find((spec) => spec.name === name);
  return found === undefined ? null : found;
}
