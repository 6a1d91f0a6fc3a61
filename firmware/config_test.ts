import assert from "node:assert/strict";
import fc from "fast-check";
import { parseDeviceConfig } from "./config.ts";

Deno.test("a minimal plug configuration gets every default", () => {
  const parsed = parseDeviceConfig({ kind: "plug", id: "desk", mqtt: { host: "10.0.0.5" } });
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.value, {
    kind: "plug",
    id: "desk",
    name: "desk",
    prefix: "",
    wifi: { ssid: "", password: "", apPassword: "", ntp: "pool.ntp.org" },
    mqtt: { host: "10.0.0.5", port: 1883, username: "", password: "", keepaliveS: 60 },
    web: { user: "admin", password: "", port: 80 },
    plug: {
      relayPin: "D12",
      relayActiveHigh: true,
      adcPin: "A0",
      currentGainA: 0.05,
      nominalVoltageV: 230,
      mainsHz: 50,
      burstSamples: 200,
      sliceSamples: 50,
      measurePeriodMs: 1000,
    },
    fan: null,
  });
});

Deno.test("a fan configuration with its pins and sensor", () => {
  const parsed = parseDeviceConfig({
    kind: "fan",
    id: "bath",
    name: "Bathroom fan",
    prefix: "home/",
    wifi: { ssid: "lan", password: "secret", apPassword: "provision", ntp: "" },
    mqtt: { host: "broker", port: 8883, username: "u", password: "p", keepaliveS: 30 },
    web: { user: "me", password: "pw", port: 8080 },
    pins: { speeds: ["D12", "D13"], activeHigh: false, sda: "D2", scl: "D14" },
    sensor: { address: 0x77, periodMs: 5000 },
  });
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.value.fan, {
    speedPins: ["D12", "D13"],
    activeHigh: false,
    sdaPin: "D2",
    sclPin: "D14",
    sensorAddress: 0x77,
    readPeriodMs: 5000,
  });
  assert.equal(parsed.value.plug, null);
  assert.equal(parsed.value.mqtt.keepaliveS, 30);
  assert.equal(parsed.value.web.port, 8080);
});

Deno.test("every problem is named with its field", () => {
  const parsed = parseDeviceConfig({
    kind: "plug",
    id: "Desk Lamp",
    prefix: "home",
    wifi: { apPassword: "short" },
    mqtt: { port: 70000, keepaliveS: 1.5 },
    pins: { relay: "GPIO12", relayActiveHigh: "yes" },
    calibration: { currentGainA: 0, mainsHz: 50, burstSamples: 20.5 },
  });
  assert.equal(parsed.ok, false);
  const problems = parsed.ok ? [] : parsed.error.split("; ");
  assert.deepEqual(problems, [
    'id must be 1 to 32 of a-z 0-9 _ -, got "Desk Lamp"',
    'prefix must be empty or end with / (no + or #), got "home"',
    'wifi.apPassword must be empty (open) or 8 characters at least, got "short"',
    "mqtt.port must be a number from 1 to 65535, got 70000",
    "mqtt.keepaliveS must be a number from 5 to 3600, got 1.5",
    'mqtt.host must be a host name or address, got ""',
    'pins.relay must be a pin name like D12 or A0, got "GPIO12"',
    'pins.relayActiveHigh must be true or false, got "yes"',
    "calibration.currentGainA must be a number from 0.000001 to 100000, got 0",
    "calibration.burstSamples must be a whole number, got 20.5",
  ]);
});

Deno.test("wrong shapes are refused, not thrown", () => {
  for (
    const value of [null, undefined, 42, "plug", [], { kind: "lamp", id: "x", mqtt: { host: "h" } }]
  ) {
    assert.equal(parseDeviceConfig(value).ok, false);
  }
  const badSpeeds = parseDeviceConfig({
    kind: "fan",
    id: "f",
    mqtt: { host: "h" },
    pins: { speeds: [] },
  });
  assert.equal(
    badSpeeds.ok ? "" : badSpeeds.error,
    "pins.speeds must be 1 to 8 pin names like D12, slowest first, got []",
  );
  const notObject = parseDeviceConfig({ kind: "fan", id: "f", mqtt: "h" });
  assert.match(notObject.ok ? "" : notObject.error, /^mqtt must be an object/);
});

Deno.test("parsing never throws and accepts what it produces for valid ids and hosts", () => {
  fc.assert(
    fc.property(fc.anything(), (value) => {
      parseDeviceConfig(value);
    }),
  );
  const id = fc.stringMatching(/^[a-z0-9_-]{1,32}$/);
  const host = fc.domain();
  fc.assert(
    fc.property(
      fc.constantFrom("plug", "fan"),
      id,
      host,
      fc.integer({ min: 1, max: 65535 }),
      (kind, deviceId, broker, port) => {
        const parsed = parseDeviceConfig({ kind, id: deviceId, mqtt: { host: broker, port } });
        assert.ok(parsed.ok || broker.length > 64);
        if (parsed.ok) assert.equal(parsed.value.mqtt.port, port);
      },
    ),
  );
});
