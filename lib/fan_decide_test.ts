import assert from "node:assert/strict";
import {
  type FanEvent,
  type FanOutputs,
  fanOutputs,
  type FanState,
  initialFanState,
  stepFan,
} from "./fan.ts";
import { decideFan, fanTopSpeed, nextFanDeadlineMs } from "./fan_decide.ts";
import { DEFAULT_FAN_SETTINGS, type FanSettings } from "./settings.ts";

const MIN = 60000;
const HOUR = 3600000;

/** Drives the controller like an adapter would: ticks at every deadline between events. */
class Driver {
  state: FanState;
  constructor(readonly settings: FanSettings) {
    this.state = initialFanState(0);
  }
  send(event: FanEvent): this {
    this.state = stepFan(this.state, event, this.settings).state;
    return this;
  }
  until(nowMs: number): this {
    for (;;) {
      const deadlineMs = nextFanDeadlineMs(this.state, this.settings);
      if (deadlineMs === null || deadlineMs >= nowMs) break;
      this.send({ type: "tick", nowMs: deadlineMs });
    }
    return this.send({ type: "tick", nowMs });
  }
  feed(untilMs: number, humidityPct: number, everyMs = MIN): this {
    for (let atMs = this.state.nowMs + everyMs; atMs <= untilMs; atMs += everyMs) {
      this.until(atMs).send({ type: "reading", nowMs: atMs, humidityPct, tempC: 21 });
    }
    return this;
  }
  get out(): FanOutputs {
    return fanOutputs(this.state, this.settings);
  }
}

const withSettings = (patch: Partial<FanSettings>): FanSettings =>
  Object.assign({}, DEFAULT_FAN_SETTINGS, patch);

const booted = (settings = DEFAULT_FAN_SETTINGS, humidityPct = 50): Driver =>
  new Driver(settings)
    .send({ type: "boot", nowMs: 0 })
    .send({ type: "reading", nowMs: 0, humidityPct, tempC: 21 });

Deno.test("periodic check: warmMs at low speed every checkPeriodMs while off", () => {
  const settings = withSettings({ minOnMs: 0 });
  const fan = booted(settings).feed(MIN, 50);
  assert.equal(fan.out.on, false); // purge over at warmMs
  fan.feed(31 * MIN - MIN, 50).until(31 * MIN - 1);
  assert.equal(fan.out.on, false);
  fan.until(31 * MIN);
  assert.deepEqual([fan.out.speed, fan.out.reason], [1, "check"]);
  fan.until(32 * MIN);
  assert.deepEqual([fan.out.speed, fan.out.reason], [0, "none"]);
  fan.feed(62 * MIN, 50);
  assert.equal(fan.out.reason, "check");
});

Deno.test("a check lasts at least minOnMs, and checkPeriodMs 0 disables checks", () => {
  const fan = booted().feed(32 * MIN, 50);
  assert.equal(fan.out.reason, "check"); // started at 2 + 30 min
  fan.until(33 * MIN);
  assert.equal(fan.out.reason, "check"); // warmMs over, minOnMs (2 min) not yet
  fan.until(34 * MIN);
  assert.equal(fan.out.on, false);
  const quiet = booted(withSettings({ checkPeriodMs: 0 })).feed(5 * HOUR, 50);
  assert.equal(quiet.out.on, false);
  assert.equal(quiet.state.switchedMs, 2 * MIN);
});

Deno.test("a check that finds humid air goes to high speed", () => {
  const fan = booted().feed(32 * MIN, 50);
  assert.equal(fan.out.reason, "check");
  fan.send({ type: "reading", nowMs: 32 * MIN + 30000, humidityPct: 80, tempC: 21 });
  assert.deepEqual([fan.out.speed, fan.out.reason], [2, "humidity"]);
});

Deno.test("timeUsing runs the timer cycle alongside the sensor", () => {
  const settings = withSettings({ timeUsing: true, checkPeriodMs: 0 });
  const fan = booted(settings).feed(9 * MIN, 50);
  assert.deepEqual([fan.out.speed, fan.out.reason, fan.out.control], [1, "timer", "sensor"]);
  fan.feed(11 * MIN, 50);
  assert.equal(fan.out.on, false);
  fan.feed(61 * MIN, 50);
  assert.equal(fan.out.reason, "timer");
  fan.send({ type: "reading", nowMs: 61 * MIN + 1, humidityPct: 90, tempC: 21 });
  assert.deepEqual([fan.out.speed, fan.out.reason], [2, "humidity"]);
});

Deno.test("without a sensor the timer cycle runs from boot", () => {
  const fan = new Driver(DEFAULT_FAN_SETTINGS).send({ type: "boot", nowMs: 0 });
  assert.equal(fan.out.reason, "purge");
  fan.until(MIN);
  assert.deepEqual([fan.out.speed, fan.out.reason, fan.out.control], [1, "timer", "timer"]);
  fan.until(10 * MIN);
  assert.equal(fan.out.on, false);
  fan.until(60 * MIN);
  assert.equal(fan.out.reason, "timer");
});

