import assert from "node:assert/strict";
import fc from "fast-check";
import {
  checkFanCommand,
  checkPlugCommand,
  type FanCommand,
  formatFanCommand,
  formatPlugCommand,
  parseCommandText,
  type PlugCommand,
} from "./commands.ts";
import { DEFAULT_FAN_SETTINGS, DEFAULT_PLUG_SETTINGS } from "./settings.ts";
import {
  fanCommandArbitrary,
  fanSettingsArbitrary,
  plugCommandArbitrary,
  plugSettingsArbitrary,
  randomCase,
} from "./settings_arbitrary_test.ts";
import { validateFanSettings } from "./settings_validate.ts";

Deno.test("plug commands: power, pulse, energy_reset and settings", () => {
  const plug = (param: string, text: string) => parseCommandText("plugs", param, text);
  assert.deepEqual(plug("power", "ON"), { ok: true, value: { type: "power", action: "on" } });
  assert.deepEqual(plug("power", "toggle"), {
    ok: true,
    value: { type: "power", action: "toggle" },
  });
  assert.deepEqual(plug("power", "AUTO"), {
    ok: false,
    error: 'power must be ON, OFF or TOGGLE, got "AUTO"',
  });
  assert.deepEqual(plug("pulse", "0"), { ok: true, value: { type: "pulse", durationMs: 0 } });
  assert.deepEqual(plug("pulse", "2.5"), { ok: true, value: { type: "pulse", durationMs: 2500 } });
  assert.deepEqual(plug("pulse", "86401"), {
    ok: false,
    error: "pulse must be between 0 and 86400 s, got 86401",
  });
  assert.deepEqual(plug("energy_reset", ""), {
    ok: true,
    value: { type: "energyReset", energyWh: 0 },
  });
  assert.deepEqual(plug("energy_reset", "1500.25"), {
    ok: true,
    value: { type: "energyReset", energyWh: 1500.25 },
  });
  assert.deepEqual(plug("energy_reset", "-1"), {
    ok: false,
    error: "energy_reset must be between 0 and 1000000000 Wh, got -1",
  });
  assert.deepEqual(plug("power_on_state", "last"), {
    ok: true,
    value: { type: "set", key: "powerOnState", value: "last" },
  });
  assert.deepEqual(plug("max_power", "2000"), {
    ok: true,
    value: { type: "set", key: "maxPowerW", value: 2000 },
  });
  assert.deepEqual(plug("telemetry", "30"), {
    ok: true,
    value: { type: "set", key: "telemetryMs", value: 30000 },
  });
});

Deno.test("fan commands: power, speed and every setting command", () => {
  const fan = (param: string, text: string) => parseCommandText("fans", param, text);
  assert.deepEqual(fan("power", "Auto"), { ok: true, value: { type: "power", action: "auto" } });
  assert.deepEqual(fan("power", "TOGGLE"), {
    ok: false,
    error: 'power must be ON, OFF or AUTO, got "TOGGLE"',
  });
  assert.deepEqual(fan("speed", "3"), { ok: true, value: { type: "speed", speed: 3 } });
  assert.deepEqual(fan("speed", "1.5"), {
    ok: false,
    error: "speed must be a whole number, got 1.5",
  });
  assert.deepEqual(fan("hum_using", "off"), {
    ok: true,
    value: { type: "set", key: "humUsing", value: false },
  });
  assert.deepEqual(fan("check_period", "0"), {
    ok: true,
    value: { type: "set", key: "checkPeriodMs", value: 0 },
  });
  assert.deepEqual(fan("temp_off", "-5.5"), {
    ok: true,
    value: { type: "set", key: "tempOffC", value: -5.5 },
  });
});

Deno.test("number payloads reject exponents, hex, blanks, NaN and trailing garbage", () => {
  for (const text of ["1e3", "0x10", " ", "", "NaN", "5abc", "5 ", "+5", "Infinity"]) {
    const result = parseCommandText("fans", "timer_on", text);
    assert.deepEqual(result, {
      ok: false,
      error: "timer_on must be a plain decimal number, got " + JSON.stringify(text),
    });
    assert.equal(parseCommandText("plugs", "pulse", text).ok, false);
  }
  assert.equal(parseCommandText("plugs", "energy_reset", " ").ok, false);
});

