import assert from "node:assert/strict";
import fc from "fast-check";
import { DEFAULT_HISTORY_OPTIONS, MAX_HISTORY_SLOTS, SeriesHistory } from "./history.ts";

const close = (a: number, b: number): boolean =>
  (isNaN(a) && isNaN(b)) || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

Deno.test("SeriesHistory: default is 10 minutes of 5 s slots", () => {
  const h = new SeriesHistory(DEFAULT_HISTORY_OPTIONS);
  assert.equal(h.slots * h.slotMs, 600000);
  const w = h.series(0, 60000);
  assert.equal(w.values.length, 120);
  assert.ok(w.values.every((v) => isNaN(v)) && w.means.every((v) => isNaN(v)));
});

Deno.test("SeriesHistory: invalid sizes fall back, huge ones are capped", () => {
  for (const o of [{ slots: 0, slotMs: 1 }, { slots: NaN, slotMs: 1 }, { slots: 5, slotMs: 0 }]) {
    const h = new SeriesHistory(o);
    assert.deepEqual([h.slots, h.slotMs], [120, 5000]);
  }
  assert.equal(new SeriesHistory({ slots: 1e9, slotMs: 1 }).slots, MAX_HISTORY_SLOTS);
  assert.equal(new SeriesHistory({ slots: 7.9, slotMs: 1 }).slots, 7);
});

Deno.test("SeriesHistory: samples average per slot, empty slots stay NaN", () => {
  const h = new SeriesHistory({ slots: 5, slotMs: 1000 });
  h.record(10000, 100);
  h.record(10999, 300);
  h.record(12500, 50);
  h.record(12600, Infinity);
  h.record(NaN, 1);
  const w = h.series(14000, 3000);
  assert.equal(w.startMs, 10000);
  assert.deepEqual(w.values, [200, NaN, 50, NaN, NaN]);
  assert.deepEqual(w.means, [200, 200, 125, 50, 50]);
});

Deno.test("SeriesHistory: values older than the window are gone", () => {
  const h = new SeriesHistory(DEFAULT_HISTORY_OPTIONS);
  h.record(0, 42);
  assert.equal(h.series(599999, 5000).values[0], 42);
  assert.ok(h.series(600000, 5000).values.every((v) => isNaN(v)));
  h.record(600000, 1); // reuses the ring position of slot 0
  assert.deepEqual(h.series(600000, 5000).values.filter((v) => !isNaN(v)), [1]);
});

Deno.test("SeriesHistory: a clock going back past the window restarts the history", () => {
  const h = new SeriesHistory({ slots: 3, slotMs: 1000 });
  h.record(100000, 1);
  h.record(99000, 2); // small step back inside the window: kept
  assert.deepEqual(h.series(100000, 1000).values, [NaN, 2, 1]);
  h.record(5000, 3); // far back: restart
  assert.deepEqual(h.series(100000, 1000).values, [NaN, NaN, NaN]);
  assert.deepEqual(h.series(5000, 1000).values, [NaN, NaN, 3]);
});

Deno.test("SeriesHistory: toJSON shows empty slots as null", () => {
  const h = new SeriesHistory({ slots: 3, slotMs: 1000 });
  assert.deepEqual(h.toJSON(), { startMs: -2000, slotMs: 1000, values: [null, null, null] });
  h.record(3000, 1.5);
  h.record(5000, 2.5);
  assert.deepEqual(JSON.parse(JSON.stringify(h)), {
    startMs: 3000,
    slotMs: 1000,
    values: [1.5, null, 2.5],
  });
});

const sampleArb = fc.record({
  dtMs: fc.oneof(
    fc.integer({ min: 0, max: 3000 }),
    fc.integer({ min: 0, max: 200000 }),
    fc.integer({ min: -200000, max: 0 }),
  ),
  value: fc.double({ min: -1e4, max: 1e4, noNaN: true }),
});

