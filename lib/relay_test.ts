import assert from "node:assert/strict";
import fc from "fast-check";
import {
  initialRelayState,
  nextRelayDeadlineMs,
  type RelayEffect,
  type RelayEvent,
  type RelayState,
  stepRelay,
} from "./relay.ts";
import { DEFAULT_PLUG_SETTINGS, type PlugSettings } from "./settings.ts";

const SETTINGS: PlugSettings = {
  ...DEFAULT_PLUG_SETTINGS,
  minSwitchIntervalMs: 500,
  maxPowerW: 2000,
  overPowerHoldMs: 2000,
};

const boot = (nowMs: number, lastOn = false): RelayEvent => ({ type: "boot", nowMs, lastOn });
const command = (action: "on" | "off" | "toggle", nowMs: number): RelayEvent => ({
  type: "command",
  action,
  nowMs,
});
const pulse = (durationMs: number, nowMs: number): RelayEvent => ({
  type: "pulse",
  durationMs,
  nowMs,
});
const power = (powerW: number, nowMs: number): RelayEvent => ({ type: "power", powerW, nowMs });
const tick = (nowMs: number): RelayEvent => ({ type: "tick", nowMs });

const ON: RelayEffect = { type: "relay", on: true };
const OFF: RelayEffect = { type: "relay", on: false };

/** Runs events from `state`, returning the final state and every effect in order. */
function run(
  events: RelayEvent[],
  settings: PlugSettings = SETTINGS,
  state: RelayState = initialRelayState(),
): { state: RelayState; effects: RelayEffect[] } {
  const effects: RelayEffect[] = [];
  for (const event of events) {
    const step = stepRelay(state, event, settings);
    effects.push(...step.effects);
    state = step.state;
  }
  return { state, effects };
}

/** A booted relay that went on at 10 000 ms, long after boot. */
function onAt10s(settings: PlugSettings = SETTINGS): RelayState {
  return run([boot(0), command("on", 10_000)], settings).state;
}

Deno.test("boot applies powerOnState and always drives the output", () => {
  const cases: [PlugSettings["powerOnState"], boolean, boolean][] = [
    ["off", true, false],
    ["on", false, true],
    ["last", true, true],
    ["last", false, false],
  ];
  for (const [powerOnState, lastOn, expected] of cases) {
    const step = stepRelay(initialRelayState(), boot(5, lastOn), { ...SETTINGS, powerOnState });
    assert.equal(step.state.on, expected);
    assert.equal(step.state.lastChangeMs, expected ? 5 : null);
    assert.deepEqual(step.effects, [{ type: "relay", on: expected }]);
  }
  const unknown = { ...SETTINGS, powerOnState: "maybe" as PlugSettings["powerOnState"] };
  assert.equal(stepRelay(initialRelayState(), boot(0, true), unknown).state.on, false);
});

Deno.test("boot resets a faulted state and clears the fault", () => {
  const faulted: RelayState = { ...initialRelayState(), fault: "over_power: x", lastChangeMs: 9 };
  const step = stepRelay(faulted, boot(10), SETTINGS);
  assert.deepEqual(step.state, initialRelayState());
  assert.deepEqual(step.effects, [OFF, { type: "fault", fault: null }]);
});

Deno.test("on, off and toggle switch once the interval has passed", () => {
  let state = run([boot(0)]).state;
  const expectations: [RelayEvent, RelayEffect[]][] = [
    [command("on", 1000), [ON]],
    [command("on", 2000), []],
    [command("toggle", 3000), [OFF]],
    [command("off", 4000), []],
    [command("toggle", 5000), [ON]],
    [command("off", 6000), [OFF]],
  ];
  for (const [event, effects] of expectations) {
    const step = stepRelay(state, event, SETTINGS);
    assert.deepEqual(step.effects, effects, JSON.stringify(event));
    state = step.state;
  }
  assert.equal(state.lastChangeMs, 6000);
});

