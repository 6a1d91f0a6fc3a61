/**
 * The schema of every plug and fan setting: its MQTT name, who may change it, its kind,
 * unit, range and resolution, plus the fan's cross-field rules. One table drives
 * validation, the MQTT commands and states, storage and the web page. The defaults are
 * `DEFAULT_PLUG_SETTINGS` and `DEFAULT_FAN_SETTINGS` (`settings.ts`).
 *
 * @module
 */

import type { SettingKey } from "./settings.ts";
import type { DeviceKind } from "./topics.ts";

/** Who may change a setting, and whether it is published as a state. */
export type SettingAccess = "command" | "state" | "local";

/** The shape of a setting's value. */
export type SettingKind = "number" | "boolean" | "enum";

/** A setting's value in internal units (milliseconds, watts, `"last"`, `true`...). */
export type SettingValue = number | boolean | string;

/** Describes one field of a settings object. */
export interface SettingSpec<K extends string = string> {
  /** Field name in code, e.g. `humOnPct`: the name in the settings JSON and in commands. */
  key: K;
  /**
   * The property of a settings object that holds the value: the key, except in the
   * firmware's bundle, whose build gives settings shorter properties (a table line's key
   * is then written `<key>/<field>`; see firmware/setting_fields.ts).
   */
  field: K;
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
}

/** A cross-field rule: the `lower` setting must stay strictly below the `upper` one. */
export interface SettingOrderRule {
  /** The MQTT name of the setting that must be lower, e.g. `hum_off`. */
  lower: string;
  /** The MQTT name of the setting that must be higher, e.g. `hum_on`. */
  upper: string;
}

// The tables: one line per setting, `<key> <name> <access> <shape>` (the firmware's bundle
// writes `<key>/<field>`, see `SettingSpec.field`), the shape being
//   number <unit or -> <min> <max> <decimals>
//   seconds <min> <max>        (seconds on the wire, whole milliseconds in code)
//   flag                       (ON/OFF on the wire)
//   choice <value>|<value>...
// a comma ending each line but the last, and `^` standing for `°`, so that the text holds no
// escapes. One text per kind, read one line at a time: the fan's 20 specs as objects hold some
// 700 of an ESP8266's 1,600 variables, as an array of lines about 120, while the firmware keeps
// a long text without escapes in flash (one variable, see firmware/flash_bindings.ts). Defaults
// live only in the defaults objects (`settings.ts`): a walk never makes them (some 40 variables
// on the chip).
const PLUG_SPEC_TABLE = "powerOnState power_on_state command choice off|on|last," +
  "maxPowerW max_power command number W 0 4000 1," +
  "telemetryMs telemetry command seconds 1 86400," +
  "telemetryMode telemetry_mode command choice full|snapshot," +
  "overPowerHoldMs over_power_hold local seconds 0 60," +
  "minSwitchIntervalMs min_switch_interval local seconds 0 60," +
  "nominalVoltageV nominal_voltage local number V 50 300 1," +
  "currentGainA current_gain local number A/unit 0.000001 100000 6," +
  "voltageGainV voltage_gain local number V/unit 0.000001 100000 6," +
  "phaseCorrectionDeg phase_correction local number ^ -90 90 2," +
  "tzOffsetMin tz_offset local number min -720 840 0";

const FAN_SPEC_TABLE = "humOnPct hum_on command number %RH 1 100 1," +
  "humOffPct hum_off command number %RH 0 99 1," +
  "humRisePct hum_rise command number %RH 0 50 1," +
  "tempOnC temp_on command number ^C -20 60 1," +
  "tempOffC temp_off command number ^C -20 60 1," +
  "humUsing hum_using command flag," +
  "tempUsing temp_using command flag," +
  "timeUsing time_using command flag," +
  "timerOnMs timer_on command seconds 0 86400," +
  "timerOffMs timer_off command seconds 0 86400," +
  "warmMs warm command seconds 0 3600," +
  "checkPeriodMs check_period command seconds 0 86400," +
  "minOnMs min_on command seconds 0 3600," +
  "minOffMs min_off command seconds 0 3600," +
  "maxRunMs max_run command seconds 0 86400," +
  "telemetryMs telemetry command seconds 1 86400," +
  "telemetryMode telemetry_mode command choice full|snapshot," +
  "cooldownMs cooldown local seconds 0 86400," +
  "maxSpeed max_speed state number - 1 100 0," +
  "sensorStaleMs sensor_stale local seconds 1 86400";