Deno.test("property: slots and means match a model of all samples (clock may step back)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1, max: 5000 }),
      fc.integer({ min: 0, max: 1e12 }),
      fc.array(sampleArb, { maxLength: 80 }),
      fc.integer({ min: 0, max: 100000 }),
      fc.integer({ min: 0, max: 60000 }),
      (slots, slotMs, t0, samples, laterMs, meanWindowMs) => {
        const h = new SeriesHistory({ slots, slotMs });
        const bySlot = new Map<number, number[]>();
        let t = t0;
        let newestMs = -Infinity;
        for (const sample of samples) {
          t += sample.dtMs;
          h.record(t, sample.value);
          const slot = Math.floor(t / slotMs);
          if (slot <= Math.floor(newestMs / slotMs) - slots) {
            bySlot.clear(); // the clock went back past the window: history restarts
            newestMs = -Infinity;
          }
          newestMs = Math.max(newestMs, t);
          bySlot.set(slot, (bySlot.get(slot) ?? []).concat([sample.value]));
        }
        const now = Math.max(t, newestMs) + laterMs;
        const w = h.series(now, meanWindowMs);
        const first = Math.floor(now / slotMs) - slots + 1;
        assert.equal(w.startMs, first * slotMs);
        assert.equal(w.values.length, slots);
        assert.equal(w.means.length, slots);
        const expected: number[] = [];
        for (let i = 0; i < slots; i++) {
          const xs = bySlot.get(first + i);
          expected.push(xs ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
        }
        // A running mean per slot (it cannot overflow) rounds a little differently.
        for (let i = 0; i < slots; i++) {
          assert.ok(close(w.values[i] ?? NaN, expected[i] ?? NaN), `slot ${i}`);
        }
        const width = Math.max(1, Math.ceil(meanWindowMs / slotMs));
        for (let i = 0; i < slots; i++) {
          const inWindow = expected.slice(Math.max(0, i - width + 1), i + 1)
            .filter((v) => !isNaN(v));
          const mean = inWindow.length
            ? inWindow.reduce((a, b) => a + b, 0) / inWindow.length
            : NaN;
          assert.ok(close(w.means[i] ?? NaN, mean), `mean ${i}: ${w.means[i]} vs ${mean}`);
        }
        const gone = h.series(now + slots * slotMs, meanWindowMs);
        assert.ok(gone.values.every((v) => isNaN(v)), "nothing older than the window survives");
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("huge readings in one slot and one window do not overflow", () => {
  const h = new SeriesHistory({ slots: 3, slotMs: 1000 });
  h.record(0, -6.985441083371519e292);
  h.record(0, -1.7976931348623151e308);
  h.record(1000, -1.7976931348623151e308);
  const w = h.series(2000, 3000);
  assert.ok(isFinite(w.values[0]!) && w.values[0]! < -8e307, String(w.values[0]));
  assert.ok(w.means.every((v) => isNaN(v) || isFinite(v)), String(w.means));
  // Far from zero, neighbouring slot numbers are the same float: one reading fills them all.
  const far = new SeriesHistory({ slots: 10, slotMs: 1000 });
  far.record(26907312644789130000, -8.98846567431158e307);
  assert.ok(far.series(Infinity, 0).means.every((v) => isNaN(v) || isFinite(v)));
});

Deno.test("property: any input keeps the size fixed and never throws", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(
          fc.oneof(fc.double(), fc.integer({ min: -1e7, max: 1e7 })),
          fc.oneof(fc.double(), fc.integer()),
        ),
        { maxLength: 100 },
      ),
      fc.double(),
      fc.double(),
      (records, nowMs, meanWindowMs) => {
        const h = new SeriesHistory({ slots: 10, slotMs: 1000 });
        for (const r of records) h.record(r[0], r[1]);
        const w = h.series(nowMs, meanWindowMs);
        assert.equal(w.values.length, 10);
        assert.ok(w.values.filter((v) => !isNaN(v)).length <= h.slots);
        assert.ok(w.values.every((v) => isNaN(v) || isFinite(v)));
        assert.ok(w.means.every((v) => isNaN(v) || isFinite(v)));
        assert.equal(h.toJSON().values.length, 10);
      },
    ),
  );
});
