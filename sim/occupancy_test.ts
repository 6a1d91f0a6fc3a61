import assert from "node:assert/strict";
import fc from "fast-check";
import { activeAt, type Activity, scheduleShowers, scheduleVisits } from "./occupancy.ts";
import { createRandom } from "./random.ts";

const HOUR_MS = 3600000;
const DAY_MS = 24 * HOUR_MS;

const ordered = (plan: Activity[], gapMs: number): boolean =>
  plan.every((a, n) => {
    const previous = plan[n - 1];
    return !previous || a.startMs >= previous.startMs + previous.durationMs + gapMs;
  });

Deno.test("showers: same seed same plan, mornings and evenings, never overlapping", () => {
  const options = { fromMs: 10 * DAY_MS, days: 28 };
  const plan = scheduleShowers(createRandom(11), options);
  assert.deepEqual(plan, scheduleShowers(createRandom(11), options));
  assert.notDeepEqual(plan, scheduleShowers(createRandom(12), options));
  assert.ok(plan.length >= 40 && plan.length <= 56, `${plan.length} showers in 4 weeks`);
  assert.ok(ordered(plan, 2 * 60000));
  for (const s of plan) {
    const hour = ((s.startMs - options.fromMs) % DAY_MS) / HOUR_MS;
    assert.ok((hour >= 6.5 && hour < 9.5) || (hour >= 19 && hour < 24.5), `at ${hour} h`);
    assert.ok(s.durationMs >= 3 * 60000 && s.durationMs <= 20 * 60000);
  }
  const mornings = plan.filter((s) => ((s.startMs - options.fromMs) % DAY_MS) / HOUR_MS < 12);
  assert.ok(mornings.length > plan.length / 2 - 8, "most showers are in the morning");
});

Deno.test("visits: about five a day per person, daytime, never overlapping", () => {
  const plan = scheduleVisits(createRandom(5), { fromMs: 0, days: 14, people: 3 });
  const perPersonDay = plan.length / (14 * 3);
  assert.ok(perPersonDay >= 4 && perPersonDay <= 6, `${perPersonDay} a day`);
  assert.ok(ordered(plan, 60000));
  assert.ok(plan.every((v) => v.durationMs >= 60000 && v.durationMs <= 6 * 60000));
  assert.ok(plan.every((v) => (v.startMs % DAY_MS) / HOUR_MS >= 6));
  assert.deepEqual(scheduleVisits(createRandom(5), { fromMs: 0, days: 0 }), []);
});

Deno.test("property: activeAt agrees with a linear scan", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 31 }),
      fc.integer({ min: 1, max: 3 }),
      fc.array(fc.integer({ min: -HOUR_MS, max: 3 * DAY_MS }), { minLength: 1, maxLength: 40 }),
      (seed, days, moments) => {
        const plan = scheduleVisits(createRandom(seed), { fromMs: 0, days });
        return moments.every((t) =>
          activeAt(plan, t) === plan.some((v) => t >= v.startMs && t < v.startMs + v.durationMs)
        );
      },
    ),
  );
});
