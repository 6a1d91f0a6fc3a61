import assert from "node:assert/strict";
import fc from "fast-check";
import { settingValueArbitrary } from "./settings_arbitrary_test.ts";
import { type SettingSpec, settingSpecByName, settingSpecs } from "./settings_schema.ts";
import { checkSettingValue, formatSettingValue, parseSettingText } from "./setting_value.ts";

const ALL_SPECS: SettingSpec[] = [...settingSpecs("plugs"), ...settingSpecs("fans")];
const spec = (kind: "plugs" | "fans", name: string): SettingSpec => {
  const found = settingSpecByName(kind, name);
  assert.ok(found, name);
  return found;
};

Deno.test("range errors name the setting, its limits, its unit and the value", () => {
  assert.deepEqual(parseSettingText(spec("fans", "hum_on"), "150"), {
    ok: false,
    error: "hum_on must be between 1 and 100 %RH, got 150",
  });
  assert.deepEqual(parseSettingText(spec("fans", "timer_on"), "-1"), {
    ok: false,
    error: "timer_on must be between 0 and 86400 s, got -1",
  });
  assert.deepEqual(checkSettingValue(spec("fans", "warm"), 3600001), {
    ok: false,
    error: "warm must be between 0 and 3600 s, got 3600.001",
  });
  assert.deepEqual(parseSettingText(spec("fans", "max_speed"), "0"), {
    ok: false,
    error: "max_speed must be between 1 and 100, got 0",
  });
});

Deno.test("number payloads must be plain decimals", () => {
  const humOn = spec("fans", "hum_on");
  for (const text of ["1e3", "0x10", " ", "", "NaN", "Infinity", "70 ", " 70", "70abc", "７０"]) {
    assert.deepEqual(parseSettingText(humOn, text), {
      ok: false,
      error: "hum_on must be a plain decimal number, got " + JSON.stringify(text),
    });
  }
  assert.deepEqual(parseSettingText(humOn, "070.0"), { ok: true, value: 70 });
});

Deno.test("numbers are rounded to the setting's resolution; whole ones must be whole", () => {
  assert.deepEqual(parseSettingText(spec("fans", "hum_on"), "70.04"), { ok: true, value: 70 });
  assert.deepEqual(parseSettingText(spec("fans", "timer_on"), "1.0004"), { ok: true, value: 1000 });
  assert.deepEqual(parseSettingText(spec("fans", "timer_on"), "0.001"), { ok: true, value: 1 });
  assert.deepEqual(parseSettingText(spec("fans", "max_speed"), "2.5"), {
    ok: false,
    error: "max_speed must be a whole number, got 2.5",
  });
  assert.deepEqual(parseSettingText(spec("fans", "max_speed"), "3.0"), { ok: true, value: 3 });
  assert.deepEqual(checkSettingValue(spec("plugs", "telemetry"), 1500.4), {
    ok: true,
    value: 1500,
  });
});

Deno.test("words are case-insensitive ASCII; anything else is rejected", () => {
  const humUsing = spec("fans", "hum_using");
  for (const text of ["ON", "on", "On", "oN"]) {
    assert.deepEqual(parseSettingText(humUsing, text), { ok: true, value: true });
  }
  for (const text of ["ONN", "1", "true", " on", "ｏｎ", ""]) {
    assert.deepEqual(parseSettingText(humUsing, text), {
      ok: false,
      error: "hum_using must be ON or OFF, got " + JSON.stringify(text),
    });
  }
  const powerOnState = spec("plugs", "power_on_state");
  assert.deepEqual(parseSettingText(powerOnState, "Last"), { ok: true, value: "last" });
  assert.deepEqual(parseSettingText(powerOnState, "toggle"), {
    ok: false,
    error: 'power_on_state must be OFF, ON or LAST, got "toggle"',
  });
});

Deno.test("checkSettingValue rejects values of the wrong type", () => {
  assert.deepEqual(checkSettingValue(spec("fans", "hum_on"), "70"), {
    ok: false,
    error: 'hum_on must be a number, got "70"',
  });
  assert.equal(checkSettingValue(spec("fans", "hum_on"), Number.NaN).ok, false);
  assert.equal(checkSettingValue(spec("fans", "hum_on"), Infinity).ok, false);
  assert.deepEqual(checkSettingValue(spec("fans", "hum_using"), "ON"), {
    ok: false,
    error: 'hum_using must be true or false, got "ON"',
  });
  assert.deepEqual(checkSettingValue(spec("plugs", "power_on_state"), "LAST"), {
    ok: false,
    error: 'power_on_state must be one of off, on, last, got "LAST"',
  });
  assert.equal(checkSettingValue(spec("plugs", "max_power"), null).ok, false);
  assert.equal(checkSettingValue(spec("plugs", "max_power"), {}).ok, false);
});

Deno.test("any valid value prints as text that reads back as the same value", () => {
  const specAndValue = fc.constantFrom(...ALL_SPECS).chain((s) =>
    settingValueArbitrary(s).map((value) => ({ spec: s, value }))
  );
  fc.assert(
    fc.property(specAndValue, ({ spec, value }) => {
      assert.deepEqual(checkSettingValue(spec, value), { ok: true, value });
      const text = formatSettingValue(spec, value);
      assert.match(text, /^(-?[0-9]+(\.[0-9]+)?|[A-Z]+)$/);
      assert.deepEqual(parseSettingText(spec, text), { ok: true, value });
    }),
    { numRuns: 1000 },
  );
});

Deno.test("parsing any text never throws and only yields values the spec accepts", () => {
  const text = fc.oneof(
    fc.string({ unit: "binary", maxLength: 20 }),
    fc.stringMatching(/^-?[0-9]{1,7}(\.[0-9]{1,8})?$/),
    fc.constantFrom("ON", "off", "LAST", "1e3", "0x10", " ", "NaN"),
  );
  fc.assert(
    fc.property(fc.constantFrom(...ALL_SPECS), text, (spec, payload) => {
      const parsed = parseSettingText(spec, payload);
      if (parsed.ok) assert.deepEqual(checkSettingValue(spec, parsed.value), parsed);
      else assert.ok(parsed.error.startsWith(spec.name + " must be "));
    }),
    { numRuns: 2000 },
  );
});