Deno.test("a change that comes too early waits and is applied at the deadline", () => {
  const early = stepRelay(onAt10s(), command("off", 10_200), SETTINGS);
  assert.deepEqual(early.effects, []);
  assert.equal(early.state.pendingOn, false);
  assert.equal(nextRelayDeadlineMs(early.state, SETTINGS), 10_500);
  assert.deepEqual(stepRelay(early.state, tick(10_499), SETTINGS).effects, []);
  const due = stepRelay(early.state, tick(10_500), SETTINGS);
  assert.deepEqual(due.effects, [OFF]);
  assert.equal(due.state.pendingOn, null);
  assert.equal(due.state.lastChangeMs, 10_500);
  // Any event, not only a tick, applies a due change.
  assert.deepEqual(stepRelay(early.state, power(5, 10_600), SETTINGS).effects, [OFF]);
});

Deno.test("the last early request wins; going back to the current state cancels", () => {
  const cancelled = run([command("off", 10_100), command("on", 10_200)], SETTINGS, onAt10s());
  assert.equal(cancelled.state.pendingOn, null);
  assert.equal(nextRelayDeadlineMs(cancelled.state, SETTINGS), null);
  assert.deepEqual(run([tick(20_000)], SETTINGS, cancelled.state).effects, []);
  // Two quick toggles cancel, three leave one change pending.
  const toggles = [command("toggle", 10_100), command("toggle", 10_200)];
  assert.equal(run(toggles, SETTINGS, onAt10s()).state.pendingOn, null);
  const three = run([...toggles, command("toggle", 10_300), tick(10_500)], SETTINGS, onAt10s());
  assert.deepEqual(three.effects, [OFF]);
});

Deno.test("a pulse closes the relay, then opens it after its duration", () => {
  const started = run([boot(0), pulse(3000, 1000)]);
  assert.deepEqual(started.effects, [OFF, ON]);
  assert.deepEqual(started.state.pulse, { startMs: 1000, durationMs: 3000 });
  assert.equal(nextRelayDeadlineMs(started.state, SETTINGS), 4000);
  assert.deepEqual(stepRelay(started.state, tick(3999), SETTINGS).effects, []);
  const ended = stepRelay(started.state, tick(4000), SETTINGS);
  assert.deepEqual(ended.effects, [OFF]);
  assert.equal(ended.state.pulse, null);
});

Deno.test("a pulse's clock starts when a pending close is applied", () => {
  const offAt10s = run([command("off", 12_000)], SETTINGS, onAt10s()).state;
  const asked = stepRelay(offAt10s, pulse(1000, 12_100), SETTINGS);
  assert.deepEqual(asked.effects, []);
  assert.equal(nextRelayDeadlineMs(asked.state, SETTINGS), 12_500);
  const closed = stepRelay(asked.state, tick(12_500), SETTINGS);
  assert.deepEqual(closed.effects, [ON]);
  assert.deepEqual(closed.state.pulse, { startMs: 12_500, durationMs: 1000 });
  assert.deepEqual(run([tick(13_499), tick(13_500)], SETTINGS, closed.state).effects, [OFF]);
});

Deno.test("a pulse shorter than the interval opens at the interval", () => {
  const started = run([boot(0), pulse(100, 1000), tick(1100)]);
  assert.equal(started.state.pendingOn, false);
  assert.deepEqual(run([tick(1500)], SETTINGS, started.state).effects, [OFF]);
});

Deno.test("commands cancel a pulse; a new pulse restarts it", () => {
  const pulsing = run([boot(0), pulse(3000, 1000)]).state;
  const kept = run([command("on", 2000), tick(60_000)], SETTINGS, pulsing);
  assert.deepEqual(kept.effects, []);
  assert.equal(kept.state.on, true);
  assert.deepEqual(run([command("off", 2000)], SETTINGS, pulsing).effects, [OFF]);
  assert.deepEqual(run([command("toggle", 2000)], SETTINGS, pulsing).effects, [OFF]);
  const restarted = run([pulse(3000, 2000), tick(4000)], SETTINGS, pulsing);
  assert.deepEqual(restarted.effects, []);
  assert.equal(nextRelayDeadlineMs(restarted.state, SETTINGS), 5000);
});

