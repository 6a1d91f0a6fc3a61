/**
 * One setting's value: checking it in internal units, and reading and writing it as the
 * protocol text (`600` seconds, `ON`, `LAST`) that MQTT commands, states and the web page
 * use. Messages name the setting by its MQTT name and speak protocol units:
 * `hum_on must be between 1 and 100 %RH, got 150`.
 *
 * @module
 */

import { formatDecimal, parseDecimal } from "./decimal.ts";
import { err, ok, type Result } from "./result.ts";
import type { SettingSpec, SettingValue } from "./settings_schema.ts";

const describeValue = (value: unknown): string => {
  if (typeof value === "string") {
    return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value);
  }
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === null || value === undefined) return String(value);
  return Array.isArray(value) ? "a list" : "an object";
};

const withUnit = (spec: SettingSpec, text: string): string =>
  spec.unit === "" ? text : text + " " + spec.unit;

// `value` is in protocol units; `shown` is how the message quotes it.
const checkProtocolNumber = (spec: SettingSpec, value: number, shown: string): Result<number> => {
  if (spec.decimals === 0 && Math.floor(value) !== value) {
    return err(spec.name + " must be a whole number, got " + shown);
  }
  const resolution = Math.pow(10, spec.decimals);
  const steps = Math.round(value * resolution);
  const rounded = steps / resolution;
  if (!(rounded >= spec.min && rounded <= spec.max)) {
    const limits = formatDecimal(spec.min, spec.decimals) + " and " +
      formatDecimal(spec.max, spec.decimals);
    return err(spec.name + " must be between " + withUnit(spec, limits) + ", got " + shown);
  }
  // steps * scale / resolution keeps milliseconds whole: both factors are powers of ten.
  const internal = steps * spec.scale / resolution;
  return ok(internal === 0 ? 0 : internal);
};

// Lower-case letters of a short ASCII word, or "" for anything else.
const asciiWord = (text: string): string =>
  text.length <= 16 && /^[A-Za-z]+$/.test(text) ? text.toLowerCase() : "";

const wireChoices = (values: readonly string[]): string => {
  const upper = values.map((value) => value.toUpperCase());
  const last = upper.pop() as string;
  return upper.length === 0 ? last : upper.join(", ") + " or " + last;
};

/**
 * Checks one setting's value in internal units, rounding a number to the setting's
 * resolution (e.g. whole milliseconds).
 *
 * @param spec The setting's schema.
 * @param value A candidate value of any type.
 * @returns The value to store, or a message such as `hum_on must be between 1 and 100 %RH, got 150`.
 * @example
 * ```ts
 * import { checkSettingValue } from "./setting_value.ts";
 * import { settingSpecByKey } from "./settings_schema.ts";
 * import assert from "node:assert/strict";
 * const humOn = settingSpecByKey("fans", "humOnPct")!;
 * assert.deepEqual(checkSettingValue(humOn, 75.04), { ok: true, value: 75 });
 * assert.deepEqual(checkSettingValue(humOn, 150), {
 *   ok: false,
 *   error: "hum_on must be between 1 and 100 %RH, got 150",
 * });
 * ```
 */
export function checkSettingValue(spec: SettingSpec, value: unknown): Result<SettingValue> {
  if (spec.kind === "boolean") {
    if (typeof value === "boolean") return ok(value);
    return err(spec.name + " must be true or false, got " + describeValue(value));
  }
  if (spec.kind === "enum") {
    if (typeof value === "string" && spec.values.indexOf(value) >= 0) return ok(value);
    return err(
      spec.name + " must be one of " + spec.values.join(", ") + ", got " +
        describeValue(value),
    );
  }
  if (typeof value !== "number" || !isFinite(value)) {
    return err(spec.name + " must be a number, got " + describeValue(value));
  }
  const protocolValue = value / spec.scale;
  return checkProtocolNumber(spec, protocolValue, String(protocolValue));
}

/**
 * Reads a setting from its protocol text: a plain decimal in protocol units (seconds for
 * durations), `ON`/`OFF`, or an upper-case choice; words are case-insensitive.
 *
 * @param spec The setting's schema.
 * @param text The payload or form field, taken as is (no trimming).
 * @returns The value in internal units, or a message naming the setting.
 * @example
 * ```ts
 * import { parseSettingText } from "./setting_value.ts";
 * import { settingSpecByName } from "./settings_schema.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseSettingText(settingSpecByName("fans", "timer_on")!, "90.5"), {
 *   ok: true,
 *   value: 90500,
 * });
 * assert.deepEqual(parseSettingText(settingSpecByName("fans", "hum_using")!, "off"), {
 *   ok: true,
 *   value: false,
 * });
 * assert.equal(parseSettingText(settingSpecByName("fans", "hum_on")!, "1e3").ok, false);
 * ```
 */
export function parseSettingText(spec: SettingSpec, text: string): Result<SettingValue> {
  if (typeof text !== "string") return err(spec.name + " must be text");
  if (spec.kind === "number") {
    const parsed = parseDecimal(text);
    if (!parsed.ok) {
      return err(spec.name + " must be a plain decimal number, got " + describeValue(text));
    }
    return checkProtocolNumber(spec, parsed.value, text);
  }
  const word = asciiWord(text);
  if (spec.kind === "boolean") {
    if (word === "on" || word === "off") return ok(word === "on");
    return err(spec.name + " must be ON or OFF, got " + describeValue(text));
  }
  if (word !== "" && spec.values.indexOf(word) >= 0) return ok(word);
  return err(spec.name + " must be " + wireChoices(spec.values) + ", got " + describeValue(text));
}

/**
 * Writes a setting as protocol text, the form {@link parseSettingText} reads back.
 *
 * @param spec The setting's schema.
 * @param value The value in internal units.
 * @returns E.g. `90.5` for 90500 ms, `ON`, `LAST`.
 * @example
 * ```ts
 * import { formatSettingValue } from "./setting_value.ts";
 * import { settingSpecByKey } from "./settings_schema.ts";
 * import assert from "node:assert/strict";
 * assert.equal(formatSettingValue(settingSpecByKey("fans", "timerOnMs")!, 90500), "90.5");
 * assert.equal(formatSettingValue(settingSpecByKey("plugs", "powerOnState")!, "last"), "LAST");
 * ```
 */
export function formatSettingValue(spec: SettingSpec, value: SettingValue): string {
  if (spec.kind === "boolean") return value === true ? "ON" : "OFF";
  if (spec.kind === "enum") return String(value).toUpperCase();
  return typeof value === "number" ? formatDecimal(value / spec.scale, spec.decimals) : "";
}
