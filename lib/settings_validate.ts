/**
 * Validation of whole settings objects (from storage or a web form) and of single changes
 * (from an MQTT command or a form field) against the schema, cross-field rules included.
 *
 * Nothing here mutates its input: a rejected change leaves the settings as they were.
 *
 * @module
 */

import { err, ok, type Result } from "./result.ts";
import {
  defaultSettings,
  type FanSettings,
  type PlugSettings,
  type SettingsByKind,
} from "./settings.ts";
import {
  findSettingSpec,
  type SettingOrderRule,
  settingRules,
  type SettingSpec,
  settingSpecByKey,
  settingSpecByName,
  type SettingValue,
} from "./settings_schema.ts";
import { checkSettingValue, formatSettingValue, parseSettingText } from "./setting_value.ts";
import type { DeviceKind } from "./topics.ts";

/** What {@link repairSettings} made of an input. */
export interface RepairedSettings<S> {
  /** Valid settings: the input's valid fields, defaults for the rest. */
  settings: S;
  /** One message per field or rule that had to fall back to its default. */
  problems: string[];
  /** Input fields that are not settings of this kind (ignored). */
  unknownKeys: string[];
}

type SettingsRecord = Record<string, SettingValue>;

const kindLabel = (kind: DeviceKind): string => kind === "plugs" ? "plug" : "fan";

const withUnit = (spec: SettingSpec, text: string): string =>
  spec.unit === "" ? text : text + " " + spec.unit;

const describeShape = (input: unknown): string =>
  input === null ? "null" : Array.isArray(input) ? "a list" : typeof input;

// A rule's setting's field by its MQTT name; its spec is let go at once (on an ESP8266 a
// parsed spec is some 20 variables, and a check holds the changed setting's already).
const fieldByName = (kind: DeviceKind, name: string): SettingSpec["field"] =>
  (settingSpecByName(kind, name) as SettingSpec).field;

// "" when the rule holds; the wording depends on which side just changed.
const ruleProblem = (
  kind: DeviceKind,
  rule: SettingOrderRule,
  settings: SettingsRecord,
  changedName: string,
): string => {
  const lower = settings[fieldByName(kind, rule.lower)] as number;
  const upper = settings[fieldByName(kind, rule.upper)] as number;
  if (lower < upper) return "";
  const lowerSpec = settingSpecByName(kind, rule.lower) as SettingSpec;
  const upperSpec = settingSpecByName(kind, rule.upper) as SettingSpec;
  const lowerText = formatSettingValue(lowerSpec, lower);
  const upperText = formatSettingValue(upperSpec, upper);
  if (changedName === rule.upper) {
    return upperSpec.name + " must be above " + lowerSpec.name + " (" +
      withUnit(lowerSpec, lowerText) + "), got " + upperText;
  }
  return lowerSpec.name + " must be below " + upperSpec.name + " (" +
    withUnit(upperSpec, upperText) + "), got " + lowerText;
};

// Both settings of a broken rule go back to their defaults.
const resetRule = (kind: DeviceKind, rule: SettingOrderRule, settings: SettingsRecord): void => {
  const defaults = defaultSettings(kind) as unknown as SettingsRecord;
  for (const name of [rule.lower, rule.upper]) {
    const field = fieldByName(kind, name);
    settings[field] = defaults[field] as SettingValue;
  }
};

/**
 * Makes valid settings out of anything: keeps each valid field, replaces each invalid or
 * missing one with its default, and resets both fields of a broken cross-field rule.
 *
 * @param kind `plugs` or `fans`.
 * @param input Candidate settings (e.g. parsed JSON), possibly partial.
 * @returns Valid settings, what was wrong, and the fields that are not settings.
 * @example
 * ```ts
 * import { repairSettings } from "./settings_validate.ts";
 * import assert from "node:assert/strict";
 * const repaired = repairSettings("fans", { humOnPct: 85, humOffPct: 150, colour: "red" });
 * assert.equal(repaired.settings.humOnPct, 85);
 * assert.equal(repaired.settings.humOffPct, 70);
 * assert.deepEqual(repaired.problems, ["hum_off must be between 0 and 99 %RH, got 150"]);
 * assert.deepEqual(repaired.unknownKeys, ["colour"]);
 * ```
 */
export function repairSettings<K extends DeviceKind>(
  kind: K,
  input: unknown,
): RepairedSettings<SettingsByKind[K]> {
  const settings = defaultSettings(kind) as unknown as SettingsRecord;
  const repaired = {
    settings: settings as unknown as SettingsByKind[K],
    problems: [] as string[],
    unknownKeys: [] as string[],
  };
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    repaired.problems.push(
      kindLabel(kind) + " settings must be an object, got " + describeShape(input),
    );
    return repaired;
  }
  const record = input as Record<string, unknown>;
  const invalidNames: string[] = [];
  findSettingSpec(kind, (spec) => {
    const raw = record[spec.key];
    if (raw === undefined) return false;
    const checked = checkSettingValue(spec, raw);
    if (checked.ok) {
      settings[spec.field] = checked.value;
    } else {
      repaired.problems.push(checked.error);
      invalidNames.push(spec.name);
    }
    return false;
  });
  for (const rule of settingRules(kind)) {
    const problem = ruleProblem(kind, rule, settings, "");
    if (problem === "") continue;
    // A rule broken only because a field fell back to its default says nothing new.
    if (invalidNames.indexOf(rule.lower) < 0 && invalidNames.indexOf(rule.upper) < 0) {
      repaired.problems.push(problem);
    }
    resetRule(kind, rule, settings);
  }
  repaired.unknownKeys = Object.keys(record).filter((key) => settingSpecByKey(kind, key) === null);
  return repaired;
}

