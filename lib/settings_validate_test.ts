import assert from "node:assert/strict";
import fc from "fast-check";
import { DEFAULT_FAN_SETTINGS, DEFAULT_PLUG_SETTINGS } from "./settings.ts";
import { fanSettingsArbitrary, plugSettingsArbitrary } from "./settings_arbitrary_test.ts";
import { settingSpecs } from "./settings_schema.ts";
import {
  applySettingChange,
  applySettingText,
  repairSettings,
  validateFanSettings,
  validatePlugSettings,
  validateSettings,
} from "./settings_validate.ts";

Deno.test("validate fills missing fields with defaults and keeps given ones", () => {
  assert.deepEqual(validatePlugSettings({ maxPowerW: 2000, powerOnState: "last" }), {
    ok: true,
    value: Object.assign({}, DEFAULT_PLUG_SETTINGS, { maxPowerW: 2000, powerOnState: "last" }),
  });
  const fan = validateFanSettings({ timerOnMs: 90500.2, tempUsing: true });
  assert.ok(fan.ok);
  assert.equal(fan.value.timerOnMs, 90500);
  assert.equal(fan.value.tempUsing, true);
});

Deno.test("validate reports every problem, unknown fields included", () => {
  assert.deepEqual(validateFanSettings({ humOnPct: 150, warmMs: "60", colour: "red" }), {
    ok: false,
    error: "hum_on must be between 1 and 100 %RH, got 150; " +
      'warm must be a number, got "60"; unknown fan setting "colour"',
  });
  for (const input of [null, undefined, 5, "x", [], true]) {
    const result = validatePlugSettings(input);
    assert.ok(!result.ok && result.error.startsWith("plug settings must be an object, got "));
  }
});

Deno.test("validate rejects _off at or above _on", () => {
  assert.deepEqual(validateFanSettings({ humOnPct: 60, humOffPct: 60 }), {
    ok: false,
    error: "hum_off must be below hum_on (60 %RH), got 60",
  });
  assert.deepEqual(validateFanSettings({ tempOnC: 20, tempOffC: 25.5 }), {
    ok: false,
    error: "temp_off must be below temp_on (20 °C), got 25.5",
  });
  // A rule broken only through a field that fell back to its default is not reported twice.
  assert.deepEqual(validateFanSettings({ humOnPct: 150, humOffPct: 80 }), {
    ok: false,
    error: "hum_on must be between 1 and 100 %RH, got 150",
  });
});

Deno.test("valid settings validate to themselves", () => {
  fc.assert(fc.property(plugSettingsArbitrary, (settings) => {
    assert.deepEqual(validatePlugSettings(settings), { ok: true, value: settings });
  }));
  fc.assert(fc.property(fanSettingsArbitrary, (settings) => {
    assert.deepEqual(validateFanSettings(settings), { ok: true, value: settings });
  }));
});

Deno.test("repairSettings turns anything into valid settings", () => {
  const candidate = fc.oneof(
    fc.anything(),
    fc.dictionary(
      fc.constantFrom(...settingSpecs("fans").map((spec) => spec.key), "other"),
      fc.oneof(fc.double(), fc.integer({ min: -100, max: 100000 }), fc.boolean(), fc.string()),
    ),
  );
  fc.assert(
    fc.property(candidate, (input) => {
      for (const kind of ["plugs", "fans"] as const) {
        const repaired = repairSettings(kind, input);
        assert.deepEqual(validateSettings(kind, repaired.settings), {
          ok: true,
          value: repaired.settings,
        });
        const valid = validateSettings(kind, input);
        if (valid.ok) assert.deepEqual(valid.value, repaired.settings);
      }
    }),
    { numRuns: 500 },
  );
});

Deno.test("applySettingChange checks the value and the rules it touches", () => {
  const humid = Object.assign({}, DEFAULT_FAN_SETTINGS, { humOnPct: 70, humOffPct: 60 });
  assert.deepEqual(applySettingChange("fans", humid, "humOnPct", 55), {
    ok: false,
    error: "hum_on must be above hum_off (60 %RH), got 55",
  });
  assert.deepEqual(applySettingChange("fans", DEFAULT_FAN_SETTINGS, "tempOffC", 30), {
    ok: false,
    error: "temp_off must be below temp_on (30 °C), got 30",
  });
  assert.deepEqual(applySettingChange("fans", DEFAULT_FAN_SETTINGS, "speed", 1), {
    ok: false,
    error: 'unknown fan setting "speed"',
  });
  const changed = applySettingChange("plugs", DEFAULT_PLUG_SETTINGS, "powerOnState", "on");
  assert.ok(changed.ok);
  assert.equal(changed.value.powerOnState, "on");
  assert.equal(DEFAULT_PLUG_SETTINGS.powerOnState, "off");
});

Deno.test("a change either fails and leaves the settings unchanged, or changes that field only", () => {
  const keys = fc.oneof(
    fc.constantFrom(...settingSpecs("fans").map((spec) => spec.key)),
    fc.string(),
  );
  const values = fc.oneof(
    fc.anything(),
    fc.double(),
    fc.integer({ min: -100, max: 200 }),
    fc.integer({ min: 0, max: 4000000 }),
    fc.boolean(),
  );
  fc.assert(
    fc.property(fanSettingsArbitrary, keys, values, (settings, key, value) => {
      const before = structuredClone(settings);
      const result = applySettingChange("fans", settings, key, value);
      assert.deepEqual(settings, before);
      if (!result.ok) return;
      assert.notEqual(result.value, settings);
      for (const field of Object.keys(settings) as (keyof typeof settings)[]) {
        if (field !== key) assert.equal(result.value[field], settings[field], field);
      }
      assert.deepEqual(validateFanSettings(result.value), { ok: true, value: result.value });
    }),
    { numRuns: 1000 },
  );
});

Deno.test("applySettingText reads protocol text by MQTT name", () => {
  const changed = applySettingText("fans", DEFAULT_FAN_SETTINGS, "hum_using", "off");
  assert.ok(changed.ok && changed.value.humUsing === false);
  assert.deepEqual(applySettingText("fans", DEFAULT_FAN_SETTINGS, "hum_on", "1e3"), {
    ok: false,
    error: 'hum_on must be a plain decimal number, got "1e3"',
  });
  assert.deepEqual(applySettingText("plugs", DEFAULT_PLUG_SETTINGS, "hum_on", "50"), {
    ok: false,
    error: 'unknown plug setting "hum_on"',
  });
  const local = applySettingText("plugs", DEFAULT_PLUG_SETTINGS, "tz_offset", "-300");
  assert.ok(local.ok && local.value.tzOffsetMin === -300);
});
