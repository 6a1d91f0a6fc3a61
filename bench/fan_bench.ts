/**
 * Fan controller throughput: `stepFan` over one simulated day of readings every 10 s
 * (8,640 readings with a shower, plus the ticks at each deadline, about 9,000 steps), against
 * a trivial hysteresis step function in the same `(state, event) -> { state, effects }`
 * shape (the baseline). A second group replays the recorded three months of
 * `data/` (13,222 readings) through the controller, as `bench/fan_replay.ts` does.
 *
 * Divide the events per iteration (printed once) by the time per iteration for steps/s.
 *
 * Run: `deno bench -A bench/fan_bench.ts`
 *
 * @module
 */

import type { FanEvent, FanState } from "../lib/fan.ts";
import { initialFanState, nextFanDeadlineMs, stepFan } from "../lib/fan.ts";
import { DEFAULT_FAN_SETTINGS } from "../lib/settings.ts";
import { BATHROOM_CSV_URL, findShowers, parseBathroomCsv } from "./bathroom_data.ts";
import { REPLAY_BASE_SETTINGS, replayFan } from "./fan_replay.ts";

const SETTINGS = DEFAULT_FAN_SETTINGS;
const READING_EVERY_MS = 10000;
const DAY_MS = 24 * 3600000;

/** A day of readings: a slow daily swing, a shower at 07:00 decaying over an hour. */
const readingAt = (atMs: number): FanEvent => {
  const hour = atMs / 3600000;
  const showerPct = hour >= 7 && hour < 8.5 ? 35 * Math.exp(-(hour - 7) * 2) : 0;
  return {
    type: "reading",
    nowMs: atMs,
    humidityPct: 48 + 6 * Math.sin((2 * Math.PI * hour) / 24) + showerPct,
    tempC: 21,
  };
};

/** The events an adapter would send: boot, readings, and a tick at each deadline. */
const buildDay = (): FanEvent[] => {
  const events: FanEvent[] = [{ type: "boot", nowMs: 0 }, { type: "network", nowMs: 0, up: true }];
  let state: FanState = initialFanState(0);
  for (const event of events) state = stepFan(state, event, SETTINGS).state;
  for (let atMs = READING_EVERY_MS; atMs <= DAY_MS; atMs += READING_EVERY_MS) {
    for (;;) {
      const deadlineMs = nextFanDeadlineMs(state, SETTINGS);
      if (deadlineMs === null || deadlineMs >= atMs) break;
      const tick: FanEvent = { type: "tick", nowMs: deadlineMs };
      events.push(tick);
      state = stepFan(state, tick, SETTINGS).state;
    }
    const reading = readingAt(atMs);
    events.push(reading);
    state = stepFan(state, reading, SETTINGS).state;
  }
  return events;
};

const DAY = buildDay();
console.log(`fan bench: ${DAY.length} events per iteration of the day groups`);

interface HysteresisState {
  on: boolean;
  nowMs: number;
}

/** The baseline: humidity hysteresis alone, same shape as `stepFan`. */
const stepHysteresis = (
  state: HysteresisState,
  event: FanEvent,
): { state: HysteresisState; effects: Array<{ type: "fan"; speed: number }> } => {
  if (event.type !== "reading") return { state: { on: state.on, nowMs: event.nowMs }, effects: [] };
  const on = event.humidityPct >= SETTINGS.humOnPct
    ? true
    : event.humidityPct <= SETTINGS.humOffPct
    ? false
    : state.on;
  return {
    state: { on, nowMs: event.nowMs },
    effects: on === state.on ? [] : [{ type: "fan", speed: on ? 2 : 0 }],
  };
};

let sink = 0;

Deno.bench({
  name: "baseline: hysteresis step (one day, 10 s readings)",
  group: "fan: one day of 10 s readings",
  baseline: true,
  fn: () => {
    let state: HysteresisState = { on: false, nowMs: 0 };
    for (const event of DAY) {
      const step = stepHysteresis(state, event);
      state = step.state;
      sink += step.effects.length;
    }
  },
});

Deno.bench({
  name: "stepFan (one day, 10 s readings)",
  group: "fan: one day of 10 s readings",
  fn: () => {
    let state: FanState = initialFanState(0);
    for (const event of DAY) {
      const step = stepFan(state, event, SETTINGS);
      state = step.state;
      sink += step.effects.length;
    }
  },
});

const SAMPLES = parseBathroomCsv(Deno.readTextFileSync(BATHROOM_CSV_URL));
const SHOWERS = findShowers(SAMPLES);

Deno.bench({
  name: "replay 3 months of recorded 10-minute humidity (the defaults: rise 10 + 80/70)",
  group: "fan: recorded bathroom replay",
  baseline: true,
  fn: () => {
    sink += replayFan("bench", SAMPLES, SHOWERS, REPLAY_BASE_SETTINGS).caught;
  },
});

globalThis.addEventListener("unload", () => {
  if (sink < 0) console.log(sink);
});
