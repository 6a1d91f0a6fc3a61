import assert from "node:assert/strict";
import fc from "fast-check";
import { startRealtime, type TimerId, VirtualClock } from "./clock.ts";
import { createRandom } from "./random.ts";

Deno.test("clock: timers fire in deadline order, ties in scheduling order", () => {
  const clock = new VirtualClock();
  const log: string[] = [];
  clock.setTimer(() => log.push("c@20"), 20);
  clock.setTimer(() => log.push("a@10"), 10);
  clock.setTimer(() => log.push("b@10"), 10);
  clock.setTimer(() => log.push("z@0"), 0);
  clock.setTimer(() => log.push("neg@0"), -5);
  assert.equal(clock.advanceTo(20), 5);
  assert.deepEqual(log, ["z@0", "neg@0", "a@10", "b@10", "c@20"]);
});

Deno.test("clock: time reads the deadline inside callbacks and the target after", () => {
  const clock = new VirtualClock({ startMs: 1000 });
  const seen: number[] = [];
  clock.setTimer(() => seen.push(clock.nowMs()), 7);
  clock.advanceBy(100);
  assert.deepEqual(seen, [1007]);
  assert.equal(clock.nowMs(), 1100);
  clock.advanceTo(50); // the past: nothing happens
  assert.equal(clock.nowMs(), 1100);
  assert.throws(() => clock.advanceTo(NaN), RangeError);
});

Deno.test("clock: callbacks may schedule and clear timers during an advance", () => {
  const clock = new VirtualClock();
  const log: string[] = [];
  let victim: TimerId = 0;
  clock.setTimer(() => {
    log.push("first@10");
    clock.setTimer(() => log.push("inserted@15"), 5); // earlier than "late", later than now
    clock.setTimer(() => log.push("same-time@10"), 0); // after the already scheduled tie
    clock.clearTimer(victim);
  }, 10);
  clock.setTimer(() => log.push("tie@10"), 10);
  victim = clock.setTimer(() => log.push("victim@12"), 12);
  clock.setTimer(() => log.push("late@30"), 30);
  clock.setTimer(() => clock.setTimer(() => log.push("beyond@45"), 15), 30);
  clock.advanceTo(40);
  assert.deepEqual(log, ["first@10", "tie@10", "same-time@10", "inserted@15", "late@30"]);
  assert.equal(clock.pendingCount(), 1);
  assert.equal(clock.nextDeadlineMs(), 45);
});

Deno.test("clock: periodic timers stay on the grid and may clear themselves", () => {
  const clock = new VirtualClock();
  const times: number[] = [];
  const id = clock.every(250, () => {
    times.push(clock.nowMs());
    if (times.length === 3) clock.clearTimer(id);
  });
  clock.advanceBy(10_000);
  assert.deepEqual(times, [250, 500, 750]);
  assert.equal(clock.pendingCount(), 0);
  assert.throws(() => clock.every(0, () => {}), RangeError);
  assert.throws(() => clock.every(Infinity, () => {}), RangeError);
});

Deno.test("clock: clearTimer ignores unknown and spent ids", () => {
  const clock = new VirtualClock();
  const id = clock.setTimer(() => {}, 1);
  clock.advanceBy(1);
  clock.clearTimer(id);
  clock.clearTimer(12345);
  assert.equal(clock.pendingCount(), 0);
});

Deno.test("clock: a throwing callback leaves the clock consistent", () => {
  const clock = new VirtualClock();
  const log: number[] = [];
  clock.setTimer(() => {
    throw new Error("boom");
  }, 5);
  clock.setTimer(() => log.push(clock.nowMs()), 6);
  assert.throws(() => clock.advanceTo(10), /boom/);
  assert.equal(clock.nowMs(), 5);
  clock.advanceTo(10);
  assert.deepEqual(log, [6]);

  const errors: unknown[] = [];
  const tolerant = new VirtualClock({ onError: (error) => errors.push(error) });
  tolerant.every(10, () => {
    throw new Error("periodic");
  });
  tolerant.advanceTo(35);
  assert.equal(errors.length, 3);
  assert.equal(tolerant.nowMs(), 35);
});

