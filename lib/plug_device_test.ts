import assert from "node:assert/strict";
import fc from "fast-check";
import { stepFedBack } from "./deferred_states_test.ts";
import { type DeviceEffect, effectPublishes, publishedPayload } from "./device_effects.ts";
import { energyTotals } from "./energy.ts";
import {
  bootPlug,
  ENERGY_SAVE_PERIOD_MS,
  nextPlugDeadlineMs,
  type PlugDeviceEvent,
  type PlugDeviceState,
  plugStates,
  stepPlug,
} from "./plug_device.ts";
import type { SampleBurst } from "./ports.ts";
import { plugStateMessages, telemetryParams } from "./protocol_states.ts";
import { encodeSettings } from "./settings_codec.ts";
import { DEFAULT_PLUG_SETTINGS } from "./settings.ts";

const NETWORK = { rssiDbm: -61, ssid: "lan", ip: "10.0.0.7", mac: "5C:CF:7F:00:00:07" };

function boot(overrides: Partial<Parameters<typeof bootPlug>[0]> = {}) {
  return bootPlug(Object.assign({
    prefix: "",
    id: "p1",
    nowMs: 0,
    settingsText: null,
    energyText: null,
    relayText: null,
    network: NETWORK,
    swVersion: "test",
  }, overrides));
}

/** A resistive load of `powerW` at 230 V, as 10-bit ADC counts (0.05 A, 0.8 V per count). */
function burst(powerW: number): SampleBurst {
  const rate = 2000, count = 400;
  const current = new Float64Array(count), voltage = new Float64Array(count);
  const peakA = (powerW / 230) * Math.SQRT2, peakV = 230 * Math.SQRT2;
  for (let i = 0; i < count; i++) {
    const s = Math.sin((2 * Math.PI * 50 * i) / rate);
    current[i] = 512 + (peakA * s) / 0.05;
    voltage[i] = 512 + (peakV * s) / 0.8;
  }
  return { sampleRateHz: rate, current, voltage };
}

function run(state: PlugDeviceState, events: PlugDeviceEvent[]) {
  const effects: DeviceEffect[] = [];
  for (const event of events) {
    const step = stepPlug(state, event);
    state = step.state;
    effects.push(...step.effects);
  }
  return { state, effects };
}

const publishes = (effects: DeviceEffect[]) => effectPublishes(effects);

Deno.test("a new session subscribes, announces availability, discovers and publishes all", () => {
  const { state, effects } = run(boot().state, [{ type: "connected", nowMs: 10 }]);
  assert.deepEqual(effects.slice(0, 3).map((e) => e.type), ["subscribe", "publish", "discovery"]);
  assert.deepEqual(effects[0], { type: "subscribe", filter: "plugs/p1/commands/+" });
  assert.deepEqual(effects[1], {
    type: "publish",
    topic: "plugs/p1/availability",
    payload: "online",
    retain: true,
  });
  const topics = publishes(effects).map((e) => e.topic);
  assert.ok(topics.includes("plugs/p1/states/power"));
  assert.ok(topics.includes("plugs/p1/states/watts"));
  assert.equal(topics.at(-1), "plugs/p1/state");
  assert.equal(state.connected, true);
});

Deno.test("a power command switches the relay, saves it and publishes the change", () => {
  const connected = run(boot().state, [{ type: "connected", nowMs: 0 }]).state;
  const { state, effects } = run(connected, [
    {
      type: "message",
      nowMs: 1000,
      topic: "plugs/p1/commands/power",
      payload: "on",
      retained: false,
    },
  ]);
  assert.equal(state.relay.on, true);
  assert.deepEqual(effects[0], { type: "relay", on: true });
  assert.deepEqual(effects[1], { type: "save", key: "relay", value: "ON" });
  const published = publishes(effects);
  assert.deepEqual(published.map((e) => [e.topic, e.payload]).slice(0, 1), [[
    "plugs/p1/states/power",
    "ON",
  ]]);
  assert.equal(published.at(-1)?.topic, "plugs/p1/state");
  assert.equal(JSON.parse(published.at(-1)!.payload).power, "ON");
});

Deno.test("retained commands are ignored", () => {
  const connected = run(boot().state, [{ type: "connected", nowMs: 0 }]).state;
  const { state, effects } = run(connected, [
    {
      type: "message",
      nowMs: 1000,
      topic: "plugs/p1/commands/power",
      payload: "ON",
      retained: true,
    },
  ]);
  assert.equal(state, connected);
  assert.deepEqual(effects, []);
});

