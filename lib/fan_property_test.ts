import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type FanEvent,
  fanOutputs,
  type FanState,
  initialFanState,
  nextFanDeadlineMs,
  stepFan,
} from "./fan.ts";
import { decideFan } from "./fan_decide.ts";
import { DEFAULT_FAN_SETTINGS, type FanSettings } from "./settings.ts";

const MIN = 60000;

/** A duration that is often exactly 0 or a round minute, where edge cases live. */
const durationArb = (maxMs: number): fc.Arbitrary<number> =>
  fc.oneof(
    fc.constant(0),
    fc.constantFrom(MIN, 2 * MIN, 10 * MIN),
    fc.integer({ min: 1, max: maxMs }),
  );

const settingsArb: fc.Arbitrary<FanSettings> = fc.record({
  humOnPct: fc.integer({ min: 40, max: 90 }),
  humGapPct: fc.integer({ min: 1, max: 20 }),
  humRisePct: fc.constantFrom(0, 5, 10, 15),
  tempOnC: fc.integer({ min: 20, max: 35 }),
  tempGapC: fc.integer({ min: 1, max: 5 }),
  humUsing: fc.boolean(),
  tempUsing: fc.boolean(),
  timeUsing: fc.boolean(),
  timerOnMs: durationArb(20 * MIN),
  timerOffMs: durationArb(60 * MIN),
  warmMs: durationArb(5 * MIN),
  checkPeriodMs: durationArb(60 * MIN),
  minOnMs: durationArb(10 * MIN),
  minOffMs: durationArb(10 * MIN),
  maxRunMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 180 * MIN })),
  cooldownMs: durationArb(30 * MIN),
  maxSpeed: fc.integer({ min: 1, max: 3 }),
  sensorStaleMs: fc.integer({ min: 1, max: 30 * MIN }),
}).map((r) =>
  Object.assign({}, DEFAULT_FAN_SETTINGS, r, {
    humOffPct: r.humOnPct - r.humGapPct,
    tempOffC: r.tempOnC - r.tempGapC,
  })
);

const humidityArb = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 1000 }).map((x) => x / 10) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, -3, 100.5, Infinity) },
);
const tempArb = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 100, max: 400 }).map((x) => x / 10) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, -41, 86, -Infinity) },
);

const eventArb: fc.Arbitrary<Omit<FanEvent, "nowMs">> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ type: "tick" as const }) },
  {
    weight: 8,
    arbitrary: fc.record({
      type: fc.constant("reading" as const),
      humidityPct: humidityArb,
      tempC: tempArb,
    }),
  },
  { weight: 1, arbitrary: fc.constant({ type: "sensor_missing" as const }) },
  { weight: 1, arbitrary: fc.constant({ type: "boot" as const }) },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant("network" as const), up: fc.boolean() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant("power" as const),
      command: fc.constantFrom("on" as const, "off" as const, "auto" as const, "auto" as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant("speed" as const),
      speed: fc.constantFrom(-1, 0, 1, 2, 3, 4, 1.5, NaN),
    }),
  },
);

const stepArb = fc.record({
  dtMs: fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: MIN }) },
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 20 * MIN }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 180 * MIN }) },
  ),
  what: fc.oneof(
    { weight: 10, arbitrary: eventArb.map((event) => ({ kind: "event" as const, event })) },
    { weight: 4, arbitrary: fc.constant({ kind: "deadline" as const }) },
    { weight: 1, arbitrary: fc.anything().map((value) => ({ kind: "garbage" as const, value })) },
  ),
  atLagMs: fc.option(fc.integer({ min: -MIN, max: 15 * MIN }), { nil: undefined }),
  probe: fc.double({ min: 0, max: 1, noNaN: true }),
});

const deepFreeze = <T>(value: T): T => {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
};

const validClimate = (h: number, t: number): boolean =>
  isFinite(h) && isFinite(t) && h >= 0 && h <= 100 && t >= -40 && t <= 85;

