import assert from "node:assert/strict";
import fc from "fast-check";
import { stepFedBack } from "./deferred_states_test.ts";
import { type DeviceEffect, effectPublishes, publishedPayload } from "./device_effects.ts";
import {
  bootFan,
  type FanDeviceEvent,
  type FanDeviceState,
  fanStates,
  nextFanDeviceDeadlineMs,
  stepFanDevice,
} from "./fan_device.ts";
import { fanStateMessages, telemetryParams } from "./protocol_states.ts";
import { encodeSettings } from "./settings_codec.ts";
import { DEFAULT_FAN_SETTINGS } from "./settings.ts";

const NETWORK = { rssiDbm: -55, ssid: "lan", ip: "10.0.0.9", mac: "5C:CF:7F:00:00:09" };

const boot = (settingsText: string | null = null) =>
  bootFan({
    prefix: "home/",
    id: "fan1",
    nowMs: 0,
    settingsText,
    network: NETWORK,
    swVersion: "t",
  });

function run(state: FanDeviceState, events: FanDeviceEvent[]) {
  const effects: DeviceEffect[] = [];
  for (const event of events) {
    const step = stepFanDevice(state, event);
    state = step.state;
    effects.push(...step.effects);
  }
  return { state, effects };
}

const reading = (nowMs: number, humidityPct: number, tempC = 21): FanDeviceEvent => ({
  type: "reading",
  nowMs,
  reading: { humidityPct, tempC, atMs: nowMs },
});

const command = (nowMs: number, param: string, payload: string): FanDeviceEvent => ({
  type: "message",
  nowMs,
  topic: "home/fans/fan1/commands/" + param,
  payload,
  retained: false,
});

const published = (effects: DeviceEffect[], param: string) =>
  effectPublishes(effects).flatMap((e) =>
    e.topic === "home/fans/fan1/states/" + param ? [e.payload] : []
  );

Deno.test("a session brings the controller online and publishes everything", () => {
  const { state, effects } = run(boot().state, [{ type: "connected", nowMs: 5 }]);
  assert.equal(state.fan.networkUp, true);
  assert.deepEqual(effects.slice(0, 3).map((e) => e.type), ["subscribe", "publish", "discovery"]);
  assert.deepEqual(published(effects, "reason"), ["purge"]);
  assert.deepEqual(published(effects, "hum_on"), [String(DEFAULT_FAN_SETTINGS.humOnPct)]);
});

Deno.test("humid air after the purge runs the fan at full speed and says why", () => {
  const { state, effects } = run(boot().state, [
    { type: "connected", nowMs: 0 },
    reading(30000, 50),
    reading(61000, 92),
  ]);
  assert.equal(state.fan.speed, DEFAULT_FAN_SETTINGS.maxSpeed);
  assert.ok(effects.some((e) => e.type === "fan" && e.speed === DEFAULT_FAN_SETTINGS.maxSpeed));
  assert.deepEqual(published(effects, "reason").at(-1), "humidity");
  assert.equal(fanStates(state, 61000).control, "full");
});

Deno.test("without the network the fan keeps control on its sensor", () => {
  const { state } = run(boot().state, [
    { type: "connected", nowMs: 0 },
    reading(1000, 50),
    { type: "disconnected", nowMs: 2000 },
  ]);
  assert.equal(fanStates(state, 2000).control, "sensor");
});

Deno.test("manual commands override, AUTO gives control back", () => {
  const manual = run(boot().state, [{ type: "connected", nowMs: 0 }, command(1000, "speed", "2")]);
  assert.equal(manual.state.fan.speed, 2);
  assert.equal(fanStates(manual.state, 1000).mode, "manual");
  const auto = run(manual.state, [command(2000, "power", "AUTO")]);
  assert.equal(fanStates(auto.state, 2000).mode, "auto");
});

Deno.test("bad commands are answered on errors and change nothing", () => {
  const connected = run(boot().state, [{ type: "connected", nowMs: 0 }]).state;
  for (
    const [param, payload, pattern] of [
      ["speed", "7", /speed/],
      ["hum_off", "95", /hum_off/],
      ["hum_on", "abc", /hum_on/],
      ["warm", "-1", /warm/],
    ] as const
  ) {
    const { state, effects } = run(connected, [command(1000, param, payload)]);
    assert.equal(state, connected, param);
    assert.equal(effects.length, 1);
    const effect = effects[0]!;
    assert.ok(effect.type === "publish" && effect.topic === "home/fans/fan1/errors");
    if (effect.type === "publish") assert.match(JSON.parse(effect.payload).error, pattern);
  }
});