Deno.test("a bad command is answered on errors and changes nothing", () => {
  const connected = run(boot().state, [{ type: "connected", nowMs: 0 }]).state;
  const { state, effects } = run(connected, [
    {
      type: "message",
      nowMs: 1000,
      topic: "plugs/p1/commands/max_power",
      payload: "-5",
      retained: false,
    },
  ]);
  assert.equal(state, connected);
  assert.equal(effects.length, 1);
  const effect = effects[0]!;
  assert.equal(effect.type === "publish" && effect.topic, "plugs/p1/errors");
  if (effect.type === "publish") {
    const error = JSON.parse(effect.payload);
    assert.equal(error.param, "max_power");
    assert.equal(error.payload, "-5");
    assert.match(error.error, /max_power/);
  }
});

Deno.test("a setting command is saved and published at once", () => {
  const connected = run(boot().state, [{ type: "connected", nowMs: 0 }]).state;
  const { state, effects } = run(connected, [
    {
      type: "message",
      nowMs: 1000,
      topic: "plugs/p1/commands/max_power",
      payload: "1500",
      retained: false,
    },
  ]);
  assert.equal(state.settings.maxPowerW, 1500);
  assert.deepEqual(effects[0], {
    type: "save",
    key: "settings",
    value: encodeSettings("plugs", state.settings),
  });
  assert.ok(
    publishes(effects).some((e) => e.topic === "plugs/p1/states/max_power" && e.payload === "1500"),
  );
});

Deno.test("measurements integrate energy and wait for telemetry to be published", () => {
  let state = run(boot().state, [
    { type: "connected", nowMs: 0 },
    { type: "message", nowMs: 0, topic: "plugs/p1/commands/power", payload: "ON", retained: false },
  ]).state;
  const events: PlugDeviceEvent[] = [];
  for (let t = 1000; t <= 59000; t += 1000) {
    events.push({ type: "burst", nowMs: t, burst: burst(1800) });
  }
  const quiet = run(state, events);
  assert.deepEqual(publishes(quiet.effects), []);
  state = quiet.state;
  assert.ok(Math.abs(state.reading!.powerW - 1800) < 18, `${state.reading!.powerW}`);
  // 58 s at 1800 W = 29 Wh.
  assert.ok(Math.abs(energyTotals(state.energy).totalWh - 29) < 0.3);
  const telemetry = run(state, [{ type: "burst", nowMs: 60000, burst: burst(1800) }]);
  const watts = publishes(telemetry.effects).find((e) => e.topic === "plugs/p1/states/watts");
  assert.ok(watts && Math.abs(Number(watts.payload) - 1800) < 18);
  assert.ok(telemetry.effects.some((e) => e.type === "save" && e.key === "energy"));
});

Deno.test("over-power opens the relay and publishes the fault", () => {
  let state = run(boot().state, [
    { type: "connected", nowMs: 0 },
    {
      type: "message",
      nowMs: 0,
      topic: "plugs/p1/commands/max_power",
      payload: "1000",
      retained: false,
    },
    { type: "message", nowMs: 0, topic: "plugs/p1/commands/power", payload: "ON", retained: false },
  ]).state;
  const { state: after, effects } = run(state, [
    { type: "burst", nowMs: 1000, burst: burst(2000) },
    { type: "burst", nowMs: 2000, burst: burst(2000) },
    { type: "burst", nowMs: 3000, burst: burst(2000) },
  ]);
  state = after;
  assert.equal(state.relay.on, false);
  assert.ok(effects.some((e) => e.type === "relay" && !e.on));
  const fault = publishes(effects).find((e) => e.topic === "plugs/p1/states/fault");
  assert.match(fault?.payload ?? "", /^over_power/);
});

Deno.test("boot restores settings, energy and the LAST relay state; corrupt storage is reported", () => {
  const settings = Object.assign({}, DEFAULT_PLUG_SETTINGS, { powerOnState: "last" as const });
  const first = boot({ settingsText: encodeSettings("plugs", settings), relayText: "ON" });
  assert.deepEqual(first.effects, [
    { type: "relay", on: true },
    { type: "save", key: "relay", value: "ON" },
  ]);
  assert.deepEqual(first.problems, []);
  const corrupt = boot({ settingsText: "garbage", energyText: "{" });
  assert.equal(corrupt.problems.length, 2);
  assert.deepEqual(corrupt.state.settings, DEFAULT_PLUG_SETTINGS);
});

