import assert from "node:assert/strict";
import fc from "fast-check";
import { parseCommandText } from "./commands.ts";
import {
  changedStates,
  encodeSnapshot,
  fanStateMessages,
  type FanStates,
  MISSING_STATE_PAYLOAD,
  plugStateMessages,
  type PlugStates,
  type StateMessage,
} from "./protocol_states.ts";
import { DEFAULT_FAN_SETTINGS, DEFAULT_PLUG_SETTINGS } from "./settings.ts";
import { fanSettingsArbitrary, plugSettingsArbitrary } from "./settings_arbitrary_test.ts";
import { settingSpecs } from "./settings_schema.ts";

const NETWORK = { rssiDbm: -61, ssid: "home", ip: "192.168.1.20", mac: "aa:bb:cc:dd:ee:ff" };

const PLUG_STATES: PlugStates = {
  on: true,
  powerW: 1234.56,
  voltageV: 229.94,
  currentA: 5.37126,
  powerFactor: 0.9876,
  apparentVA: 1250.14,
  energyTotalWh: 1500.25049,
  energyTodayWh: 12.5,
  energyYesterdayWh: 0,
  fault: null,
  settings: DEFAULT_PLUG_SETTINGS,
  network: NETWORK,
  uptimeMs: 61999,
};

const FAN_STATES: FanStates = {
  on: true,
  speed: 2,
  mode: "auto",
  control: "full",
  reason: "humidity",
  tempC: 23.46,
  humidityPct: 71.25,
  settings: DEFAULT_FAN_SETTINGS,
  network: NETWORK,
  uptimeMs: 5000,
};

const payloads = (messages: StateMessage[]): Record<string, string> =>
  Object.fromEntries(messages.map((message) => [message.param, message.payload]));

Deno.test("plug states: every DESIGN.md state, rounded per state, plus MQTT settings", () => {
  const messages = plugStateMessages("plugs/p1", PLUG_STATES);
  assert.deepEqual(payloads(messages), {
    power: "ON",
    watts: "1234.6",
    volts: "229.9",
    amps: "5.371",
    power_factor: "0.99",
    apparent_va: "1250.1",
    energy_total: "1500.25",
    energy_today: "12.5",
    energy_yesterday: "0",
    fault: "none",
    power_on_state: "OFF",
    max_power: "0",
    telemetry: "60",
    telemetry_mode: "FULL",
    rssi: "-61",
    ssid: "home",
    ip: "192.168.1.20",
    mac: "aa:bb:cc:dd:ee:ff",
    uptime: "61",
  });
  for (const message of messages) {
    assert.equal(message.topic, "plugs/p1/states/" + message.param);
    assert.equal(message.retain, true);
  }
});

Deno.test("fan states: every DESIGN.md state, every MQTT setting and max_speed", () => {
  const states = payloads(fanStateMessages("fans/f1", FAN_STATES));
  assert.deepEqual(Object.keys(states), [
    "power",
    "speed",
    "mode",
    "control",
    "reason",
    "temperature",
    "humidity",
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
    "max_speed",
    "rssi",
    "ssid",
    "ip",
    "mac",
    "uptime",
  ]);
  assert.equal(states.temperature, "23.5");
  assert.equal(states.humidity, "71.3");
  assert.equal(states.mode, "auto");
  assert.equal(states.timer_off, "3000");
  assert.equal(states.time_using, "OFF");
});

Deno.test("missing readings publish None and are null in the snapshot", () => {
  const plug: PlugStates = Object.assign({}, PLUG_STATES, {
    voltageV: null,
    powerFactor: Number.NaN,
    fault: "over_power: 2412 W > 2000 W for 2 s",
  });
  const states = payloads(plugStateMessages("plugs/p1", plug));
  assert.equal(states.volts, MISSING_STATE_PAYLOAD);
  assert.equal(states.power_factor, "None");
  assert.equal(states.fault, "over_power: 2412 W > 2000 W for 2 s");
  const snapshot = JSON.parse(encodeSnapshot("plugs", plug));
  assert.equal(snapshot.volts, null);
  assert.equal(snapshot.power_factor, null);
  assert.equal(snapshot.watts, 1234.6);
  const fan = Object.assign({}, FAN_STATES, { tempC: null, humidityPct: null });
  assert.deepEqual(
    [
      payloads(fanStateMessages("f", fan)).temperature,
      JSON.parse(encodeSnapshot("fans", fan)).humidity,
    ],
    ["None", null],
  );
});

Deno.test("the Wi-Fi password never appears in any state", () => {
  const network = Object.assign({ password: "hunter2-secret" }, NETWORK);
  const settings = Object.assign({ wifiPassword: "hunter2-secret" }, DEFAULT_FAN_SETTINGS);
  const fan = Object.assign({}, FAN_STATES, { network, settings });
  const plug = Object.assign({}, PLUG_STATES, { network });
  const everything = JSON.stringify(fanStateMessages("f", fan)) + encodeSnapshot("fans", fan) +
    JSON.stringify(plugStateMessages("p", plug)) + encodeSnapshot("plugs", plug);
  assert.ok(!everything.includes("hunter2"));
  assert.ok(!everything.toLowerCase().includes("password"));
});

const numberOrNull = fc.oneof(
  fc.constant(null),
  fc.double(),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
);

