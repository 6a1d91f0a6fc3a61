// Shared fast-check generators for the settings, commands and protocol tests. This file
// holds no tests itself: a module imported by several test files would run its tests once
// per importer.
import fc from "fast-check";
import type { FanCommand, PlugCommand } from "./commands.ts";
import type { FanSettings, PlugSettings, SettingsByKind } from "./settings.ts";
import {
  settingRules,
  type SettingSpec,
  settingSpecByName,
  settingSpecs,
  type SettingValue,
} from "./settings_schema.ts";
import type { DeviceKind } from "./topics.ts";

/** Any value a setting accepts, at the setting's resolution, in internal units. */
export const settingValueArbitrary = (spec: SettingSpec): fc.Arbitrary<SettingValue> => {
  if (spec.kind === "boolean") return fc.boolean();
  if (spec.kind === "enum") return fc.constantFrom(...spec.values);
  const resolution = Math.pow(10, spec.decimals);
  return fc.integer({
    min: Math.ceil(spec.min * resolution),
    max: Math.floor(spec.max * resolution),
  }).map((steps) => steps * spec.scale / resolution);
};

const rulesHold = (kind: DeviceKind, settings: Record<string, SettingValue>): boolean =>
  settingRules(kind).every((rule) =>
    (settings[settingSpecByName(kind, rule.lower)!.key] as number) <
      (settings[settingSpecByName(kind, rule.upper)!.key] as number)
  );

/** Any valid settings of a kind. */
export const settingsArbitrary = <K extends DeviceKind>(
  kind: K,
): fc.Arbitrary<SettingsByKind[K]> => {
  const fields: Record<string, fc.Arbitrary<SettingValue>> = {};
  for (const spec of settingSpecs(kind)) fields[spec.key] = settingValueArbitrary(spec);
  return fc.record(fields, { noNullPrototype: true })
    .filter((settings) => rulesHold(kind, settings))
    .map((settings) => settings as unknown as SettingsByKind[K]);
};

/** Any valid plug settings. */
export const plugSettingsArbitrary: fc.Arbitrary<PlugSettings> = settingsArbitrary("plugs");

/** Any valid fan settings. */
export const fanSettingsArbitrary: fc.Arbitrary<FanSettings> = settingsArbitrary("fans");

const setCommandArbitrary = (kind: DeviceKind) =>
  fc.constantFrom(...settingSpecs(kind).filter((spec) => spec.access === "command"))
    .chain((spec) =>
      settingValueArbitrary(spec).map((value) => ({ type: "set", key: spec.key, value: value }))
    );

/** Any valid plug command. */
export const plugCommandArbitrary: fc.Arbitrary<PlugCommand> = fc.oneof(
  fc.constantFrom("on", "off", "toggle").map((action) => ({ type: "power", action: action })),
  fc.integer({ min: 0, max: 86400000 }).map((ms) => ({ type: "pulse", durationMs: ms })),
  fc.integer({ min: 0, max: 1e12 }).map((mWh) => ({ type: "energyReset", energyWh: mWh / 1000 })),
  setCommandArbitrary("plugs"),
) as fc.Arbitrary<PlugCommand>;

/** Any valid fan command (speed up to the protocol's limit, not a fan's `maxSpeed`). */
export const fanCommandArbitrary: fc.Arbitrary<FanCommand> = fc.oneof(
  fc.constantFrom("on", "off", "auto").map((action) => ({ type: "power", action: action })),
  fc.integer({ min: 0, max: 100 }).map((speed) => ({ type: "speed", speed: speed })),
  setCommandArbitrary("fans"),
) as fc.Arbitrary<FanCommand>;

/** Random upper/lower case of each ASCII letter. */
export const randomCase = (text: string): fc.Arbitrary<string> =>
  fc.array(fc.boolean(), { minLength: text.length, maxLength: text.length }).map((upper) =>
    text.split("").map((char, index) => upper[index] ? char.toUpperCase() : char.toLowerCase())
      .join("")
  );