Deno.test("pulse 0 ends a running pulse now and does nothing otherwise", () => {
  const pulsing = run([boot(0), pulse(3000, 1000)]).state;
  const ended = stepRelay(pulsing, pulse(0, 2000), SETTINGS);
  assert.deepEqual(ended.effects, [OFF]);
  assert.equal(ended.state.pulse, null);
  const plainOn = onAt10s();
  const ignored = stepRelay(plainOn, pulse(0, 20_000), SETTINGS);
  assert.deepEqual(ignored.effects, []);
  assert.equal(ignored.state.on, true);
  // A pulse still waiting to close is cancelled before it ever closes.
  const waiting = run([command("off", 12_000), pulse(1000, 12_100)], SETTINGS, onAt10s());
  const cancelled = run([pulse(0, 12_200), tick(13_000)], SETTINGS, waiting.state);
  assert.deepEqual(cancelled.effects, []);
  assert.equal(cancelled.state.on, false);
});

Deno.test("power above the limit for the hold time cuts the relay off with a fault", () => {
  const samples = [power(2412, 11_000), power(2300, 12_000), power(2412, 13_000)];
  const result = run(samples, SETTINGS, onAt10s());
  assert.deepEqual(result.effects, [OFF, {
    type: "fault",
    fault: "over_power: 2412 W > 2000 W for 2 s",
  }]);
  assert.equal(result.state.on, false);
  assert.equal(result.state.lastChangeMs, 13_000);
  // It stays off: neither ticks nor samples close it again.
  assert.deepEqual(run([tick(99_000), power(0, 99_500)], SETTINGS, result.state).effects, []);
});

Deno.test("a sample at or below the limit restarts the hold time", () => {
  const samples = [
    power(2100, 11_000),
    power(2000, 12_000),
    power(2100, 12_500),
    power(2100, 14_000),
  ];
  const result = run(samples, SETTINGS, onAt10s());
  assert.deepEqual(result.effects, []);
  assert.equal(result.state.overPowerSinceMs, 12_500);
  assert.deepEqual(run([power(2100, 14_500)], SETTINGS, result.state).effects[0], OFF);
});

Deno.test("over-power ignores ticks, an open relay and a zero limit", () => {
  const over = run([power(3000, 11_000)], SETTINGS, onAt10s()).state;
  assert.deepEqual(run([tick(60_000)], SETTINGS, over).effects, []);
  const offSamples = [boot(0), power(3000, 1000), power(3000, 5000), command("on", 6000)];
  assert.deepEqual(run([...offSamples, power(3000, 6001)]).effects, [OFF, ON]);
  const noLimit = { ...SETTINGS, maxPowerW: 0 };
  const samples = [power(1e6, 11_000), power(1e6, 99_000)];
  assert.deepEqual(run(samples, noLimit, onAt10s(noLimit)).effects, []);
});

Deno.test("the cut-off bypasses the minimum switching interval", () => {
  const instant = { ...SETTINGS, overPowerHoldMs: 0, minSwitchIntervalMs: 60_000 };
  const result = run([boot(0), command("on", 1000), power(2500.04, 1001)], instant);
  assert.deepEqual(result.effects, [OFF, ON, OFF, {
    type: "fault",
    fault: "over_power: 2500 W > 2000 W for 0 s",
  }]);
  // A pending change is dropped by the cut-off.
  const quick = { ...SETTINGS, overPowerHoldMs: 0 };
  const pending = run([command("off", 10_100)], quick, onAt10s(quick)).state;
  assert.equal(pending.pendingOn, false);
  const cut = run([power(2500, 10_200)], quick, pending).state;
  assert.equal(cut.on, false);
  assert.equal(cut.pendingOn, null);
  assert.equal(nextRelayDeadlineMs(cut, SETTINGS), null);
});