Deno.test("the next deadline covers telemetry, the energy save and relay timers", () => {
  const state = run(boot().state, [
    { type: "message", nowMs: 0, topic: "plugs/p1/commands/pulse", payload: "5", retained: false },
  ]).state;
  assert.equal(nextPlugDeadlineMs(state), 5000);
  assert.equal(nextPlugDeadlineMs(boot().state), Math.min(60000, ENERGY_SAVE_PERIOD_MS));
});

const eventArbitrary = (nowMs: number) =>
  fc.oneof(
    fc.constant<PlugDeviceEvent>({ type: "tick", nowMs }),
    fc.integer({ min: 0, max: 3000 }).map((w): PlugDeviceEvent => ({
      type: "burst",
      nowMs,
      burst: burst(w),
    })),
    fc.record({
      param: fc.constantFrom("power", "pulse", "max_power", "telemetry", "energy_reset", "x"),
      payload: fc.oneof(
        fc.constantFrom("ON", "OFF", "TOGGLE", "0", "2", "1500", "-1", "abc"),
        fc.string(),
      ),
      retained: fc.boolean(),
    }).map(({ param, payload, retained }): PlugDeviceEvent => ({
      type: "message",
      nowMs,
      topic: "plugs/p1/commands/" + param,
      payload,
      retained,
    })),
    fc.constant<PlugDeviceEvent>({ type: "connected", nowMs }),
    fc.constant<PlugDeviceEvent>({ type: "disconnected", nowMs }),
  );

const eventsArbitrary = fc.array(
  fc.tuple(fc.integer({ min: 0, max: 20000 }), fc.nat()),
  { maxLength: 80 },
).chain((steps) => {
  let t = 0;
  return fc.tuple(...steps.map(([dt]) => eventArbitrary(t += dt)));
});

Deno.test("property: relay effects match the state, energy never decreases, saves stay frequent, deferred states come to the same", () => {
  fc.assert(
    fc.property(eventsArbitrary, (events) => {
      let state = boot().state;
      let lastSaveMs = 0;
      let lastTotal = 0;
      for (const event of events) {
        const step = stepPlug(state, event);
        // Its states published later (as the firmware does) come to the same.
        assert.deepEqual(stepFedBack(stepPlug, state, event), step);
        assert.ok(step.effects.every((effect) => effect.type !== "statesDue"));
        for (const effect of step.effects) {
          if (effect.type === "relay") assert.equal(effect.on, step.state.relay.on);
          if (effect.type === "save" && effect.key === "energy") lastSaveMs = event.nowMs;
          if (effect.type === "publish" && effect.topic.endsWith("/errors")) {
            assert.equal(step.state, state, "a rejected command changes nothing");
          }
        }
        const total = energyTotals(step.state.energy).totalWh;
        const reset = event.type === "message" && event.topic.endsWith("energy_reset");
        if (!reset) assert.ok(total >= lastTotal);
        lastTotal = total;
        if (event.type === "tick" || event.type === "burst") {
          assert.ok(event.nowMs - lastSaveMs < ENERGY_SAVE_PERIOD_MS);
        }
        state = step.state;
        // What does not wait for telemetry is on the broker as the plug has it now.
        if (state.connected) {
          const fresh = plugStateMessages(state.base, plugStates(state, event.nowMs));
          for (const [position, message] of fresh.entries()) {
            if (telemetryParams("plugs").includes(message.param)) continue;
            assert.equal(
              publishedPayload(state.published, position),
              message.payload,
              message.param,
            );
          }
        }
      }
    }),
    { numRuns: 150 },
  );
});

