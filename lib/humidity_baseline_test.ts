import assert from "node:assert/strict";
import fc from "fast-check";
import {
  BASELINE_SLOW_FACTOR,
  BASELINE_TAU_MS,
  emptyBaseline,
  riseDemand,
  updateBaseline,
} from "./humidity_baseline.ts";

Deno.test("updateBaseline seeds with the first reading", () => {
  assert.deepEqual(updateBaseline(emptyBaseline(), 47, 1000, false), { pct: 47, atMs: 1000 });
});

Deno.test("updateBaseline moves 1 - 1/e of the way per time constant", () => {
  const seeded = updateBaseline(emptyBaseline(), 40, 0, false);
  const normal = updateBaseline(seeded, 50, BASELINE_TAU_MS, false);
  assert.ok(Math.abs((normal.pct ?? 0) - (40 + 10 * (1 - Math.exp(-1)))) < 1e-9);
  const slow = updateBaseline(seeded, 50, BASELINE_TAU_MS * BASELINE_SLOW_FACTOR, true);
  assert.ok(Math.abs((slow.pct ?? 0) - (normal.pct ?? 0)) < 1e-9);
});

Deno.test("updateBaseline ignores bad input and readings that are not newer", () => {
  const seeded = updateBaseline(emptyBaseline(), 40, 1000, false);
  assert.equal(updateBaseline(seeded, NaN, 2000, false), seeded);
  assert.equal(updateBaseline(seeded, 60, NaN, false), seeded);
  assert.equal(updateBaseline(seeded, 60, 1000, false), seeded);
  assert.equal(updateBaseline(seeded, 60, 500, false), seeded);
});

Deno.test("updateBaseline does not depend on how often it is fed", () => {
  const seeded = updateBaseline(emptyBaseline(), 40, 0, false);
  const once = updateBaseline(seeded, 60, 3600000, false);
  let often = seeded;
  for (let atMs = 60000; atMs <= 3600000; atMs += 60000) {
    often = updateBaseline(often, 60, atMs, false);
  }
  assert.ok(Math.abs((once.pct ?? 0) - (often.pct ?? 0)) < 1e-9);
});

Deno.test("riseDemand switches on at the rise, off within half of it, holds between", () => {
  assert.equal(riseDemand(false, 54.9, 45, 10), false);
  assert.equal(riseDemand(false, 55, 45, 10), true);
  assert.equal(riseDemand(true, 50.1, 45, 10), true);
  assert.equal(riseDemand(false, 50.1, 45, 10), false);
  assert.equal(riseDemand(true, 50, 45, 10), false);
  assert.equal(riseDemand(true, 80, null, 10), false);
  assert.equal(riseDemand(true, NaN, 45, 10), false);
});

Deno.test("property: the baseline stays between its old value and the reading", () => {
  fc.assert(
    fc.property(
      fc.double({ min: 0, max: 100, noNaN: true }),
      fc.double({ min: 0, max: 100, noNaN: true }),
      fc.integer({ min: 0, max: 48 * 3600000 }),
      fc.boolean(),
      (startPct, readingPct, elapsedMs, slow) => {
        const seeded = updateBaseline(emptyBaseline(), startPct, 0, false);
        const pct = updateBaseline(seeded, readingPct, elapsedMs, slow).pct ?? NaN;
        assert.ok(pct >= Math.min(startPct, readingPct) - 1e-9);
        assert.ok(pct <= Math.max(startPct, readingPct) + 1e-9);
      },
    ),
  );
});

Deno.test("property: the slow baseline never moves more than the normal one", () => {
  fc.assert(
    fc.property(
      fc.double({ min: 0, max: 100, noNaN: true }),
      fc.double({ min: 0, max: 100, noNaN: true }),
      fc.integer({ min: 1, max: 48 * 3600000 }),
      (startPct, readingPct, elapsedMs) => {
        const seeded = updateBaseline(emptyBaseline(), startPct, 0, false);
        const normal = updateBaseline(seeded, readingPct, elapsedMs, false).pct ?? NaN;
        const slow = updateBaseline(seeded, readingPct, elapsedMs, true).pct ?? NaN;
        assert.ok(Math.abs(slow - startPct) <= Math.abs(normal - startPct) + 1e-9);
      },
    ),
  );
});

Deno.test("property: riseDemand is on above the rise and off within half of it", () => {
  fc.assert(
    fc.property(
      fc.boolean(),
      fc.double({ min: 0, max: 100, noNaN: true }),
      fc.double({ min: 0, max: 100, noNaN: true }),
      fc.double({ min: 0.1, max: 30, noNaN: true }),
      (wasOn, humidityPct, baselinePct, risePct) => {
        const on = riseDemand(wasOn, humidityPct, baselinePct, risePct);
        if (humidityPct - baselinePct >= risePct) assert.equal(on, true);
        else if (humidityPct - baselinePct <= risePct / 2) assert.equal(on, false);
        else assert.equal(on, wasOn);
        assert.equal(riseDemand(wasOn, humidityPct, baselinePct, 0), false);
      },
    ),
  );
});
