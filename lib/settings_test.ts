import assert from "node:assert/strict";
import { DEFAULT_FAN_SETTINGS, DEFAULT_PLUG_SETTINGS, defaultSettings } from "./settings.ts";
import { validateFanSettings, validatePlugSettings } from "./settings_validate.ts";

Deno.test("defaultSettings returns a fresh copy of each kind's defaults", () => {
  const plug = defaultSettings("plugs");
  assert.deepEqual(plug, DEFAULT_PLUG_SETTINGS);
  assert.notEqual(plug, DEFAULT_PLUG_SETTINGS);
  plug.maxPowerW = 1234;
  assert.equal(DEFAULT_PLUG_SETTINGS.maxPowerW, 0);
  assert.deepEqual(defaultSettings("fans"), DEFAULT_FAN_SETTINGS);
});

Deno.test("the defaults are valid settings", () => {
  assert.deepEqual(validatePlugSettings(DEFAULT_PLUG_SETTINGS), {
    ok: true,
    value: DEFAULT_PLUG_SETTINGS,
  });
  assert.deepEqual(validateFanSettings(DEFAULT_FAN_SETTINGS), {
    ok: true,
    value: DEFAULT_FAN_SETTINGS,
  });
  assert.deepEqual(validateFanSettings({}), { ok: true, value: DEFAULT_FAN_SETTINGS });
});
