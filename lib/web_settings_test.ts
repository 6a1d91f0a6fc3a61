import assert from "node:assert/strict";
import fc from "fast-check";
import { DEFAULT_FAN_SETTINGS, DEFAULT_PLUG_SETTINGS } from "./settings.ts";
import { settingSpecs } from "./settings_schema.ts";
import { applySettingText } from "./settings_validate.ts";
import type { DeviceKind } from "./topics.ts";
import {
  planSettingsChange,
  settingFields,
  settingFieldsJson,
  settingsView,
} from "./web_settings.ts";

const defaults = (kind: DeviceKind) =>
  kind === "plugs" ? DEFAULT_PLUG_SETTINGS : DEFAULT_FAN_SETTINGS;

const fieldValue = fc.oneof(
  fc.integer({ min: -50, max: 150 }),
  fc.double({ min: -10, max: 5000, noNaN: true }),
  fc.constantFrom("ON", "off", "LAST", "x", "", "1e3", "70", "69.5", "600"),
  fc.boolean(),
  fc.constant(null),
);

const bodyFor = (kind: DeviceKind) =>
  fc.dictionary(
    fc.constantFrom(...settingSpecs(kind).map((spec) => spec.name), "nope"),
    fieldValue,
    { maxKeys: 6 },
  );

for (const kind of ["plugs", "fans"] as const) {
  Deno.test(`${kind}: a settings plan is all or nothing and its order keeps every rule`, () => {
    fc.assert(
      fc.property(bodyFor(kind), (body) => {
        const plan = planSettingsChange(kind, defaults(kind), body);
        if (!plan.ok) {
          const fields = Object.keys(plan.errors);
          assert.ok(fields.length > 0);
          for (const field of fields) assert.ok(field in body, field);
          return;
        }
        // Each command, sent in order, passes the device's own check.
        let settings = defaults(kind) as typeof plan.settings;
        for (const command of plan.commands) {
          assert.ok(command.param in body);
          const step = applySettingText(kind, settings as never, command.param, command.payload);
          assert.ok(step.ok, step.ok ? "" : step.error);
          settings = step.value;
        }
        assert.deepEqual(settings, plan.settings);
      }),
    );
  });

  Deno.test(`${kind}: sending the settings back unchanged is a plan with no commands`, () => {
    const plan = planSettingsChange(kind, defaults(kind), settingsView(kind, defaults(kind)));
    assert.deepEqual(plan.ok && plan.commands, []);
    assert.deepEqual(
      settingFields(kind).map((field) => field.name),
      Object.keys(settingsView(kind, defaults(kind))),
    );
  });

  Deno.test(`${kind}: the fields' JSON text, written a field at a time, is their JSON`, () => {
    assert.equal(settingFieldsJson(kind), JSON.stringify(settingFields(kind)));
  });
}

Deno.test("lowering both fan thresholds is ordered; an impossible pair is refused", () => {
  const up = planSettingsChange("fans", DEFAULT_FAN_SETTINGS, { hum_off: 90, hum_on: 95 });
  assert.deepEqual(up.ok && up.commands.map((c) => c.param), ["hum_on", "hum_off"]);
  const crossed = planSettingsChange("fans", DEFAULT_FAN_SETTINGS, { hum_off: 60, hum_on: 55 });
  assert.equal(crossed.ok, false);
  if (!crossed.ok) assert.match(Object.values(crossed.errors).join(), /hum_o(n|ff) must be/);
});

Deno.test("read-only settings may be echoed but not changed; odd names are errors", () => {
  const same = planSettingsChange("plugs", DEFAULT_PLUG_SETTINGS, { current_gain: "0.05" });
  assert.deepEqual(same, { ok: true, commands: [], settings: DEFAULT_PLUG_SETTINGS });
  const changed = planSettingsChange("plugs", DEFAULT_PLUG_SETTINGS, { current_gain: "0.06" });
  assert.deepEqual(changed, {
    ok: false,
    errors: { current_gain: "current_gain cannot be changed from the web page" },
  });
  const proto = planSettingsChange("fans", DEFAULT_FAN_SETTINGS, JSON.parse('{"__proto__":1}'));
  assert.equal(proto.ok, false);
  if (!proto.ok) assert.deepEqual(Object.keys(proto.errors), ["__proto__"]);
  const wrongType = planSettingsChange("fans", DEFAULT_FAN_SETTINGS, { hum_on: [80] });
  assert.deepEqual(wrongType, {
    ok: false,
    errors: { hum_on: "hum_on must be text, a number or true/false" },
  });
});

Deno.test("any change whose end result keeps the fan rules is accepted, in some order", () => {
  const pct = fc.integer({ min: 1, max: 99 });
  const temp = fc.integer({ min: -20, max: 60 });
  fc.assert(
    fc.property(
      fc.record({ hum_on: pct, hum_off: pct, temp_on: temp, temp_off: temp }, {
        requiredKeys: [],
      }),
      (body) => {
        const end = Object.assign(
          { hum_on: 80, hum_off: 70, temp_on: 30, temp_off: 27 },
          body,
        );
        const keeps = end.hum_off < end.hum_on && end.temp_off < end.temp_on;
        const plan = planSettingsChange("fans", DEFAULT_FAN_SETTINGS, body);
        assert.equal(plan.ok, keeps, JSON.stringify(body));
      },
    ),
  );
});
