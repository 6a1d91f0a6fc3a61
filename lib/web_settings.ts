/**
 * The device page's settings form: which settings it shows (in protocol names and
 * units), and a change checked in full against a copy of the settings and ordered so
 * that every step keeps the rules, as the MQTT commands the device then receives one by
 * one. Nothing is applied here: only a plan without errors reaches the device.
 *
 * @module
 */

import type { CommandText } from "./commands.ts";
import type { FanSettings, PlugSettings } from "./settings.ts";
import {
  findSettingSpec,
  type SettingSpec,
  settingSpecByName,
  type SettingValue,
} from "./settings_schema.ts";
import { applySettingChange } from "./settings_validate.ts";
import { formatSettingValue, parseSettingText } from "./setting_value.ts";
import type { DeviceKind } from "./topics.ts";
import type { TextParts } from "./web_http.ts";

/** One setting as the page shows it. */
export interface SettingField {
  /** Protocol name, e.g. `hum_on`. */
  name: string;
  /** Protocol unit, e.g. `%RH` or `s`; `""` when none. */
  unit: string;
  /** `number`, `boolean` (ON/OFF) or `enum`. */
  kind: string;
  /** Allowed words of an enum or boolean, as written on the wire. */
  choices: string[];
  /** Lowest value (numbers). */
  min: number;
  /** Highest value (numbers). */
  max: number;
  /** Decimal places kept (numbers). */
  decimals: number;
  /** `false` for read-only facts such as the fan's `max_speed`. */
  editable: boolean;
}

/** A checked settings change: the commands to send in order, or an error per field. */
export type SettingsPlan =
  | { ok: true; commands: CommandText[]; settings: PlugSettings | FanSettings }
  | { ok: false; errors: Record<string, string> };

