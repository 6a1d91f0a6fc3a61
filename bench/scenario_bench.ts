/**
 * Scenario throughput: the `bathroom-day` scenario (one fan through 24 simulated hours in
 * the full simulator runtime: virtual clock timers, Wi-Fi model, in-memory MQTT link,
 * room model, per-minute CSV rows and chart data) against the same 24 h of the pure lib/
 * fan device and room model stepped directly in a loop (the baseline: no clock, no link,
 * no sampling). The ratio is what the simulator's runtime costs on top of the logic.
 *
 * Device-hours per wall second = 24 / (time per iteration in s).
 *
 * Run: `deno bench -A bench/scenario_bench.ts`
 *
 * @module
 */

import type { DeviceEffect } from "../lib/device_effects.ts";
import { bootFan, nextFanDeviceDeadlineMs, stepFanDevice } from "../lib/fan_device.ts";
import type { FanDeviceEvent, FanDeviceState } from "../lib/fan_device.ts";
import { activeAt } from "../sim/occupancy.ts";
import { BATHROOM, createRoom, ductReading, stepRoom } from "../sim/room.ts";
import { HOUR_MS, SCENARIO_START_MS } from "../sim/scenario.ts";
import { BATHROOM_SHOWERS } from "../sim/scenario_fan.ts";
import { runScenario } from "../sim/scenarios.ts";
import { SENSOR_PERIOD_MS } from "../sim/fan.ts";

const DAY_MS = 24 * HOUR_MS;
const NETWORK = { rssiDbm: -60, ssid: "bench", ip: "10.0.0.9", mac: "5C:CF:7F:00:00:09" };
const SHOWERS = BATHROOM_SHOWERS.map((a) => ({
  startMs: SCENARIO_START_MS + a.startMs,
  durationMs: a.durationMs,
}));

/** The bathroom day without the runtime: returns the fan's running minutes (checked below). */
function directDay(): number {
  const startMs = SCENARIO_START_MS;
  let speed = 0;
  let runningMs = 0;
  const apply = (effects: DeviceEffect[]): void => {
    for (const effect of effects) if (effect.type === "fan") speed = effect.speed;
  };
  const booted = bootFan({
    prefix: "",
    id: "fan1",
    nowMs: startMs,
    settingsText: null,
    network: NETWORK,
    swVersion: "bench",
  });
  let state: FanDeviceState = booted.state;
  apply(booted.effects);
  const step = (event: FanDeviceEvent): void => {
    const next = stepFanDevice(state, event);
    state = next.state;
    apply(next.effects);
  };
  step({ type: "connected", nowMs: startMs });
  let room = createRoom(BATHROOM);
  let roomMs = startMs;
  const advanceRoom = (toMs: number): void => {
    if (speed > 0) runningMs += toMs - roomMs;
    room = stepRoom(room, toMs - roomMs, {
      fanSpeed: speed,
      showerOn: activeAt(SHOWERS, toMs),
    });
    roomMs = toMs;
  };
  for (let atMs = startMs + SENSOR_PERIOD_MS; atMs <= startMs + DAY_MS; atMs += SENSOR_PERIOD_MS) {
    for (;;) {
      const deadlineMs = nextFanDeviceDeadlineMs(state);
      if (deadlineMs >= atMs) break;
      advanceRoom(Math.max(roomMs, deadlineMs));
      step({ type: "tick", nowMs: deadlineMs });
    }
    advanceRoom(atMs);
    step({ type: "reading", nowMs: atMs, reading: ductReading(room, atMs) });
  }
  return runningMs / 60000;
}

const simulated = runScenario("bathroom-day");
console.log(
  `scenario bench: 24 device-h per iteration; fan ran ${simulated.facts.fanHours} h in the ` +
    `simulator, ${Math.round(directDay() / 0.6) / 100} h stepped directly`,
);

Deno.bench({
  name: "bathroom-day, lib fan device + room stepped directly (no runtime)",
  group: "bathroom-day 24 h",
  baseline: true,
  fn() {
    directDay();
  },
});

Deno.bench({
  name: "bathroom-day scenario in the sim runtime (clock, Wi-Fi, memory MQTT, sampling)",
  group: "bathroom-day 24 h",
  fn() {
    runScenario("bathroom-day");
  },
});