Deno.test("a command that closes the relay clears the fault", () => {
  const tripped = run([power(3000, 11_000), power(3000, 13_000)], SETTINGS, onAt10s()).state;
  assert.notEqual(tripped.fault, null);
  assert.deepEqual(run([command("off", 20_000)], SETTINGS, tripped).effects, []);
  const cleared = run([command("on", 13_100)], SETTINGS, tripped);
  assert.deepEqual(cleared.effects, [{ type: "fault", fault: null }]);
  assert.equal(cleared.state.pendingOn, true);
  assert.deepEqual(run([tick(13_500)], SETTINGS, cleared.state).effects, [ON]);
  assert.equal(run([command("toggle", 20_000)], SETTINGS, tripped).state.fault, null);
  assert.equal(run([pulse(1000, 20_000)], SETTINGS, tripped).state.fault, null);
});

Deno.test("invalid events are ignored: same state, no effects", () => {
  const state = onAt10s();
  const bad = [
    tick(NaN),
    tick(Infinity),
    pulse(-1, 11_000),
    pulse(NaN, 11_000),
    power(NaN, 11_000),
    power(-Infinity, 11_000),
    { type: "command", action: "flip", nowMs: 11_000 },
    { type: "boot", nowMs: 11_000, lastOn: "yes" },
    { type: "reboot", nowMs: 11_000 },
    { type: "tick", nowMs: "11000" },
    null,
    undefined,
    42,
  ] as unknown as RelayEvent[];
  for (const event of bad) {
    const step = stepRelay(state, event, SETTINGS);
    assert.equal(step.state, state, String(JSON.stringify(event)));
    assert.deepEqual(step.effects, []);
  }
});

Deno.test("stepRelay does not mutate its input", () => {
  const pulsing = run([boot(0), pulse(300, 1000), command("on", 1100)]).state;
  const frozen = Object.freeze({ ...pulsing, pulse: Object.freeze({ startMs: 1, durationMs: 2 }) });
  const copy = structuredClone(frozen);
  for (const event of [tick(5000), pulse(0, 5000), power(9999, 5000), boot(5000)]) {
    stepRelay(frozen, event, SETTINGS);
  }
  assert.deepEqual(frozen, copy);
});

// ---- Properties over random event sequences ------------------------------------------------

const settingsArb: fc.Arbitrary<PlugSettings> = fc.record({
  powerOnState: fc.constantFrom("off" as const, "on" as const, "last" as const),
  maxPowerW: fc.constantFrom(0, 1000, 2000),
  overPowerHoldMs: fc.constantFrom(0, 1, 1000, 2000, 5000),
  minSwitchIntervalMs: fc.constantFrom(0, 1, 500, 2000),
}).map((picked) => ({ ...DEFAULT_PLUG_SETTINGS, ...picked }));

type Untimed = { [K in RelayEvent["type"]]: Omit<Extract<RelayEvent, { type: K }>, "nowMs"> }[
  RelayEvent["type"]
];

const powerArb = fc.oneof(fc.integer({ min: 0, max: 4000 }), fc.double({ min: -10, max: 5000 }));
const commandArb: fc.Arbitrary<Untimed> = fc.constantFrom(
  "on" as const,
  "off" as const,
  "toggle" as const,
)
  .map((action) => ({ type: "command" as const, action }));
const pulseArb: fc.Arbitrary<Untimed> = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5000 }))
  .map((durationMs) => ({ type: "pulse" as const, durationMs }));
const sampleOrTickArb: fc.Arbitrary<Untimed> = fc.oneof(
  { arbitrary: powerArb.map((powerW) => ({ type: "power" as const, powerW })), weight: 3 },
  { arbitrary: fc.constant({ type: "tick" as const }), weight: 2 },
);
const untimedArb: fc.Arbitrary<Untimed> = fc.oneof(
  { arbitrary: fc.boolean().map((lastOn) => ({ type: "boot" as const, lastOn })), weight: 1 },
  { arbitrary: commandArb, weight: 4 },
  { arbitrary: pulseArb, weight: 3 },
  { arbitrary: sampleOrTickArb, weight: 6 },
);

