import assert from "node:assert/strict";
import {
  type FanEffect,
  type FanEvent,
  fanEventFromReading,
  type FanOutputs,
  fanOutputs,
  type FanState,
  initialFanState,
  nextFanDeadlineMs,
  stepFan,
} from "./fan.ts";
import { DEFAULT_FAN_SETTINGS, type FanSettings } from "./settings.ts";

const MIN = 60000;
const HOUR = 3600000;

/** Drives the controller like an adapter would: ticks at every deadline between events. */
class Driver {
  state: FanState;
  effects: FanEffect[] = [];
  constructor(readonly settings: FanSettings, nowMs = 0) {
    this.state = initialFanState(nowMs);
  }
  send(event: FanEvent): this {
    const step = stepFan(this.state, event, this.settings);
    this.state = step.state;
    this.effects.push(...step.effects);
    return this;
  }
  /** Ticks at every deadline up to `nowMs`, then at `nowMs`. */
  until(nowMs: number): this {
    for (;;) {
      const deadlineMs = nextFanDeadlineMs(this.state, this.settings);
      if (deadlineMs === null || deadlineMs >= nowMs) break;
      this.send({ type: "tick", nowMs: deadlineMs });
    }
    return this.send({ type: "tick", nowMs });
  }
  /** Feeds the same reading every `everyMs` until `nowMs` (inclusive). */
  feed(untilMs: number, humidityPct: number, tempC = 21, everyMs = MIN): this {
    for (let atMs = this.state.nowMs + everyMs; atMs <= untilMs; atMs += everyMs) {
      this.until(atMs).send({ type: "reading", nowMs: atMs, humidityPct, tempC });
    }
    return this;
  }
  get out(): FanOutputs {
    return fanOutputs(this.state, this.settings);
  }
}

const booted = (settings = DEFAULT_FAN_SETTINGS, humidityPct = 50): Driver =>
  new Driver(settings)
    .send({ type: "boot", nowMs: 0 })
    .send({ type: "network", nowMs: 0, up: true })
    .send({ type: "reading", nowMs: 0, humidityPct, tempC: 21 });

const withSettings = (patch: Partial<FanSettings>): FanSettings =>
  Object.assign({}, DEFAULT_FAN_SETTINGS, patch);

Deno.test("boot purges at low speed, then decides from the sensor", () => {
  const fan = booted();
  assert.deepEqual([fan.out.speed, fan.out.reason, fan.out.control], [1, "purge", "full"]);
  fan.feed(MIN, 50);
  assert.equal(fan.out.reason, "purge"); // held by minOnMs (2 min) after warmMs (1 min)
  fan.feed(2 * MIN, 50);
  assert.deepEqual([fan.out.speed, fan.out.reason], [0, "none"]);
  assert.deepEqual(fan.effects, [{ type: "fan", speed: 1 }, { type: "fan", speed: 0 }]);
});

Deno.test("a humid boot switches straight to high speed", () => {
  const fan = booted(DEFAULT_FAN_SETTINGS, 85);
  assert.deepEqual([fan.out.speed, fan.out.reason], [2, "humidity"]);
});

Deno.test("humidity hysteresis: on at humOnPct, hold between, off at humOffPct", () => {
  const fan = booted(withSettings({ humRisePct: 0, humOnPct: 70, humOffPct: 60 }))
    .feed(10 * MIN, 50);
  fan.feed(11 * MIN, 69.9, 21);
  assert.equal(fan.out.on, false);
  fan.feed(12 * MIN, 70);
  assert.deepEqual([fan.out.speed, fan.out.reason], [2, "humidity"]);
  fan.feed(20 * MIN, 65);
  assert.equal(fan.out.speed, 2);
  fan.feed(21 * MIN, 60);
  assert.deepEqual([fan.out.speed, fan.out.reason], [0, "none"]);
});

Deno.test("humUsing OFF ignores humidity", () => {
  const fan = booted(withSettings({ humUsing: false })).feed(10 * MIN, 95);
  assert.equal(fan.out.on, false);
});

Deno.test("temperature hysteresis drives the fan when tempUsing", () => {
  const settings = withSettings({ humUsing: false, tempUsing: true });
  const fan = booted(settings).feed(10 * MIN, 50, 25);
  assert.equal(fan.out.on, false);
  fan.feed(11 * MIN, 50, 30);
  assert.deepEqual([fan.out.speed, fan.out.reason], [2, "temperature"]);
  fan.feed(20 * MIN, 50, 28);
  assert.equal(fan.out.on, true);
  fan.feed(21 * MIN, 50, 27);
  assert.equal(fan.out.on, false);
});

Deno.test("off only when every used reading is at or below its off value", () => {
  const settings = withSettings({ tempUsing: true, humOnPct: 70, humOffPct: 60 });
  const fan = booted(settings).feed(10 * MIN, 75, 31);
  assert.equal(fan.out.reason, "humidity");
  fan.feed(20 * MIN, 55, 31);
  assert.deepEqual([fan.out.on, fan.out.reason], [true, "temperature"]);
  fan.feed(30 * MIN, 55, 26);
  assert.equal(fan.out.on, false);
});