Deno.test("minOnMs holds a run, minOffMs holds a rest", () => {
  const settings = withSettings({
    minOnMs: 5 * MIN,
    minOffMs: 3 * MIN,
    humRisePct: 0,
    humOnPct: 70,
    humOffPct: 60,
  });
  const fan = booted(settings).feed(10 * MIN, 50);
  fan.send({ type: "reading", nowMs: 10 * MIN, humidityPct: 80, tempC: 21 });
  assert.equal(fan.out.reason, "humidity");
  fan.feed(11 * MIN, 50);
  assert.deepEqual([fan.out.speed, fan.out.reason], [2, "humidity"]); // held, reason kept
  fan.until(15 * MIN - 1);
  assert.equal(fan.out.on, true);
  fan.until(15 * MIN);
  assert.equal(fan.out.on, false);
  fan.send({ type: "reading", nowMs: 16 * MIN, humidityPct: 80, tempC: 21 });
  assert.equal(fan.out.on, false);
  fan.until(18 * MIN);
  assert.deepEqual([fan.out.speed, fan.out.reason], [2, "humidity"]);
});

Deno.test("maxRunMs stops a run for cooldownMs whatever the sensor says", () => {
  const fan = booted(DEFAULT_FAN_SETTINGS, 85).feed(2 * HOUR - MIN, 85);
  assert.equal(fan.out.reason, "humidity");
  fan.until(2 * HOUR);
  assert.deepEqual([fan.out.speed, fan.out.reason], [0, "safety"]);
  fan.feed(2 * HOUR + 9 * MIN, 85);
  assert.deepEqual([fan.out.speed, fan.out.reason], [0, "safety"]);
  fan.until(2 * HOUR + 10 * MIN);
  assert.deepEqual([fan.out.speed, fan.out.reason], [2, "humidity"]);
});

Deno.test("a manual ON wins over the cooldown and is not cut by maxRunMs", () => {
  const fan = booted(DEFAULT_FAN_SETTINGS, 85).feed(2 * HOUR, 85);
  assert.equal(fan.out.reason, "safety");
  fan.send({ type: "power", nowMs: 2 * HOUR + MIN, command: "on" });
  assert.deepEqual([fan.out.speed, fan.out.reason], [2, "manual"]);
  fan.until(2 * HOUR + 2 * MIN);
  assert.equal(fan.out.reason, "manual");
  fan.send({ type: "power", nowMs: 2 * HOUR + 3 * MIN, command: "auto" });
  assert.deepEqual([fan.out.speed, fan.out.reason], [0, "safety"]); // cooldown still on
  fan.send({ type: "power", nowMs: 2 * HOUR + 4 * MIN, command: "on" });
  fan.until(6 * HOUR);
  assert.equal(fan.out.reason, "manual");
  // Back in automatic, the whole run counts: it is far past maxRunMs.
  fan.send({ type: "power", nowMs: 6 * HOUR, command: "auto" });
  assert.deepEqual([fan.out.speed, fan.out.reason], [0, "safety"]);
});

Deno.test("maxRunMs 0 means no limit", () => {
  const fan = booted(withSettings({ maxRunMs: 0 }), 85).feed(6 * HOUR, 85);
  assert.deepEqual([fan.out.speed, fan.out.reason], [2, "humidity"]);
  assert.equal(fan.state.runStartMs, 0);
});

Deno.test("decideFan leaves a controller that has not booted alone", () => {
  const state = initialFanState(0);
  assert.equal(decideFan(state, DEFAULT_FAN_SETTINGS), state);
  assert.equal(fanTopSpeed(withSettings({ maxSpeed: 3.7 })), 3);
  assert.equal(fanTopSpeed(withSettings({ maxSpeed: 0 })), 1);
});

Deno.test("nextFanDeadlineMs names the next purge, check, stale, cooldown and timer moments", () => {
  const fan = booted();
  assert.equal(nextFanDeadlineMs(fan.state, fan.settings), MIN); // purge end
  fan.until(MIN);
  assert.equal(nextFanDeadlineMs(fan.state, fan.settings), 2 * MIN); // minOnMs
  fan.until(2 * MIN);
  assert.equal(nextFanDeadlineMs(fan.state, fan.settings), 3 * MIN); // minOffMs expiry
  fan.until(3 * MIN);
  assert.equal(nextFanDeadlineMs(fan.state, fan.settings), 5 * MIN); // sensor stale
  fan.until(5 * MIN);
  assert.deepEqual([fan.out.control, fan.out.reason], ["timer", "timer"]);
  assert.equal(nextFanDeadlineMs(fan.state, fan.settings), 7 * MIN); // minOnMs of the timer run
  fan.until(7 * MIN);
  assert.equal(nextFanDeadlineMs(fan.state, fan.settings), 10 * MIN); // timer phase change
});
