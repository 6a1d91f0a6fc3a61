import assert from "node:assert/strict";
import fc from "fast-check";
import { createChipHistory, historyParts, historyText } from "./web_history.ts";

const historyJson = (
  history: Parameters<typeof historyText>[0],
  nowMs: number,
  meanSlots: number,
): Record<string, unknown> => JSON.parse(historyText(history, nowMs, meanSlots));
import { recordReading } from "./web_history_record.ts";

const SLOTS = 6;
const SLOT_MS = 1000;

// The model: every reading kept, slot means computed from scratch.
const modelSlots = (readings: Array<[number, number]>, nowMs: number): (number | null)[] => {
  const last = Math.floor(nowMs / SLOT_MS);
  const out: (number | null)[] = [];
  for (let slot = last - SLOTS + 1; slot <= last; slot++) {
    const values = readings.filter(([t]) => Math.floor(t / SLOT_MS) === slot).map(([, v]) => v);
    out.push(values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length);
  }
  return out;
};

Deno.test("slot means match a model that keeps every reading, across gaps", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 3000 })), {
        maxLength: 60,
      }),
      fc.integer({ min: 0, max: 3000 }),
      (steps, tail) => {
        const history = createChipHistory(["power"], SLOTS, SLOT_MS, 4);
        const readings: Array<[number, number]> = [];
        let t = 0;
        for (const [gap, value] of steps) {
          t += gap;
          recordReading(history, [value], t);
          readings.push([t, value]);
        }
        const now = t + tail;
        const got = historyJson(history, now, 0).power as (number | null)[];
        const want = modelSlots(readings, now);
        assert.equal(got.length, SLOTS);
        got.forEach((value, i) => {
          const expected = want[i];
          if (expected === null || expected === undefined) assert.equal(value, null);
          else {assert.ok(
              value !== null && Math.abs(value - expected) <= 0.13, // quarter units
              `${value} ${expected}`,
            );}
        });
      },
    ),
  );
});

Deno.test("a series without a reading stays empty; non-numbers are ignored", () => {
  const history = createChipHistory(["humidity", "temperature"], SLOTS, SLOT_MS, 100);
  recordReading(history, [55, NaN], 100);
  recordReading(history, [65, Infinity], 200);
  const json = historyJson(history, 500, 0);
  assert.equal((json.humidity as number[])[SLOTS - 1], 60);
  assert.equal((json.temperature as unknown[])[SLOTS - 1], null);
  assert.equal(json.mean, undefined);
  assert.equal(json.startMs, -5000);
});

Deno.test("a clock that goes back starts the history over", () => {
  const history = createChipHistory(["power"], SLOTS, SLOT_MS, 4);
  recordReading(history, [10], 50000);
  recordReading(history, [20], 1000);
  const json = historyJson(history, 1000, 0).power as unknown[];
  assert.deepEqual(json.filter((v) => v !== null), [20]);
});

Deno.test("the running mean covers the last meanSlots slots that have a value", () => {
  fc.assert(
    fc.property(
      fc.array(fc.option(fc.integer({ min: 0, max: 3000 }), { nil: null }), {
        minLength: 1,
        maxLength: 12,
      }),
      fc.integer({ min: 1, max: 8 }),
      (slotValues, meanSlots) => {
        const history = createChipHistory(["power"], SLOTS, SLOT_MS, 4);
        slotValues.forEach((value, slot) => {
          if (value !== null) recordReading(history, [value], slot * SLOT_MS);
        });
        const now = (slotValues.length - 1) * SLOT_MS;
        const json = historyJson(history, now, meanSlots);
        const power = json.power as (number | null)[];
        const mean = json.mean as (number | null)[];
        assert.equal(json.meanWindowMs, meanSlots * SLOT_MS);
        assert.equal(mean.length, SLOTS);
        mean.forEach((value, i) => {
          const window = power.slice(Math.max(0, i - meanSlots + 1), i + 1)
            .filter((v): v is number => v !== null);
          if (window.length === 0) assert.equal(value, null);
          else {
            const want = window.reduce((a, b) => a + b, 0) / window.length;
            assert.ok(value !== null && Math.abs(value - want) <= 0.02, `${value} ${want}`);
          }
        });
      },
    ),
  );
});

Deno.test("the history's parts are short and make its JSON", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(
          fc.integer({ min: 0, max: 900000 }),
          fc.double({ min: -1e4, max: 1e4, noNaN: true }),
        ),
      ),
      fc.integer({ min: 0, max: 900000 }),
      fc.integer({ min: 0, max: 10 }),
      (readings, nowMs, meanSlots) => {
        const history = createChipHistory(["humidity", "temperature"], SLOTS, SLOT_MS, 100);
        for (const [t, value] of [...readings].sort((a, b) => a[0] - b[0])) {
          recordReading(history, [value, -value], t);
        }
        const next = historyParts(history, nowMs, meanSlots);
        let text = "";
        for (let part = next(); part !== null; part = next()) {
          assert.ok(part.length <= 40, part);
          text += part;
        }
        assert.equal(next(), null, "stays ended");
        const json = JSON.parse(text);
        assert.equal((json.humidity as unknown[]).length, SLOTS);
        assert.equal(json.mean === undefined, meanSlots === 0);
      },
    ),
  );
});