Deno.test("rise criterion: on when humidity climbs humRisePct above the baseline", () => {
  const fan = booted(withSettings({ humOnPct: 70, humOffPct: 60 }), 45).feed(6 * HOUR, 45);
  fan.feed(6 * HOUR + 10 * MIN, 45); // past any check run
  assert.equal(fan.out.on, false);
  fan.feed(6 * HOUR + 11 * MIN, 56); // below humOnPct 70, but 11 above the baseline
  assert.deepEqual([fan.out.speed, fan.out.reason], [2, "humidity"]);
  fan.feed(6 * HOUR + 30 * MIN, 52);
  assert.equal(fan.out.on, true); // 7 above: holds
  fan.feed(6 * HOUR + 31 * MIN, 50);
  assert.equal(fan.out.on, false); // back within half the rise
});

Deno.test("rise criterion: humRisePct 0 disables it", () => {
  const settings = withSettings({ humRisePct: 0, humOnPct: 70, humOffPct: 60 });
  const fan = booted(settings, 45).feed(6 * HOUR, 45);
  fan.feed(6 * HOUR + 10 * MIN, 45).feed(6 * HOUR + 11 * MIN, 65);
  assert.equal(fan.out.reason === "humidity", false);
});

Deno.test("the baseline barely follows a long shower run", () => {
  const settings = withSettings({ humOnPct: 70, humOffPct: 60 });
  const fan = booted(settings, 45).feed(6 * HOUR, 45).feed(7 * HOUR, 80);
  assert.equal(fan.out.reason, "humidity");
  const baselinePct = fan.out.baselinePct ?? NaN;
  assert.ok(baselinePct > 45 && baselinePct < 48.5, `baseline ${baselinePct}`);
});

Deno.test("outputs report the readings in use and the baseline only when rise is on", () => {
  const fan = booted().feed(MIN, 55.5, 22.5);
  assert.equal(fan.out.humidityPct, 55.5);
  assert.equal(fan.out.tempC, 22.5);
  assert.equal(typeof fan.out.baselinePct, "number");
  assert.equal(fanOutputs(fan.state, withSettings({ humRisePct: 0 })).baselinePct, null);
});

Deno.test("control tells which of sensor and network are available", () => {
  const fan = booted();
  assert.equal(fan.out.control, "full");
  fan.send({ type: "network", nowMs: 1000, up: false });
  assert.equal(fan.out.control, "sensor");
  fan.until(5 * MIN);
  assert.equal(fan.out.control, "timer");
  assert.equal(fan.out.humidityPct, null);
  fan.send({ type: "network", nowMs: 5 * MIN + 1, up: true });
  assert.equal(fan.out.control, "remote");
  fan.send({ type: "reading", nowMs: 5 * MIN + 2, humidityPct: 50, tempC: 20 });
  assert.equal(fan.out.control, "full");
});

Deno.test("a stale sensor falls back to the timer cycle and recovers by itself", () => {
  const fan = booted().feed(30 * MIN, 80);
  assert.equal(fan.out.reason, "humidity");
  fan.until(30 * MIN + 5 * MIN - 1);
  assert.equal(fan.out.control, "full");
  fan.until(35 * MIN);
  assert.equal(fan.out.control, "remote");
  // The timer cycle anchored at boot is in its off phase (10 of every 60 min).
  assert.deepEqual([fan.out.speed, fan.out.reason], [0, "none"]);
  fan.until(60 * MIN);
  assert.deepEqual([fan.out.speed, fan.out.reason], [1, "timer"]);
  fan.until(70 * MIN);
  assert.equal(fan.out.on, false);
  fan.send({ type: "reading", nowMs: 71 * MIN, humidityPct: 80, tempC: 20 });
  assert.deepEqual([fan.out.control, fan.out.reason], ["full", "humidity"]);
});

Deno.test("invalid readings and sensor_missing only let the last reading age", () => {
  const fan = booted().feed(10 * MIN, 50);
  const bad: Array<[number, number]> = [[NaN, 20], [101, 20], [-1, 20], [50, -41], [50, 86]];
  let atMs = 10 * MIN;
  for (const pair of bad) {
    atMs += 30000;
    fan.send({ type: "reading", nowMs: atMs, humidityPct: pair[0], tempC: pair[1] });
    assert.equal(fan.out.control, "full");
    assert.equal(fan.out.humidityPct, 50);
  }
  fan.send({ type: "sensor_missing", nowMs: 14 * MIN });
  assert.equal(fan.out.control, "full");
  fan.send({ type: "sensor_missing", nowMs: 15 * MIN });
  assert.equal(fan.out.control, "remote");
});