Deno.test("property: arbitrary bytes on any topic never throw", () => {
  const connected = run(boot().state, [{ type: "connected", nowMs: 0 }]).state;
  fc.assert(
    fc.property(
      fc.oneof(fc.constant("plugs/p1/commands/power"), fc.string()),
      fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.string({ maxLength: 300 })),
      fc.boolean(),
      (topic, payload, retained) => {
        const step = stepPlug(connected, { type: "message", nowMs: 5, topic, payload, retained });
        assert.ok(step.effects.length <= 12);
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("an open relay reads no load and counts no energy, whatever the ADC noise says", () => {
  const { state } = run(boot().state, [
    { type: "burst", nowMs: 1000, burst: burst(500) },
    { type: "burst", nowMs: 2000, burst: burst(500) },
  ]);
  assert.equal(state.reading?.powerW, 0);
  assert.equal(state.reading?.currentA, 0);
  assert.ok(Math.abs((state.reading?.voltageV ?? 0) - 230) < 2);
  assert.equal(energyTotals(state.energy).totalWh, 0);
});

Deno.test("opening the relay clears the shown load at once", () => {
  const { state } = run(boot().state, [
    { type: "message", nowMs: 0, topic: "plugs/p1/commands/power", payload: "ON", retained: false },
    { type: "burst", nowMs: 1000, burst: burst(800) },
    {
      type: "message",
      nowMs: 2000,
      topic: "plugs/p1/commands/power",
      payload: "OFF",
      retained: false,
    },
  ]);
  assert.equal(state.relay.on, false);
  assert.equal(state.reading?.powerW, 0);
});

Deno.test("snapshot telemetry: one message a period, readings only in the snapshot", () => {
  const settingsText = encodeSettings(
    "plugs",
    Object.assign({}, DEFAULT_PLUG_SETTINGS, { telemetryMs: 1000, telemetryMode: "snapshot" }),
  );
  const start = run(boot({ settingsText }).state, [{ type: "connected", nowMs: 0 }]);
  // The session clears the readings' own retained topics once.
  const cleared = publishes(start.effects).filter((e) => e.topic.endsWith("/states/watts"));
  assert.deepEqual(cleared.map((e) => e.payload), [""]);
  const discovery = start.effects.find((e) => e.type === "discovery");
  assert.equal(discovery?.type === "discovery" && discovery.options.telemetryMode, "snapshot");
  let state = run(start.state, [
    { type: "message", nowMs: 0, topic: "plugs/p1/commands/power", payload: "ON", retained: false },
  ]).state;
  for (let t = 1000; t <= 10000; t += 1000) {
    const step = run(state, [{ type: "burst", nowMs: t, burst: burst(900 + t / 100) }]);
    assert.deepEqual(publishes(step.effects).map((e) => e.topic), ["plugs/p1/state"], `at ${t}`);
    state = step.state;
  }
  assert.ok(
    Math.abs(
      JSON.parse(
        publishes(run(state, [{ type: "burst", nowMs: 11000, burst: burst(1000) }]).effects)[0]!
          .payload,
      ).watts - 1000,
    ) < 10,
  );
  // A state that is not a reading still goes out on its own topic when it changes.
  const off = run(state, [
    {
      type: "message",
      nowMs: 10500,
      topic: "plugs/p1/commands/power",
      payload: "OFF",
      retained: false,
    },
  ]);
  assert.deepEqual(publishes(off.effects).map((e) => e.topic), [
    "plugs/p1/states/power",
    "plugs/p1/state",
  ]);
});

Deno.test("switching the telemetry mode by command re-announces discovery", () => {
  const state = run(boot().state, [{ type: "connected", nowMs: 0 }]).state;
  const command = (payload: string) => ({
    type: "message" as const,
    nowMs: 2000,
    topic: "plugs/p1/commands/telemetry_mode",
    payload,
    retained: false,
  });
  const compact = run(state, [command("SNAPSHOT")]);
  assert.equal(compact.state.settings.telemetryMode, "snapshot");
  const discovery = compact.effects.find((e) => e.type === "discovery");
  assert.equal(discovery?.type === "discovery" && discovery.options.telemetryMode, "snapshot");
  const topics = publishes(compact.effects).map((e) => e.topic + "=" + e.payload);
  assert.ok(topics.includes("plugs/p1/states/watts="), topics.join(" "));
  assert.ok(topics.includes("plugs/p1/states/telemetry_mode=SNAPSHOT"));
  // The same mode again changes nothing that Home Assistant must relearn.
  const again = run(compact.state, [command("snapshot")]);
  assert.equal(again.effects.some((e) => e.type === "discovery"), false);
  assert.equal(run(state, [command("fast")]).effects.some((e) => e.type === "save"), false);
});