Deno.test("a new threshold is saved, published and applied at once", () => {
  const { state, effects } = run(boot().state, [
    { type: "connected", nowMs: 0 },
    reading(61000, 66),
    command(62000, "hum_off", "50"),
    command(62000, "hum_on", "65"),
  ]);
  assert.equal(state.settings.humOnPct, 65);
  assert.ok(
    effects.some((e) => e.type === "save" && e.value === encodeSettings("fans", state.settings)),
  );
  assert.deepEqual(published(effects, "hum_on").at(-1), "65");
  assert.equal(state.fan.speed, DEFAULT_FAN_SETTINGS.maxSpeed);
});

Deno.test("settings survive a reboot; corrupt settings fall back to defaults", () => {
  const custom = Object.assign({}, DEFAULT_FAN_SETTINGS, { humOnPct: 77 });
  assert.equal(boot(encodeSettings("fans", custom)).state.settings.humOnPct, 77);
  const corrupt = boot("housegrid-settings 1 fans 0 {}");
  assert.deepEqual(corrupt.state.settings, DEFAULT_FAN_SETTINGS);
  assert.equal(corrupt.problems.length, 1);
});

Deno.test("the next deadline is never later than telemetry", () => {
  const { state } = run(boot().state, [reading(61000, 50)]);
  assert.ok(nextFanDeviceDeadlineMs(state) <= state.lastTelemetryMs + state.settings.telemetryMs);
});

const eventAt = (nowMs: number) =>
  fc.oneof(
    fc.constant<FanDeviceEvent>({ type: "tick", nowMs }),
    fc.double({ min: -10, max: 120, noNaN: false }).map((h) => reading(nowMs, h)),
    fc.constant<FanDeviceEvent>({ type: "reading", nowMs, reading: null }),
    fc.constant<FanDeviceEvent>({ type: "connected", nowMs }),
    fc.constant<FanDeviceEvent>({ type: "disconnected", nowMs }),
    fc.tuple(
      fc.constantFrom("power", "speed", "hum_on", "hum_off", "min_on", "max_run", "nope"),
      fc.oneof(fc.constantFrom("ON", "OFF", "AUTO", "0", "1", "2", "3", "65", "90"), fc.string()),
    ).map(([param, payload]) => command(nowMs, param, payload)),
  );

const eventsArbitrary = fc.array(fc.integer({ min: 0, max: 120000 }), { maxLength: 60 }).chain(
  (steps) => {
    let t = 0;
    return fc.tuple(...steps.map((dt) => eventAt(t += dt)));
  },
);

Deno.test("property: effects agree with the state; rejected commands change nothing; deferred states come to the same", () => {
  fc.assert(
    fc.property(
      eventsArbitrary,
      (events) => {
        let state = boot().state;
        for (const event of events) {
          const step = stepFanDevice(state, event);
          // Its states published later (as the firmware does) come to the same.
          assert.deepEqual(stepFedBack(stepFanDevice, state, event), step);
          assert.ok(step.effects.every((effect) => effect.type !== "statesDue"));
          for (const effect of step.effects) {
            if (effect.type === "fan") {
              assert.equal(effect.speed, step.state.fan.speed);
              assert.ok(effect.speed >= 0 && effect.speed <= step.state.settings.maxSpeed);
            }
            if (effect.type === "publish" && effect.topic.endsWith("/errors")) {
              assert.equal(step.state, state);
            }
            if (effect.type === "publish" || effect.type === "states") {
              assert.ok(step.state.connected);
            }
          }
          state = step.state;
          // What does not wait for telemetry is on the broker as the fan has it now.
          if (state.connected) {
            const fresh = fanStateMessages(state.base, fanStates(state, event.nowMs));
            for (const [position, message] of fresh.entries()) {
              if (telemetryParams("fans").includes(message.param)) continue;
              assert.equal(
                publishedPayload(state.published, position),
                message.payload,
                message.param,
              );
            }
          }
        }
      },
    ),
    { numRuns: 150 },
  );
});
