import assert from "node:assert/strict";
import fc from "fast-check";
import { nextTimerChangeMs, timerCycleOn } from "./fan_timer.ts";

Deno.test("timerCycleOn follows the on/off cycle from the anchor", () => {
  assert.equal(timerCycleOn(1000, 1000, 10, 50), true);
  assert.equal(timerCycleOn(1000, 1009, 10, 50), true);
  assert.equal(timerCycleOn(1000, 1010, 10, 50), false);
  assert.equal(timerCycleOn(1000, 1059, 10, 50), false);
  assert.equal(timerCycleOn(1000, 1060, 10, 50), true);
  assert.equal(timerCycleOn(1000, 999, 10, 50), false); // before the anchor: end of a cycle
});

Deno.test("timerCycleOn handles degenerate cycles", () => {
  assert.equal(timerCycleOn(0, 5, 0, 50), false);
  assert.equal(timerCycleOn(0, 5, 10, 0), true);
  assert.equal(timerCycleOn(0, 5, NaN, 50), false);
  assert.equal(timerCycleOn(0, 5, 10, NaN), true);
  assert.equal(timerCycleOn(0, NaN, 10, 50), false);
  assert.equal(nextTimerChangeMs(0, 5, 10, 0), null);
  assert.equal(nextTimerChangeMs(0, 5, Infinity, 10), null);
  assert.equal(nextTimerChangeMs(0, NaN, 10, 10), null);
});

Deno.test("property: the phase holds until nextTimerChangeMs, then flips", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: -1e9, max: 1e9 }),
      fc.integer({ min: 0, max: 1e9 }),
      fc.integer({ min: 1, max: 1e7 }),
      fc.integer({ min: 1, max: 1e7 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      (anchorMs, elapsedMs, onMs, offMs, fraction) => {
        const nowMs = anchorMs + elapsedMs;
        const changeMs = nextTimerChangeMs(anchorMs, nowMs, onMs, offMs);
        assert.ok(changeMs !== null && changeMs > nowMs);
        const phase = timerCycleOn(anchorMs, nowMs, onMs, offMs);
        const betweenMs = nowMs + Math.floor((changeMs - nowMs - 1) * fraction);
        assert.equal(timerCycleOn(anchorMs, betweenMs, onMs, offMs), phase);
        assert.equal(timerCycleOn(anchorMs, changeMs, onMs, offMs), !phase);
      },
    ),
  );
});