Deno.test("property: random event sequences keep every controller invariant", () => {
  fc.assert(
    fc.property(
      settingsArb,
      fc.array(stepArb, { minLength: 1, maxLength: 250, size: "max" }),
      (settings, steps) => {
        let state: FanState = deepFreeze(initialFanState(0));
        let clockMs = 0;
        let lastSwitchMs: number | null = null;
        let runStartMs: number | null = null;
        let lastValidMs: number | null = null;
        for (const item of steps) {
          const deadlineMs = nextFanDeadlineMs(state, settings);
          clockMs = item.what.kind === "deadline" && deadlineMs !== null
            ? deadlineMs
            : clockMs + item.dtMs;
          let event: FanEvent;
          if (item.what.kind === "garbage") event = item.what.value as FanEvent;
          else if (item.what.kind === "deadline") event = { type: "tick", nowMs: clockMs };
          else {
            event = Object.assign({ nowMs: clockMs }, item.what.event) as FanEvent;
            if (event.type === "reading" && item.atLagMs !== undefined) {
              event = Object.assign({}, event, { atMs: clockMs - item.atLagMs });
            }
          }
          deepFreeze(event);
          const before = state;
          const step = stepFan(before, event, settings); // frozen inputs: mutation would throw
          state = deepFreeze(step.state);
          const out = fanOutputs(state, settings);
          const nowMs = state.nowMs;

          // Speed stays a whole step within 0..maxSpeed; effects match the outputs.
          assert.ok(
            Number.isInteger(out.speed) && out.speed >= 0 && out.speed <= settings.maxSpeed,
          );
          assert.equal(out.on, out.speed > 0);
          assert.deepEqual(
            step.effects,
            state.speed === before.speed ? [] : [{ type: "fan", speed: state.speed }],
          );
          assert.ok(nowMs >= before.nowMs);

          // No switch sooner than minOnMs / minOffMs, except manual commands and safety.
          const wasOn = before.speed > 0;
          const previousSwitchMs = lastSwitchMs;
          const command = item.what.kind === "event" &&
            (item.what.event.type === "power" || item.what.event.type === "speed");
          if (wasOn !== out.on) {
            if (!command && out.reason !== "safety" && lastSwitchMs !== null) {
              const minMs = wasOn ? settings.minOnMs : settings.minOffMs;
              assert.ok(nowMs - lastSwitchMs >= minMs, `switched after ${nowMs - lastSwitchMs}`);
            }
            lastSwitchMs = nowMs;
            runStartMs = out.on ? nowMs : null;
          }

          // An automatic run never reaches maxRunMs.
          if (out.on && out.mode === "auto" && settings.maxRunMs > 0 && runStartMs !== null) {
            assert.ok(nowMs - runStartMs < settings.maxRunMs, "run past maxRunMs");
          }

          // The sensor counts exactly while a valid reading younger than sensorStaleMs exists.
          if (event !== null && typeof event === "object" && event.type === "reading") {
            const raw = (event as { atMs?: unknown }).atMs;
            const atMs = typeof raw === "number" && raw <= nowMs ? raw : nowMs;
            if (
              validClimate(event.humidityPct, event.tempC) &&
              nowMs - atMs < settings.sensorStaleMs &&
              (lastValidMs === null || atMs >= lastValidMs)
            ) {
              lastValidMs = atMs;
            }
          }
          const fresh: boolean = lastValidMs !== null &&
            nowMs - lastValidMs < settings.sensorStaleMs;
          const sensorControls = out.control === "full" || out.control === "sensor";
          assert.equal(sensorControls, fresh, `control ${out.control}`);
          assert.equal(out.control === "full" || out.control === "remote", state.networkUp);

          // A fresh reading at or above humOnPct runs the fan at full speed unless held.
          if (
            fresh && settings.humUsing && out.mode === "auto" && out.reason !== "safety" &&
            state.humidityPct !== null && state.humidityPct >= settings.humOnPct &&
            (wasOn || previousSwitchMs === null || nowMs - previousSwitchMs >= settings.minOffMs)
          ) {
            assert.deepEqual([out.speed, out.reason], [settings.maxSpeed, "humidity"]);
          }

          // A settled state is a fixed point: deciding again at the same time changes nothing.
          assert.deepEqual(decideFan(state, settings), state);

          // Once booted, nothing changes by itself before the next deadline.
          const nextMs = nextFanDeadlineMs(state, settings);
          assert.ok(nextMs === null || nextMs > nowMs);
          const horizonMs = nextMs === null ? 24 * 3600000 : nextMs - nowMs - 1;
          const probeMs = nowMs + Math.floor(horizonMs * item.probe);
          if (probeMs > nowMs && state.booted) {
            const probe = stepFan(state, { type: "tick", nowMs: probeMs }, settings);
            assert.deepEqual(probe.effects, []);
            assert.deepEqual(fanOutputs(probe.state, settings), out);
          }
        }
      },
    ),
    { numRuns: 300 },
  );
});