const setField = <T>(target: Record<string, T>, name: string, value: T): void => {
  // Plain assignment would treat a field named `__proto__` as the prototype.
  Object.defineProperty(target, name, {
    value: value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
};

/**
 * Turns a JSON form value into the text the protocol reads: text as is, finite numbers
 * in decimal, `true`/`false` as `ON`/`OFF`.
 *
 * @param value A field of a request body.
 * @returns The text, or `null` for anything else (objects, arrays, `null`, non-finite).
 * @example
 * ```ts
 * import { formText } from "./web_settings.ts";
 * import assert from "node:assert/strict";
 * assert.equal(formText(7.5), "7.5");
 * assert.equal(formText(false), "OFF");
 * assert.equal(formText([1]), null);
 * ```
 */
export function formText(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "number") return isFinite(value) ? String(value) : null;
  if (typeof value === "boolean") return value ? "ON" : "OFF";
  return null;
}

/**
 * Lists the settings the page shows: those MQTT may change, plus read-only facts such as
 * the fan's `max_speed`; local calibration stays off the page.
 *
 * @param kind `plugs` or `fans`.
 * @returns One field per setting shown, in display order.
 * @example
 * ```ts
 * import { settingFields } from "./web_settings.ts";
 * import assert from "node:assert/strict";
 * const humOn = settingFields("fans").find((f) => f.name === "hum_on");
 * assert.equal(humOn?.unit, "%RH");
 * assert.equal(settingFields("fans").find((f) => f.name === "max_speed")?.editable, false);
 * assert.equal(settingFields("plugs").find((f) => f.name === "current_gain"), undefined);
 * ```
 */
export function settingFields(kind: DeviceKind): SettingField[] {
  const fields: SettingField[] = [];
  findSettingSpec(kind, (spec) => {
    if (spec.access !== "local") fields.push(settingField(spec));
    return false;
  });
  return fields;
}

/**
 * How the page shows one setting: its name, unit, shape, choices, bounds, and whether it
 * may be changed (see {@linkcode settingFields}).
 *
 * @param spec The setting's spec.
 * @returns The field.
 * @example
 * ```ts
 * import { settingField } from "./web_settings.ts";
 * import { settingSpecByName } from "./settings_schema.ts";
 * import assert from "node:assert/strict";
 * const field = settingField(settingSpecByName("fans", "hum_using")!);
 * assert.deepEqual(field.choices, ["ON", "OFF"]);
 * assert.equal(field.editable, true);
 * ```
 */
export function settingField(spec: SettingSpec): SettingField {
  return {
    name: spec.name,
    unit: spec.unit,
    kind: spec.kind,
    choices: spec.kind === "boolean" ? ["ON", "OFF"] : spec.values.map((v) => v.toUpperCase()),
    min: spec.min,
    max: spec.max,
    decimals: spec.decimals,
    editable: spec.access === "command",
  };
}

/**
 * {@linkcode settingFields} as JSON text, written one field at a time: on an ESP8266 the
 * fan's fields as objects would hold some 450 variables next to their text.
 *
 * @param kind `plugs` or `fans`.
 * @returns The JSON array, as `JSON.stringify(settingFields(kind))` writes it.
 * @example
 * ```ts
 * import { settingFields, settingFieldsJson } from "./web_settings.ts";
 * import assert from "node:assert/strict";
 * assert.equal(settingFieldsJson("fans"), JSON.stringify(settingFields("fans")));
 * ```
 */
export function settingFieldsJson(kind: DeviceKind): string {
  const next = settingFieldsJsonParts(kind);
  let text = "";
  // `+=` on a string nothing else holds appends in place on Espruino.
  for (let part = next(); part !== null; part = next()) text += part;
  return text;
}

/** Characters of fields after which {@linkcode settingFieldsJsonParts} ends a part. */
export const FIELDS_PART_CHARS = 400;

/**
 * Writes {@linkcode settingFieldsJson}'s text in parts of a few fields each (about
 * {@linkcode FIELDS_PART_CHARS} characters), so that an adapter with little memory can send
 * each part before the next is made (the fan's fields are some 2,500 characters).
 *
 * @param kind `plugs` or `fans`.
 * @returns A function giving the next part on each call, then `null`.
 * @example
 * ```ts
 * import { settingFieldsJson, settingFieldsJsonParts } from "./web_settings.ts";
 * import assert from "node:assert/strict";
 * const next = settingFieldsJsonParts("fans");
 * const parts: string[] = [];
 * for (let part = next(); part !== null; part = next()) parts.push(part);
 * assert.ok(parts.length > 2);
 * assert.equal(parts.join(""), settingFieldsJson("fans"));
 * ```
 */
export function settingFieldsJsonParts(kind: DeviceKind): TextParts {
  let index = 0;
  let opened = false;
  let closed = false;
  return () => {
    if (closed) return null;
    let part = "";
    // One walk per part, from where the last one stopped.
    const stopped = findSettingSpec(kind, (spec) => {
      index++;
      if (spec.access === "local") return false;
      part += (opened ? "," : "[") + JSON.stringify(settingField(spec));
      opened = true;
      return part.length >= FIELDS_PART_CHARS;
    }, index);
    if (stopped === null) {
      closed = true;
      part += opened ? "]" : "[]";
    }
    return part;
  };
}

/**
 * Writes the settings the page shows (see {@linkcode settingFields}) by protocol name, in
 * protocol units: numbers as JSON numbers (`timer_on: 600` seconds), switches and choices
 * as their words (`hum_using: "ON"`, `power_on_state: "LAST"`).
 *
 * @param kind `plugs` or `fans`.
 * @param settings The settings.
 * @returns One value per setting shown.
 * @example
 * ```ts
 * import { settingsView } from "./web_settings.ts";
 * import { DEFAULT_FAN_SETTINGS } from "./settings.ts";
 * import assert from "node:assert/strict";
 * const view = settingsView("fans", DEFAULT_FAN_SETTINGS);
 * assert.equal(view.hum_on, 80);
 * assert.equal(view.timer_on, 600);
 * assert.equal(view.hum_using, "ON");
 * assert.equal(view.cooldown, undefined);
 * ```
 */
export function settingsView(
  kind: DeviceKind,
  settings: PlugSettings | FanSettings,
): Record<string, string | number> {
  const source = settings as unknown as Record<string, SettingValue>;
  const out: Record<string, string | number> = {};
  findSettingSpec(kind, (spec) => {
    if (spec.access === "local") return false;
    const text = formatSettingValue(spec, source[spec.field] as SettingValue);
    setField(out, spec.name, spec.kind === "number" ? parseFloat(text) : text);
    return false;
  });
  return out;
}

/**
 * Checks a partial settings change from the page against the current settings, in full,
 * and orders it so that every step keeps the rules (lowering `hum_on` and `hum_off`
 * together sends `hum_off` first). Unchanged fields are left out; a field the page may
 * not edit is an error only when its value differs.
 *
 * @param kind `plugs` or `fans`.
 * @param settings The current settings (not modified).
 * @param body The request's object: protocol names to text, numbers or booleans.
 * @returns The commands and the settings they lead to, or one message per bad field.
 * @example
 * ```ts
 * import { planSettingsChange } from "./web_settings.ts";
 * import { DEFAULT_FAN_SETTINGS } from "./settings.ts";
 * import assert from "node:assert/strict";
 * const plan = planSettingsChange("fans", DEFAULT_FAN_SETTINGS, { hum_on: 60, hum_off: "50" });
 * assert.deepEqual(plan.ok && plan.commands, [
 *   { param: "hum_off", payload: "50" },
 *   { param: "hum_on", payload: "60" },
 * ]);
 * const bad = planSettingsChange("fans", DEFAULT_FAN_SETTINGS, { hum_off: 90 });
 * assert.deepEqual(bad, { ok: false, errors: { hum_off: "hum_off must be below hum_on (80 %RH), got 90" } });
 * ```
 */
export function planSettingsChange(
  kind: DeviceKind,
  settings: PlugSettings | FanSettings,
  body: Record<string, unknown>,
): SettingsPlan {
  const errors: Record<string, string> = {};
  let bad = false;
  const fail = (name: string, message: string): void => {
    setField(errors, name, message);
    bad = true;
  };
  const current = settings as unknown as Record<string, SettingValue>;
  const pending: { name: string; key: string; value: SettingValue }[] = [];
  for (const name of Object.keys(body)) {
    const spec = settingSpecByName(kind, name);
    if (spec === null) {
      fail(name, "unknown " + (kind === "plugs" ? "plug" : "fan") + " setting " + name);
      continue;
    }
    const text = formText(body[name]);
    if (text === null) {
      fail(name, name + " must be text, a number or true/false");
      continue;
    }
    const parsed = parseSettingText(spec, text);
    if (!parsed.ok) {
      fail(name, parsed.error);
      continue;
    }
    if (parsed.value === current[spec.field]) continue;
    if (spec.access !== "command") {
      fail(name, name + " cannot be changed from the web page");
      continue;
    }
    pending.push({ name: name, key: spec.key, value: parsed.value });
  }
  // Apply whatever fits the rules now, again and again, until nothing more does.
  let next: PlugSettings | FanSettings = settings;
  const order: { name: string; key: string; value: SettingValue }[] = [];
  let progress = true;
  while (progress && order.length < pending.length) {
    progress = false;
    for (const item of pending) {
      if (order.indexOf(item) >= 0) continue;
      const applied = applySettingChange(kind, next, item.key, item.value);
      if (applied.ok) {
        next = applied.value;
        order.push(item);
        progress = true;
      }
    }
  }
  for (const item of pending) {
    if (order.indexOf(item) >= 0) continue;
    const applied = applySettingChange(kind, next, item.key, item.value);
    fail(item.name, applied.ok ? item.name + " conflicts with another field" : applied.error);
  }
  if (bad) return { ok: false, errors: errors };
  const commands: CommandText[] = order.map((item) => {
    const spec = settingSpecByName(kind, item.name);
    const payload = spec === null ? String(item.value) : formatSettingValue(spec, item.value);
    return { param: item.name, payload: payload };
  });
  return { ok: true, commands: commands, settings: next };
}