Deno.test("a reading older than sensorStaleMs does not count", () => {
  const fan = booted().until(10 * MIN);
  assert.equal(fan.out.control, "remote");
  const old = fanEventFromReading({ humidityPct: 50, tempC: 20, atMs: 4 * MIN }, 10 * MIN);
  fan.send(old);
  assert.equal(fan.out.control, "remote");
  fan.send(fanEventFromReading({ humidityPct: 50, tempC: 20, atMs: 9 * MIN }, 10 * MIN));
  assert.equal(fan.out.control, "full");
  fan.send(fanEventFromReading(null, 13 * MIN));
  assert.equal(fan.out.control, "full");
  fan.until(14 * MIN);
  assert.equal(fan.out.control, "remote"); // stale counts from when the reading was taken
});

Deno.test("manual commands act at once and AUTO returns to automatic", () => {
  const fan = booted().feed(10 * MIN, 50);
  fan.send({ type: "power", nowMs: 10 * MIN, command: "on" });
  assert.deepEqual([fan.out.speed, fan.out.mode, fan.out.reason], [2, "manual", "manual"]);
  fan.send({ type: "power", nowMs: 10 * MIN + 1, command: "off" }); // ignores minOnMs
  assert.deepEqual([fan.out.speed, fan.out.mode, fan.out.reason], [0, "manual", "manual"]);
  fan.send({ type: "speed", nowMs: 10 * MIN + 2, speed: 1 }); // ignores minOffMs
  assert.deepEqual([fan.out.speed, fan.out.mode], [1, "manual"]);
  fan.send({ type: "speed", nowMs: 10 * MIN + 3, speed: 0 });
  assert.deepEqual([fan.out.speed, fan.out.mode], [0, "manual"]);
  fan.feed(60 * MIN, 90);
  assert.equal(fan.out.on, false); // manual OFF wins over humidity
  fan.send({ type: "power", nowMs: 60 * MIN, command: "auto" });
  assert.deepEqual([fan.out.speed, fan.out.mode, fan.out.reason], [2, "auto", "humidity"]);
});

Deno.test("invalid speed and power commands change nothing", () => {
  const fan = booted();
  const before = fan.state;
  const bad = [3, -1, 1.5, NaN, Infinity, "2"] as unknown as number[];
  for (const speed of bad) {
    assert.equal(stepFan(before, { type: "speed", nowMs: 10, speed }, fan.settings).state, before);
  }
  const toggle = { type: "power", nowMs: 10, command: "toggle" } as unknown as FanEvent;
  assert.equal(stepFan(before, toggle, fan.settings).state, before);
});

Deno.test("a dropped network ends a manual override", () => {
  const fan = booted().feed(10 * MIN, 50);
  fan.send({ type: "power", nowMs: 10 * MIN, command: "on" });
  fan.send({ type: "network", nowMs: 15 * MIN, up: false });
  assert.deepEqual([fan.out.mode, fan.out.speed, fan.out.reason], ["auto", 0, "none"]);
  // A command from a local button while offline stays in force.
  fan.send({ type: "power", nowMs: 16 * MIN, command: "on" });
  fan.until(20 * MIN);
  assert.equal(fan.out.mode, "manual");
});

Deno.test("maxSpeed 1: a single-speed fan runs every reason at speed 1", () => {
  const fan = booted(withSettings({ maxSpeed: 1 }), 85);
  assert.deepEqual([fan.out.speed, fan.out.reason], [1, "humidity"]);
  fan.send({ type: "power", nowMs: 1, command: "on" });
  assert.equal(fan.out.speed, 1);
});

Deno.test("events never throw; bad ones leave the state as it was", () => {
  const fan = booted();
  const before = fan.state;
  const garbage = [
    null,
    undefined,
    42,
    "tick",
    {},
    { type: "tick" },
    { type: "tick", nowMs: NaN },
    { type: "tick", nowMs: "5" },
    { type: "explode", nowMs: 5 },
    { type: "network", nowMs: 5, up: "yes" },
  ] as unknown as FanEvent[];
  for (const event of garbage) {
    const step = stepFan(before, event, fan.settings);
    assert.equal(step.state, before);
    assert.deepEqual(step.effects, []);
  }
});

Deno.test("time running backwards is taken as now", () => {
  const fan = booted().feed(10 * MIN, 50);
  fan.send({ type: "reading", nowMs: 5 * MIN, humidityPct: 90, tempC: 20 });
  assert.equal(fan.state.nowMs, 10 * MIN);
  assert.equal(fan.out.reason, "humidity");
});

Deno.test("any first event boots the controller", () => {
  const fan = new Driver(DEFAULT_FAN_SETTINGS, 0).send({ type: "tick", nowMs: 500 });
  assert.equal(fan.state.bootMs, 500);
  assert.equal(fan.out.reason, "purge");
  assert.equal(nextFanDeadlineMs(initialFanState(0), DEFAULT_FAN_SETTINGS), null);
});
