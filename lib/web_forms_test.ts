import assert from "node:assert/strict";
import fc from "fast-check";
import { DEFAULT_FAN_SETTINGS } from "./settings.ts";
import {
  checkWifiRequest,
  fanCommands,
  firmwareVersionTag,
  relayCommands,
  signalBars,
} from "./web_forms.ts";

Deno.test("signal bars: 0..4, never fewer for a stronger signal", () => {
  fc.assert(
    fc.property(fc.integer({ min: -120, max: -1 }), fc.integer({ min: -120, max: -1 }), (a, b) => {
      const [weak, strong] = a < b ? [a, b] : [b, a];
      assert.ok(signalBars(weak) <= signalBars(strong));
      assert.ok(signalBars(a) >= 0 && signalBars(a) <= 4);
    }),
  );
  assert.deepEqual([-55, -65, -75, -85, -86, 0].map(signalBars), [4, 3, 2, 1, 0, 0]);
});

Deno.test("relay and fan actions", () => {
  assert.deepEqual(relayCommands({ action: "ON" }), {
    ok: true,
    value: [{ param: "power", payload: "ON" }],
  });
  for (
    const body of [
      {},
      { action: "pulse" },
      { action: "pulse", seconds: -1 },
      { action: "pulse", seconds: 86401 },
      { action: "pulse", seconds: "1e3" },
      { action: "pulse", seconds: true },
      { action: "on", seconds: 3 },
      { action: "on", extra: 1 },
    ]
  ) {
    assert.equal(relayCommands(body).ok, false, JSON.stringify(body));
  }
  assert.deepEqual(fanCommands({ power: "off", speed: 1 }, DEFAULT_FAN_SETTINGS), {
    ok: true,
    value: [{ param: "power", payload: "OFF" }, { param: "speed", payload: "1" }],
  });
  for (const body of [{}, { power: "max" }, { speed: 1.5 }, { speed: -1 }, { speed: "x" }]) {
    assert.equal(fanCommands(body, DEFAULT_FAN_SETTINGS).ok, false, JSON.stringify(body));
  }
  fc.assert(fc.property(fc.object(), (body) => {
    relayCommands(body);
    fanCommands(body, DEFAULT_FAN_SETTINGS);
    checkWifiRequest(body);
  }));
});

Deno.test("Wi-Fi requests", () => {
  assert.deepEqual(checkWifiRequest({ ssid: "open-net" }), {
    ok: true,
    value: { ssid: "open-net", password: "" },
  });
  for (
    const body of [
      { ssid: "" },
      { ssid: "x".repeat(33) },
      { ssid: 5 },
      { ssid: "a", password: 12345678 },
      { ssid: "a", password: "x".repeat(64) },
      { ssid: "a", password: "1234567" },
      { ssid: "a", password: "12345678", bssid: "x" },
    ]
  ) {
    const result = checkWifiRequest(body);
    assert.equal(result.ok, false, JSON.stringify(body));
    if (!result.ok) assert.ok(!result.error.includes("1234567"), "never echoes the password");
  }
});

Deno.test("firmware version tags", () => {
  assert.deepEqual(firmwareVersionTag("// housegrid-version: 0.2.0-rc.1\r\nx"), {
    ok: true,
    value: "0.2.0-rc.1",
  });
  assert.deepEqual(firmwareVersionTag("\nvar a;"), { ok: true, value: null });
  for (
    const bad of ["1.2", "1.2.3.4", "a.b.c", "1.2.3-", "1.2.3-!", "1." + "1".repeat(40) + ".1"]
  ) {
    assert.equal(firmwareVersionTag(`// housegrid-version: ${bad}\n`).ok, false, bad);
  }
});