/** Gives events non-decreasing times from `startMs`, with gaps of 0 to 3 s. */
function timed(
  untimedArbitrary: fc.Arbitrary<Untimed>,
  maxLength = 60,
): fc.Arbitrary<{ startMs: number; events: RelayEvent[] }> {
  const gapArb = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3000 }));
  return fc.tuple(
    fc.integer({ min: 0, max: 1e9 }),
    fc.array(fc.tuple(gapArb, untimedArbitrary), { maxLength }),
  ).map(([startMs, items]) => {
    let nowMs = startMs;
    const events = items.map(([gapMs, untimed]) => {
      nowMs += gapMs;
      return { ...untimed, nowMs } as RelayEvent;
    });
    return { startMs, events };
  });
}

const sequenceArb = timed(untimedArb).map((sequence) => ({
  events: [boot(sequence.startMs, true), ...sequence.events],
}));

Deno.test("property: a pulse ends off when no command follows it", () => {
  fc.assert(fc.property(
    settingsArb,
    sequenceArb,
    fc.integer({ min: 1, max: 5000 }),
    timed(sampleOrTickArb, 20),
    (settings, before, durationMs, after) => {
      let state = run(before.events, settings).state;
      const lastMs = before.events[before.events.length - 1]?.nowMs ?? 0;
      state = stepRelay(state, pulse(durationMs, lastMs), settings).state;
      let nowMs = lastMs;
      for (const event of after.events) {
        nowMs = lastMs + event.nowMs - after.startMs;
        state = stepRelay(state, { ...event, nowMs }, settings).state;
      }
      for (let round = 0; round < 5; round++) {
        const deadlineMs = nextRelayDeadlineMs(state, settings);
        if (deadlineMs === null) break;
        nowMs = Math.max(nowMs, deadlineMs);
        state = stepRelay(state, tick(nowMs), settings).state;
      }
      assert.equal(nextRelayDeadlineMs(state, settings), null);
      assert.equal(state.on, false);
      assert.equal(state.pulse, null);
    },
  ));
});

/** Is this relay effect the over-power cut-off (an opening followed by a new fault)? */
function isCutOff(effects: RelayEffect[], index: number): boolean {
  const next = effects[index + 1];
  return next?.type === "fault" && next.fault !== null && next.fault.startsWith("over_power:");
}

Deno.test("property: relay moves are minSwitchIntervalMs apart, except a cut-off", () => {
  fc.assert(
    fc.property(settingsArb, sequenceArb, (settings, sequence) => {
      let state = initialRelayState();
      let lastMoveMs: number | null = null;
      for (const event of sequence.events) {
        const step = stepRelay(state, event, settings);
        if (event.type === "boot") lastMoveMs = null;
        step.effects.forEach((effect, index) => {
          if (effect.type !== "relay") return;
          if (event.type !== "boot" && !isCutOff(step.effects, index) && lastMoveMs !== null) {
            assert.ok(event.nowMs - lastMoveMs >= settings.minSwitchIntervalMs);
          }
          if (event.type !== "boot" || effect.on) lastMoveMs = event.nowMs;
        });
        state = step.state;
      }
    }),
    { numRuns: 300 },
  );
});

Deno.test("property: relay effects alternate and state.on matches the last one", () => {
  fc.assert(
    fc.property(settingsArb, sequenceArb, (settings, sequence) => {
      let state = initialRelayState();
      let driven = false;
      for (const event of sequence.events) {
        const step = stepRelay(state, event, settings);
        for (const effect of step.effects) {
          if (effect.type !== "relay") continue;
          if (event.type !== "boot") assert.notEqual(effect.on, driven, "a relay effect repeats");
          driven = effect.on;
        }
        state = step.state;
        assert.equal(state.on, driven);
        if (state.on) assert.equal(state.fault, null);
        if (state.pendingOn !== null) assert.notEqual(state.pendingOn, state.on);
      }
    }),
    { numRuns: 300 },
  );
});