Deno.test("unknown commands and settings MQTT cannot change are rejected with a reason", () => {
  assert.deepEqual(parseCommandText("fans", "cooldown", "60"), {
    ok: false,
    error: "cooldown is a fan setting that MQTT cannot change; use the settings page",
  });
  assert.deepEqual(parseCommandText("fans", "max_speed", "3"), {
    ok: false,
    error: "max_speed is a fan setting that MQTT cannot change; use the settings page",
  });
  assert.deepEqual(parseCommandText("plugs", "speed", "1"), {
    ok: false,
    error: 'unknown plug command "speed" (expected one of power, pulse, energy_reset, ' +
      "power_on_state, max_power, telemetry, telemetry_mode)",
  });
  const unknown = parseCommandText("fans", "x".repeat(500), "1");
  assert.ok(!unknown.ok && unknown.error.length < 400);
});

Deno.test("every valid command prints as text that parses back to it, in any letter case", () => {
  fc.assert(
    fc.property(plugCommandArbitrary, (command) => {
      const text = formatPlugCommand(command);
      assert.match(text.payload, /^(-?[0-9]+(\.[0-9]+)?|[A-Z]+)$/);
      assert.deepEqual(parseCommandText("plugs", text.param, text.payload), {
        ok: true,
        value: command,
      });
    }),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(fanCommandArbitrary, (command) => {
      const text = formatFanCommand(command);
      assert.match(text.payload, /^(-?[0-9]+(\.[0-9]+)?|[A-Z]+)$/);
      assert.deepEqual(parseCommandText("fans", text.param, text.payload), {
        ok: true,
        value: command,
      });
    }),
    { numRuns: 1000 },
  );
  const wordCommand = fanCommandArbitrary.map(formatFanCommand)
    .filter((text) => /^[A-Z]+$/.test(text.payload))
    .chain((text) => randomCase(text.payload).map((payload) => ({ text, payload })));
  fc.assert(fc.property(wordCommand, ({ text, payload }) => {
    assert.deepEqual(
      parseCommandText("fans", text.param, payload),
      parseCommandText("fans", text.param, text.payload),
    );
  }));
});

Deno.test("checkFanCommand bounds speed by maxSpeed and applies settings with their rules", () => {
  assert.deepEqual(checkFanCommand(DEFAULT_FAN_SETTINGS, { type: "speed", speed: 2 }), {
    ok: true,
    value: DEFAULT_FAN_SETTINGS,
  });
  assert.deepEqual(checkFanCommand(DEFAULT_FAN_SETTINGS, { type: "speed", speed: 3 }), {
    ok: false,
    error: "speed must be between 0 and 2, got 3",
  });
  assert.deepEqual(
    checkFanCommand(Object.assign({}, DEFAULT_FAN_SETTINGS, { humOnPct: 70, humOffPct: 60 }), {
      type: "set",
      key: "humOffPct",
      value: 70,
    }),
    { ok: false, error: "hum_off must be below hum_on (70 %RH), got 70" },
  );
  assert.deepEqual(checkPlugCommand(DEFAULT_PLUG_SETTINGS, { type: "power", action: "on" }), {
    ok: true,
    value: DEFAULT_PLUG_SETTINGS,
  });
});

Deno.test("a rejected command leaves the settings unchanged; an accepted one keeps them valid", () => {
  fc.assert(
    fc.property(fanSettingsArbitrary, fanCommandArbitrary, (settings, command) => {
      const before = structuredClone(settings);
      const result = checkFanCommand(settings, command as FanCommand);
      assert.deepEqual(settings, before);
      if (!result.ok) {
        assert.ok(
          command.type === "speed" ? command.speed > settings.maxSpeed : command.type === "set",
        );
        return;
      }
      assert.deepEqual(validateFanSettings(result.value), { ok: true, value: result.value });
      if (command.type === "set") assert.equal(result.value[command.key], command.value);
      else assert.equal(result.value, settings);
    }),
    { numRuns: 1000 },
  );
  fc.assert(fc.property(plugSettingsArbitrary, plugCommandArbitrary, (settings, command) => {
    const result = checkPlugCommand(settings, command as PlugCommand);
    assert.ok(result.ok, "plug settings have no cross-field rules");
  }));
});