/**
 * Validates candidate settings of a device kind; missing fields take their defaults.
 *
 * @param kind `plugs` or `fans`.
 * @param partial Candidate settings, possibly partial, of any type.
 * @returns Complete settings, or every problem joined with `; ` (unknown fields too).
 * @example
 * ```ts
 * import { validateSettings } from "./settings_validate.ts";
 * import assert from "node:assert/strict";
 * const result = validateSettings("fans", { humOnPct: 50 });
 * assert.deepEqual(result, { ok: false, error: "hum_off must be below hum_on (50 %RH), got 70" });
 * ```
 */
export function validateSettings<K extends DeviceKind>(
  kind: K,
  partial: unknown,
): Result<SettingsByKind[K]> {
  const repaired = repairSettings(kind, partial);
  const problems = repaired.problems.concat(
    repaired.unknownKeys.map((key) =>
      "unknown " + kindLabel(kind) + " setting " + JSON.stringify(key)
    ),
  );
  return problems.length === 0 ? ok(repaired.settings) : err(problems.join("; "));
}

/**
 * Validates candidate plug settings; missing fields take their defaults.
 *
 * @param partial Candidate settings of any type.
 * @returns Complete plug settings or a message.
 * @example
 * ```ts
 * import { validatePlugSettings } from "./settings_validate.ts";
 * import assert from "node:assert/strict";
 * const result = validatePlugSettings({ maxPowerW: 2000, powerOnState: "last" });
 * assert.equal(result.ok && result.value.maxPowerW, 2000);
 * assert.equal(validatePlugSettings({ maxPowerW: -1 }).ok, false);
 * ```
 */
export function validatePlugSettings(partial: unknown): Result<PlugSettings> {
  return validateSettings("plugs", partial);
}

/**
 * Validates candidate fan settings; missing fields take their defaults.
 *
 * @param partial Candidate settings of any type.
 * @returns Complete fan settings or a message.
 * @example
 * ```ts
 * import { validateFanSettings } from "./settings_validate.ts";
 * import assert from "node:assert/strict";
 * assert.equal(validateFanSettings({ tempOnC: 25, tempOffC: 22 }).ok, true);
 * assert.equal(validateFanSettings({ tempOnC: 25, tempOffC: 25 }).ok, false);
 * ```
 */
export function validateFanSettings(partial: unknown): Result<FanSettings> {
  return validateSettings("fans", partial);
}

/**
 * Applies one change to settings: checks the value and the cross-field rules it touches.
 *
 * @param kind `plugs` or `fans`.
 * @param settings The current settings (not modified).
 * @param key The field name in code, e.g. `humOffPct`.
 * @param value The new value in internal units.
 * @returns New settings, or the message to report; the current settings stay as they are.
 * @example
 * ```ts
 * import { applySettingChange } from "./settings_validate.ts";
 * import { DEFAULT_FAN_SETTINGS } from "./settings.ts";
 * import assert from "node:assert/strict";
 * const changed = applySettingChange("fans", DEFAULT_FAN_SETTINGS, "humOnPct", 90);
 * assert.equal(changed.ok && changed.value.humOnPct, 90);
 * assert.deepEqual(applySettingChange("fans", DEFAULT_FAN_SETTINGS, "humOffPct", 85), {
 *   ok: false,
 *   error: "hum_off must be below hum_on (80 %RH), got 85",
 * });
 * ```
 */
export function applySettingChange<K extends DeviceKind>(
  kind: K,
  settings: SettingsByKind[K],
  key: string,
  value: unknown,
): Result<SettingsByKind[K]> {
  const spec = settingSpecByKey(kind, key);
  if (spec === null) return err("unknown " + kindLabel(kind) + " setting " + JSON.stringify(key));
  const checked = checkSettingValue(spec, value);
  if (!checked.ok) return err(checked.error);
  const next = Object.assign({}, settings) as unknown as SettingsRecord;
  next[spec.field] = checked.value;
  for (const rule of settingRules(kind)) {
    if (rule.lower !== spec.name && rule.upper !== spec.name) continue;
    const problem = ruleProblem(kind, rule, next, spec.name);
    if (problem !== "") return err(problem);
  }
  return ok(next as unknown as SettingsByKind[K]);
}

/**
 * Applies one change given as protocol text, by MQTT name (a web form field).
 *
 * @param kind `plugs` or `fans`.
 * @param settings The current settings (not modified).
 * @param name The setting's MQTT name, e.g. `timer_on`.
 * @param text The value as the protocol writes it, e.g. `600` (seconds).
 * @returns New settings, or the message to report.
 * @example
 * ```ts
 * import { applySettingText } from "./settings_validate.ts";
 * import { DEFAULT_FAN_SETTINGS } from "./settings.ts";
 * import assert from "node:assert/strict";
 * const changed = applySettingText("fans", DEFAULT_FAN_SETTINGS, "timer_on", "300");
 * assert.equal(changed.ok && changed.value.timerOnMs, 300000);
 * ```
 */
export function applySettingText<K extends DeviceKind>(
  kind: K,
  settings: SettingsByKind[K],
  name: string,
  text: string,
): Result<SettingsByKind[K]> {
  const spec = settingSpecByName(kind, name);
  if (spec === null) return err("unknown " + kindLabel(kind) + " setting " + JSON.stringify(name));
  const parsed = parseSettingText(spec, text);
  if (!parsed.ok) return err(parsed.error);
  return applySettingChange(kind, settings, spec.key, parsed.value);
}