Deno.test("property: power above the limit for the hold time leaves the relay off", () => {
  fc.assert(
    fc.property(settingsArb, sequenceArb, (settings, sequence) => {
      let state = initialRelayState();
      let aboveSinceMs: number | null = null;
      for (const event of sequence.events) {
        const step = stepRelay(state, event, settings);
        state = step.state;
        // A run counts only samples taken while the relay stayed closed.
        if (event.type === "boot" || step.effects.some((effect) => effect.type === "relay")) {
          aboveSinceMs = null;
        }
        for (const effect of step.effects) {
          if (effect.type === "fault" && effect.fault !== null) {
            assert.match(effect.fault, /^over_power: [\d.]+ W > \d+ W for [\d.]+ s$/);
          }
        }
        if (event.type !== "power") continue;
        const above = settings.maxPowerW > 0 && event.powerW > settings.maxPowerW;
        aboveSinceMs = above && state.on ? aboveSinceMs ?? event.nowMs : null;
        const heldMs: number = aboveSinceMs === null ? -1 : event.nowMs - aboveSinceMs;
        assert.ok(
          heldMs < settings.overPowerHoldMs,
          "still on after the hold time above the limit",
        );
      }
    }),
    { numRuns: 300 },
  );
});

Deno.test("property: a closed relay fed over-limit samples for the hold time is cut off", () => {
  fc.assert(fc.property(
    settingsArb.filter((settings) => settings.maxPowerW > 0),
    sequenceArb,
    fc.integer({ min: 1, max: 1000 }),
    (settings, before, periodMs) => {
      let state = run(before.events, settings).state;
      let nowMs = before.events[before.events.length - 1]?.nowMs ?? 0;
      state = stepRelay(state, command("on", nowMs), settings).state;
      nowMs += settings.minSwitchIntervalMs;
      state = stepRelay(state, tick(nowMs), settings).state;
      assert.equal(state.on, true);
      const endMs = nowMs + settings.overPowerHoldMs;
      for (; nowMs < endMs + periodMs; nowMs += periodMs) {
        state = stepRelay(state, power(settings.maxPowerW + 1, nowMs), settings).state;
      }
      assert.equal(state.on, false);
      assert.notEqual(state.fault, null);
    },
  ));
});

const weirdNumberArb = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, -1, Number.MAX_VALUE),
);

Deno.test("property: stepRelay never throws and ignores what it cannot use", () => {
  const eventLikeArb = fc.oneof(
    fc.anything(),
    fc.record({
      type: fc.constantFrom("boot", "command", "pulse", "power", "tick", "other"),
      nowMs: weirdNumberArb,
      lastOn: fc.oneof(fc.boolean(), fc.anything()),
      action: fc.constantFrom("on", "off", "toggle", "ON", ""),
      durationMs: weirdNumberArb,
      powerW: weirdNumberArb,
    }, { requiredKeys: ["type"] }),
  );
  fc.assert(
    fc.property(
      settingsArb,
      sequenceArb,
      fc.array(eventLikeArb, { maxLength: 20 }),
      (settings, sequence, oddEvents) => {
        let state = run(sequence.events, settings).state;
        for (const odd of oddEvents) {
          const step = stepRelay(state, odd as RelayEvent, settings);
          state = step.state;
          assert.equal(typeof state.on, "boolean");
          for (const field of [state.lastChangeMs, state.overPowerSinceMs, state.pulse?.startMs]) {
            assert.ok(field === null || field === undefined || Number.isFinite(field));
          }
          assert.ok(state.pulse === null || state.pulse.durationMs > 0);
        }
      },
    ),
    { numRuns: 300 },
  );
});