Deno.test("clock: a zero-delay loop is caught", () => {
  const clock = new VirtualClock({ maxFiresPerCall: 1000 });
  const again = (): void => {
    clock.setTimer(again, 0);
  };
  clock.setTimer(again, 0);
  assert.throws(() => clock.advanceBy(1), /zero-delay loop/);
});

Deno.test("clock: runUntilIdle stops when idle or at the limit", () => {
  const clock = new VirtualClock();
  const log: number[] = [];
  clock.setTimer(() => clock.setTimer(() => log.push(clock.nowMs()), 300), 200);
  assert.equal(clock.runUntilIdle(1000), 2);
  assert.deepEqual(log, [500]);
  assert.equal(clock.nowMs(), 500);

  clock.every(100, () => log.push(clock.nowMs()));
  assert.equal(clock.runUntilIdle(250), 2); // never idle: bounded by the limit
  assert.deepEqual(log, [500, 600, 700]);
});

/** Builds a pseudo-random schedule from a seed and returns its firing log. */
const runSeeded = (seed: number, stepsMs: number[]): string[] => {
  const random = createRandom(seed);
  const clock = new VirtualClock();
  const log: string[] = [];
  const ids: TimerId[] = [];
  const spawn = (name: string, depth: number): void => {
    ids.push(clock.setTimer(() => {
      log.push(`${name}@${clock.nowMs()}`);
      if (random() < 0.3 && ids.length > 0) {
        clock.clearTimer(ids[Math.floor(random() * ids.length)]!);
      }
      if (depth < 3 && random() < 0.5) spawn(`${name}.${depth}`, depth + 1);
    }, Math.floor(random() * 50)));
  };
  for (let i = 0; i < 40; i++) spawn(`t${i}`, 0);
  for (const step of stepsMs) clock.advanceBy(step);
  clock.advanceTo(10_000);
  return log;
};

Deno.test("clock: determinism — same seed, same log, however time is stepped", () => {
  fc.assert(
    fc.property(
      fc.integer(),
      fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 20 }),
      (seed, steps) => {
        assert.deepEqual(runSeeded(seed, steps), runSeeded(seed, []));
      },
    ),
    { numRuns: 50 },
  );
});

interface TimerSpec {
  delayMs: number;
  /** Index of the timer whose callback schedules this one; -1 = scheduled up front. */
  parent: number;
  /** Index of a timer this one's callback clears; -1 = none. */
  clears: number;
}

const specs = fc.array(
  fc.record({
    delayMs: fc.integer({ min: -5, max: 60 }),
    parent: fc.integer({ min: -1, max: 30 }),
    clears: fc.integer({ min: -1, max: 30 }),
  }),
  { minLength: 1, maxLength: 30 },
);