const parseSpecLine = (line: string): SettingSpec => {
  const fields = line.split(" ");
  const keyAndField = (fields[0] as string).split("/");
  const key = keyAndField[0] as string;
  const shape = fields[3];
  const spec: SettingSpec = {
    key: key,
    field: keyAndField.length > 1 ? keyAndField[1] as string : key,
    name: fields[1] as string,
    access: fields[2] as SettingAccess,
    kind: "number",
    values: [],
    unit: "",
    scale: 1,
    min: 0,
    max: 0,
    decimals: 0,
  };
  if (shape === "number") {
    spec.unit = fields[4] === "-" ? "" : (fields[4] as string).replace("^", "\u00b0");
    spec.min = parseFloat(fields[5] as string);
    spec.max = parseFloat(fields[6] as string);
    spec.decimals = parseInt(fields[7] as string, 10);
  } else if (shape === "seconds") {
    spec.unit = "s";
    spec.scale = 1000;
    spec.min = parseFloat(fields[4] as string);
    spec.max = parseFloat(fields[5] as string);
    spec.decimals = 3;
  } else if (shape === "flag") spec.kind = "boolean";
  else {
    spec.kind = "enum";
    spec.values = (fields[4] as string).split("|");
  }
  return spec;
};

/**
 * Finds the first setting's spec of a device kind that `test` accepts, building one spec
 * at a time (only the one being tested is in memory as an object).
 *
 * @param kind `plugs` or `fans`.
 * @param test Called with each spec in order until it returns `true`.
 * @param from The place in display order to start at (0 when absent).
 * @returns The spec accepted, or `null` when none was.
 * @example
 * ```ts
 * import { findSettingSpec } from "./settings_schema.ts";
 * import assert from "node:assert/strict";
 * const names: string[] = [];
 * findSettingSpec("plugs", (spec) => {
 *   names.push(spec.name);
 *   return false;
 * });
 * assert.equal(names.length, 11);
 * assert.equal(findSettingSpec("fans", (spec) => spec.unit === "°C")?.name, "temp_on");
 * assert.equal(findSettingSpec("plugs", () => true, 1)?.name, "max_power");
 * ```
 */
export function findSettingSpec<K extends DeviceKind>(
  kind: K,
  test: (spec: SettingSpec<SettingKey<K>>) => boolean,
  from?: number,
): SettingSpec<SettingKey<K>> | null {
  const table = kind === "plugs" ? PLUG_SPEC_TABLE : FAN_SPEC_TABLE;
  const first = from === undefined ? 0 : from;
  for (let at = 0, index = 0; at < table.length; index++) {
    let end = table.indexOf(",", at);
    if (end < 0) end = table.length;
    if (index >= first) {
      const spec = parseSpecLine(table.slice(at, end)) as SettingSpec<SettingKey<K>>;
      if (test(spec)) return spec;
    }
    at = end + 1;
  }
  return null;
}

/**
 * Lists the schema of a device kind's settings: every field's MQTT name, access, kind,
 * unit, scale, range and resolution.
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
 *   field: "humOnPct",
 *   name: "hum_on",
 *   access: "command",
 *   kind: "number",
 *   values: [],
 *   unit: "%RH",
 *   scale: 1,
 *   min: 1,
 *   max: 100,
 *   decimals: 1,
 * });
 * assert.equal(settingSpecs("fans").find((spec) => spec.name === "timer_on")?.scale, 1000);
 * ```
 */
export function settingSpecs<K extends DeviceKind>(kind: K): SettingSpec<SettingKey<K>>[] {
  const specs: SettingSpec<SettingKey<K>>[] = [];
  findSettingSpec(kind, (spec) => {
    specs.push(spec);
    return false;
  });
  return specs;
}

/**
 * Lists the cross-field rules of a device kind's settings, by MQTT name: for fans,
 * `hum_off` below `hum_on` and `temp_off` below `temp_on`.
 *
 * @param kind `plugs` or `fans`.
 * @returns A fresh array of the rules (none for plugs).
 * @example
 * ```ts
 * import { settingRules } from "./settings_schema.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(settingRules("plugs"), []);
 * assert.deepEqual(settingRules("fans"), [
 *   { lower: "hum_off", upper: "hum_on" },
 *   { lower: "temp_off", upper: "temp_on" },
 * ]);
 * ```
 */
export function settingRules(kind: DeviceKind): SettingOrderRule[] {
  return kind === "plugs" ? [] : [
    { lower: "hum_off", upper: "hum_on" },
    { lower: "temp_off", upper: "temp_on" },
  ];
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
  return findSettingSpec(kind, (spec) => spec.key === key);
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
  return findSettingSpec(kind, (spec) => spec.name === name);
}
