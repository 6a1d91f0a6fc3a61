/**
 * Settings as stored text (flash, a file): a versioned, checksummed line that survives
 * anything. Decoding never throws: a blob that is corrupted, cut short, of another format
 * version, of the other device kind or not ours at all gives the defaults and says why;
 * a field that is missing (written before the field existed) or out of range takes its
 * default, the other fields are kept.
 *
 * Format: `housegrid-settings <version> <kind> <crc32> <json>`, e.g.
 * `housegrid-settings 1 fans 1a2b3c4d {"humOnPct":70,...}`, where the CRC-32 (8
 * lower-case hex digits) covers the UTF-8 bytes of the JSON text.
 *
 * @module
 */

import { crc32Hex, crc32Text } from "./checksum.ts";
import { defaultSettings, type SettingsByKind } from "./settings.ts";
import { findSettingSpec, type SettingValue } from "./settings_schema.ts";
import { repairSettings } from "./settings_validate.ts";
import type { DeviceKind } from "./topics.ts";

/**
 * The format version {@link encodeSettings} writes and {@link decodeSettings} reads.
 * Adding a field does not change it (a missing field takes its default); changing what
 * a field means does.
 *
 * @example
 * ```ts
 * import { SETTINGS_FORMAT_VERSION, encodeSettings } from "./settings_codec.ts";
 * import { DEFAULT_PLUG_SETTINGS } from "./settings.ts";
 * import assert from "node:assert/strict";
 * const blob = encodeSettings("plugs", DEFAULT_PLUG_SETTINGS);
 * assert.ok(blob.startsWith("housegrid-settings " + SETTINGS_FORMAT_VERSION + " plugs "));
 * ```
 */
export const SETTINGS_FORMAT_VERSION = 1;

const MAGIC = "housegrid-settings";
const VERSION_PATTERN = /^[0-9]+$/;

/** Settings read back from storage. */
export interface DecodedSettings<S> {
  /** Valid settings: what was stored, or defaults where it could not be used. */
  settings: S;
  /** Why some or all of the defaults were used; `null` when the blob was read whole. */
  error: string | null;
}

const fail = <S>(settings: S, error: string): DecodedSettings<S> => ({
  settings: settings,
  error: error,
});

/**
 * Encodes settings as a versioned, checksummed line of text.
 *
 * @param kind `plugs` or `fans`.
 * @param settings The settings; only schema fields are written, in schema order.
 * @returns The text to store.
 * @example
 * ```ts
 * import { decodeSettings, encodeSettings } from "./settings_codec.ts";
 * import { DEFAULT_FAN_SETTINGS } from "./settings.ts";
 * import assert from "node:assert/strict";
 * const settings = Object.assign({}, DEFAULT_FAN_SETTINGS, { humOnPct: 75 });
 * const blob = encodeSettings("fans", settings);
 * assert.deepEqual(decodeSettings("fans", blob), { settings: settings, error: null });
 * ```
 */
export function encodeSettings<K extends DeviceKind>(kind: K, settings: SettingsByKind[K]): string {
  const source = settings as unknown as Record<string, SettingValue>;
  // The JSON of the schema's fields, written a field at a time: what JSON.stringify writes
  // for an object of them, without the object (some 50 variables on an ESP8266).
  let json = "";
  findSettingSpec(kind, (spec) => {
    const value = source[spec.field];
    if (value !== undefined) {
      json += (json === "" ? "{" : ",") + JSON.stringify(spec.key) + ":" + JSON.stringify(value);
    }
    return false;
  });
  json += json === "" ? "{}" : "}";
  return MAGIC + " " + SETTINGS_FORMAT_VERSION + " " + kind + " " + crc32Hex(crc32Text(json)) +
    " " + json;
}

/**
 * Decodes stored settings; never throws.
 *
 * @param kind The kind expected, `plugs` or `fans`.
 * @param text The stored text, or `null` when nothing is stored yet (defaults, no error).
 * @returns Valid settings, and why defaults were used if they were.
 * @example
 * ```ts
 * import { decodeSettings } from "./settings_codec.ts";
 * import { DEFAULT_PLUG_SETTINGS } from "./settings.ts";
 * import assert from "node:assert/strict";
 * const decoded = decodeSettings("plugs", "garbage");
 * assert.deepEqual(decoded.settings, DEFAULT_PLUG_SETTINGS);
 * assert.equal(decoded.error, "not housegrid settings (foreign or corrupted data)");
 * assert.equal(decodeSettings("plugs", null).error, null);
 * ```
 */
export function decodeSettings<K extends DeviceKind>(
  kind: K,
  text: string | null,
): DecodedSettings<SettingsByKind[K]> {
  const defaults = defaultSettings(kind);
  if (text === null) return { settings: defaults, error: null };
  if (typeof text !== "string") return fail(defaults, "stored settings are not text");
  // Four spaces end the header; the JSON after them may hold spaces of its own.
  const fields: string[] = [];
  let start = 0;
  while (fields.length < 4) {
    const space = text.indexOf(" ", start);
    if (space < 0) break;
    fields.push(text.slice(start, space));
    start = space + 1;
  }
  if (fields[0] !== MAGIC) {
    return fail(defaults, "not housegrid settings (foreign or corrupted data)");
  }
  if (fields.length < 4) return fail(defaults, "stored settings are truncated");
  const version = fields[1] as string;
  if (version.length > 6 || !VERSION_PATTERN.test(version)) {
    return fail(defaults, "stored settings are corrupted");
  }
  if (parseInt(version, 10) !== SETTINGS_FORMAT_VERSION) {
    return fail(
      defaults,
      "settings format v" + parseInt(version, 10) + " is not supported (this build reads v" +
        SETTINGS_FORMAT_VERSION + ")",
    );
  }
  const storedKind = fields[2] as string;
  if (storedKind !== kind) {
    const shown = JSON.stringify(
      storedKind.length > 20 ? storedKind.slice(0, 20) + "…" : storedKind,
    );
    return fail(defaults, "stored settings are for " + shown + ", not " + kind);
  }
  const json = text.slice(start);
  if (fields[3] !== crc32Hex(crc32Text(json))) {
    return fail(defaults, "stored settings fail their checksum (corrupted or truncated)");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (_error) {
    return fail(defaults, "stored settings are not valid JSON");
  }
  const repaired = repairSettings(kind, parsed);
  if (repaired.problems.length === 0) return { settings: repaired.settings, error: null };
  return fail(repaired.settings, "stored settings repaired: " + repaired.problems.join("; "));
}