Deno.test("clock property: non-decreasing deadlines, ties in order, each fires once unless cleared", () => {
  fc.assert(
    fc.property(
      specs,
      fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 8 }),
      (plan, steps) => {
        const clock = new VirtualClock();
        const ids = new Map<number, TimerId>();
        const deadline = new Map<number, number>();
        const order = new Map<number, number>(); // scheduling order
        const fired: number[] = [];
        const clearedEarly = new Set<number>();
        const schedule = (i: number): void => {
          const spec = plan[i]!;
          deadline.set(i, clock.nowMs() + Math.max(0, spec.delayMs));
          order.set(i, order.size);
          ids.set(
            i,
            clock.setTimer(() => {
              assert.equal(clock.nowMs(), deadline.get(i));
              fired.push(i);
              plan.forEach((child, j) => {
                if (child.parent === i && j !== i) schedule(j);
              });
              const target = spec.clears;
              const targetId = ids.get(target);
              if (targetId !== undefined && !fired.includes(target)) {
                clearedEarly.add(target);
                clock.clearTimer(targetId);
              }
            }, spec.delayMs),
          );
        };
        plan.forEach((spec, i) => {
          if (spec.parent < 0 || spec.parent >= plan.length) schedule(i);
        });
        for (const step of steps) clock.advanceBy(step);
        clock.runUntilIdle(1_000_000);
        // Each scheduled timer fired exactly once, or was cleared before its turn.
        for (const i of ids.keys()) {
          const count = fired.filter((f) => f === i).length;
          assert.equal(count, clearedEarly.has(i) ? 0 : 1, `timer ${i}`);
        }
        for (let k = 1; k < fired.length; k++) {
          const a = fired[k - 1]!, b = fired[k]!;
          const da = deadline.get(a)!, db = deadline.get(b)!;
          assert.ok(da < db || (da === db && order.get(a)! < order.get(b)!), "deadline order");
        }
        assert.equal(clock.pendingCount(), 0);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("clock: runFast reaches the target, reports progress, lets real I/O in", async () => {
  const clock = new VirtualClock();
  let ticks = 0;
  clock.every(10, () => ticks++);
  // A real (wall-clock) callback, like an MQTT message, arrives during a yield and schedules
  // a virtual timer that must still fire within the run.
  let lateFiredAt = -1;
  setTimeout(() => clock.setTimer(() => lateFiredAt = clock.nowMs(), 5), 0);
  const progress: number[] = [];
  const fired = await clock.runFast(20_000, (nowMs) => progress.push(nowMs), {
    yieldEveryTimers: 50,
    yieldEveryVirtualMs: 5_000,
  });
  assert.equal(clock.nowMs(), 20_000);
  assert.equal(ticks, 2000);
  assert.equal(fired, 2001);
  assert.ok(lateFiredAt >= 5 && lateFiredAt <= 20_000);
  assert.ok(progress.length > 2);
  assert.deepEqual(progress, [...progress].sort((a, b) => a - b));
  assert.equal(progress.at(-1), 20_000);
});

Deno.test("clock: runFast crosses an empty stretch in one yield and stops on abort", async () => {
  const clock = new VirtualClock();
  let settles = 0;
  const settle = (): Promise<void> => {
    settles++;
    return Promise.resolve();
  };
  clock.setTimer(() => {}, 86_400_000);
  await clock.runFast(86_400_000, undefined, { settle });
  assert.equal(clock.nowMs(), 86_400_000);
  assert.ok(settles <= 2, `settles: ${settles}`);

  const controller = new AbortController();
  const id = clock.every(1000, () => {
    if (clock.nowMs() >= 86_410_000) controller.abort();
  });
  await clock.runFast(Infinity, undefined, { settle, signal: controller.signal });
  assert.equal(clock.nowMs(), 86_410_000);
  clock.clearTimer(id);
});

Deno.test("startRealtime: maps wall time to virtual time at speed, setSpeed without a jump", async () => {
  let wallMs = 0;
  const clock = new VirtualClock({ startMs: 500 });
  const fired: number[] = [];
  clock.setTimer(() => fired.push(clock.nowMs()), 500);
  const driver = startRealtime(clock, 60, { tickMs: 1, wallNowMs: () => wallMs });
  const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 10));
  try {
    wallMs = 10;
    await tick();
    assert.equal(clock.nowMs(), 500 + 600);
    assert.deepEqual(fired, [1000]);
    driver.setSpeed(2);
    assert.equal(driver.speed, 2);
    wallMs = 20;
    await tick();
    assert.equal(clock.nowMs(), 1100 + 20);
    assert.throws(() => driver.setSpeed(0), RangeError);
  } finally {
    driver.stop();
    driver.stop();
  }
  wallMs = 1000;
  await tick();
  assert.equal(clock.nowMs(), 1120); // stopped: no more advancing
  assert.throws(() => startRealtime(clock, -1), RangeError);
});

Deno.test("startRealtime: a process that falls behind lets virtual time slip, not burst", async () => {
  let wallMs = 0;
  const clock = new VirtualClock({ startMs: 0 });
  const driver = startRealtime(clock, 2, { tickMs: 1, wallNowMs: () => wallMs, maxLagMs: 100 });
  const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 10));
  try {
    wallMs = 50;
    await tick();
    assert.equal(clock.nowMs(), 100);
    assert.equal(driver.slippedMs, 0);
    // Stalled for 5 s of wall time: one tick catches up 100 wall ms (200 virtual ms).
    wallMs = 5050;
    await tick();
    assert.equal(clock.nowMs(), 300);
    assert.equal(driver.slippedMs, 10100 - 300);
    // Afterwards time runs on at speed from where it is.
    wallMs = 5060;
    await tick();
    assert.equal(clock.nowMs(), 320);
  } finally {
    driver.stop();
  }
});