const plugStatesArbitrary: fc.Arbitrary<PlugStates> = fc.record({
  on: fc.boolean(),
  powerW: numberOrNull,
  voltageV: numberOrNull,
  currentA: numberOrNull,
  powerFactor: numberOrNull,
  apparentVA: numberOrNull,
  energyTotalWh: fc.double({ min: 0, max: 1e15, noNaN: true }),
  energyTodayWh: fc.double({ min: 0, max: 1e6, noNaN: true }),
  energyYesterdayWh: fc.double({ min: 0, max: 1e6, noNaN: true }),
  fault: fc.oneof(fc.constant(null), fc.string()),
  settings: plugSettingsArbitrary,
  network: fc.record({
    rssiDbm: fc.integer({ min: -120, max: 0 }),
    ssid: fc.string({ unit: "binary" }),
    ip: fc.ipV4(),
    mac: fc.constant("aa:bb:cc:dd:ee:ff"),
  }),
  uptimeMs: fc.integer({ min: 0, max: 2 ** 40 }),
});

const fanStatesArbitrary: fc.Arbitrary<FanStates> = fc.record({
  on: fc.boolean(),
  speed: fc.integer({ min: 0, max: 100 }),
  mode: fc.constantFrom("auto", "manual"),
  control: fc.constantFrom("full", "sensor", "remote", "timer"),
  reason: fc.constantFrom(
    "humidity",
    "temperature",
    "timer",
    "purge",
    "check",
    "manual",
    "safety",
    "none",
  ),
  tempC: numberOrNull,
  humidityPct: numberOrNull,
  settings: fanSettingsArbitrary,
  network: fc.record({
    rssiDbm: fc.integer({ min: -120, max: 0 }),
    ssid: fc.string(),
    ip: fc.ipV4(),
    mac: fc.constant("aa:bb:cc:dd:ee:01"),
  }),
  uptimeMs: fc.integer({ min: 0, max: 2 ** 40 }),
});

const NUMERIC = new Set([
  "watts",
  "volts",
  "amps",
  "power_factor",
  "apparent_va",
  "energy_total",
  "energy_today",
  "energy_yesterday",
  "rssi",
  "uptime",
  "speed",
  "temperature",
  "humidity",
]);

const checkSnapshotMatches = (messages: StateMessage[], snapshotJson: string): void => {
  const snapshot = JSON.parse(snapshotJson);
  assert.deepEqual(Object.keys(snapshot), messages.map((message) => message.param));
  for (const message of messages) {
    const value = snapshot[message.param];
    if (message.payload === MISSING_STATE_PAYLOAD && NUMERIC.has(message.param)) {
      assert.equal(value, null);
    } else if (typeof value === "number") {
      assert.match(message.payload, /^-?[0-9]+(\.[0-9]+)?$/, message.param);
      assert.equal(value, parseFloat(message.payload));
    } else {
      assert.equal(value, message.payload, message.param);
    }
  }
};

Deno.test("numbers are plain decimals and the snapshot holds the same values", () => {
  fc.assert(
    fc.property(plugStatesArbitrary, (states) => {
      const messages = plugStateMessages("plugs/p1", states);
      for (const message of messages) {
        if (NUMERIC.has(message.param) && message.payload !== "None") {
          assert.match(message.payload, /^-?[0-9]+(\.[0-9]+)?$/, message.param);
        }
      }
      checkSnapshotMatches(messages, encodeSnapshot("plugs", states));
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fanStatesArbitrary, (states) => {
      checkSnapshotMatches(fanStateMessages("fans/f1", states), encodeSnapshot("fans", states));
    }),
    { numRuns: 300 },
  );
});

Deno.test("a published setting reads back, as a command, to the setting's value", () => {
  fc.assert(
    fc.property(fanStatesArbitrary, (states) => {
      const published = payloads(fanStateMessages("fans/f1", states));
      for (const spec of settingSpecs("fans").filter((s) => s.access === "command")) {
        const command = parseCommandText("fans", spec.name, published[spec.name] as string);
        assert.deepEqual(command, {
          ok: true,
          value: { type: "set", key: spec.key, value: states.settings[spec.key] },
        });
      }
    }),
    { numRuns: 200 },
  );
});

Deno.test("changedStates picks the messages whose payload changed", () => {
  fc.assert(
    fc.property(fanStatesArbitrary, fanStatesArbitrary, (a, b) => {
      const before = fanStateMessages("fans/f1", a);
      const after = fanStateMessages("fans/f1", b);
      assert.deepEqual(changedStates(before, before), []);
      assert.deepEqual(changedStates(null, after), after);
      const changed = changedStates(before, after);
      const old = payloads(before);
      assert.deepEqual(changed, after.filter((message) => old[message.param] !== message.payload));
    }),
    { numRuns: 200 },
  );
  const first = plugStateMessages("plugs/p1", PLUG_STATES);
  const next = plugStateMessages("plugs/p1", Object.assign({}, PLUG_STATES, { powerW: 1234.61 }));
  assert.deepEqual(changedStates(first, next), [], "same rounded watts: nothing to publish");
  const moved = plugStateMessages("plugs/p1", Object.assign({}, PLUG_STATES, { uptimeMs: 62000 }));
  assert.deepEqual(changedStates(first, moved).map((message) => message.param), ["uptime"]);
  assert.deepEqual(changedStates([], first), first);
});
