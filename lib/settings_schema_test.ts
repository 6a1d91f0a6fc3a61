import assert from "node:assert/strict";
import { DEFAULT_FAN_SETTINGS, DEFAULT_PLUG_SETTINGS } from "./settings.ts";
import {
  settingRules,
  settingSpecByKey,
  settingSpecByName,
  settingSpecs,
} from "./settings_schema.ts";
import type { SettingValue } from "./settings_schema.ts";
import { checkSettingValue } from "./setting_value.ts";

const KINDS = ["plugs", "fans"] as const;
const defaultsOf = (kind: "plugs" | "fans"): Record<string, unknown> =>
  kind === "plugs"
    ? DEFAULT_PLUG_SETTINGS as unknown as Record<string, unknown>
    : DEFAULT_FAN_SETTINGS as unknown as Record<string, unknown>;

Deno.test("the schema describes every settings field exactly once", () => {
  for (const kind of KINDS) {
    const keys = settingSpecs(kind).map((spec) => spec.key).sort();
    assert.deepEqual(keys, Object.keys(defaultsOf(kind)).sort(), kind);
    const names = settingSpecs(kind).map((spec) => spec.name);
    assert.equal(new Set(names).size, names.length, kind + " names are unique");
    for (const name of names) assert.match(name, /^[a-z][a-z0-9_]*$/);
  }
  assert.notEqual(settingSpecs("fans"), settingSpecs("fans"), "a fresh table on each call");
});

Deno.test("each default passes its own spec", () => {
  for (const kind of KINDS) {
    for (const spec of settingSpecs(kind)) {
      const value = defaultsOf(kind)[spec.key] as SettingValue;
      assert.deepEqual(checkSettingValue(spec, value), { ok: true, value: value }, spec.key);
      if (spec.kind === "number") assert.ok(spec.min < spec.max, spec.key);
      if (spec.kind === "enum") assert.ok(spec.values.length > 1, spec.key);
    }
  }
});

// DESIGN.md's setting commands, plus `telemetry_mode` (a housegrid extension, README).
Deno.test("the MQTT-settable settings are exactly DESIGN.md's setting commands", () => {
  const commandNames = (kind: "plugs" | "fans") =>
    settingSpecs(kind).filter((spec) => spec.access === "command").map((spec) => spec.name);
  assert.deepEqual(commandNames("plugs"), [
    "power_on_state",
    "max_power",
    "telemetry",
    "telemetry_mode",
  ]);
  assert.deepEqual(commandNames("fans"), [
    "hum_on",
    "hum_off",
    "hum_rise",
    "temp_on",
    "temp_off",
    "hum_using",
    "temp_using",
    "time_using",
    "timer_on",
    "timer_off",
    "warm",
    "check_period",
    "min_on",
    "min_off",
    "max_run",
    "telemetry",
    "telemetry_mode",
  ]);
});

Deno.test("durations are seconds on the wire and whole milliseconds in code", () => {
  for (const kind of KINDS) {
    for (const spec of settingSpecs(kind)) {
      const isDuration = spec.key.endsWith("Ms");
      assert.equal(spec.unit === "s", isDuration, spec.key);
      if (isDuration) assert.deepEqual([spec.scale, spec.decimals], [1000, 3], spec.key);
      else assert.equal(spec.scale, 1, spec.key);
    }
  }
});

Deno.test("the cross-field rules pair _off below _on and hold for the defaults", () => {
  assert.deepEqual(settingRules("plugs"), []);
  assert.equal(settingRules("fans").length, 2);
  for (const rule of settingRules("fans")) {
    const lower = settingSpecByName("fans", rule.lower);
    const upper = settingSpecByName("fans", rule.upper);
    assert.ok(lower && upper && lower.name.endsWith("_off") && upper.name.endsWith("_on"));
    assert.ok(DEFAULT_FAN_SETTINGS[lower.key] < DEFAULT_FAN_SETTINGS[upper.key]);
  }
});

Deno.test("specs are found by key and by MQTT name, per kind", () => {
  assert.equal(settingSpecByKey("fans", "maxSpeed")?.access, "state");
  assert.equal(settingSpecByName("fans", "cooldown")?.access, "local");
  assert.equal(settingSpecByName("plugs", "telemetry")?.key, "telemetryMs");
  assert.equal(settingSpecByName("fans", "telemetry")?.key, "telemetryMs");
  assert.equal(settingSpecByName("plugs", "timer_on"), null);
  assert.equal(settingSpecByKey("fans", "toString"), null);
  assert.equal(settingSpecByName("fans", "__proto__"), null);
});
