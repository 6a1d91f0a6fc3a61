import assert from "node:assert/strict";
import fc from "fast-check";
import {
  addPowerSample,
  type EnergyOptions,
  type EnergyState,
  energyTotals,
  initialEnergyState,
  MAX_GAP_MS,
  MAX_POWER_W,
  resetEnergy,
  restoreEnergy,
  snapshotEnergy,
  UJ_PER_WH,
} from "./energy.ts";

const UJ = BigInt(UJ_PER_WH);
const DAY_MS = 86400000;
const totalUj = (s: EnergyState): bigint => BigInt(s.totalWholeWh) * UJ + BigInt(s.totalRestUj);
const todayUj = (s: EnergyState): bigint => BigInt(s.todayWholeWh) * UJ + BigInt(s.todayRestUj);
const yesterdayUj = (s: EnergyState): bigint =>
  BigInt(s.yesterdayWholeWh) * UJ + BigInt(s.yesterdayRestUj);

const OPTS: EnergyOptions = { tzOffsetMin: 0, maxGapMs: 10000 };

const assertWellFormed = (s: EnergyState): void => {
  for (
    const x of [
      s.totalWholeWh,
      s.totalRestUj,
      s.todayWholeWh,
      s.todayRestUj,
      s.yesterdayWholeWh,
      s.yesterdayRestUj,
    ]
  ) {
    assert.ok(Number.isSafeInteger(x) && x >= 0, `counter ${x} is a safe whole number`);
  }
  assert.ok(s.totalRestUj < UJ_PER_WH && s.todayRestUj < UJ_PER_WH);
  assert.ok(s.yesterdayRestUj < UJ_PER_WH);
};

Deno.test("addPowerSample: first sample counts nothing, then left-rectangle rule", () => {
  let s = addPowerSample(initialEnergyState(), 3600, 1000, OPTS);
  assert.equal(totalUj(s), 0n);
  s = addPowerSample(s, 0, 2000, OPTS); // 3600 W held for 1 s = 1 Wh
  assert.deepEqual(energyTotals(s), { totalWh: 1, todayWh: 1, yesterdayWh: 0 });
  s = addPowerSample(s, 5, 3000, OPTS); // 0 W held
  assert.equal(energyTotals(s).totalWh, 1);
});

Deno.test("addPowerSample: sub-Wh energy carries exactly (123.456 W for 1 s)", () => {
  let s = addPowerSample(initialEnergyState(), 123.456, 0, OPTS);
  s = addPowerSample(s, 123.456, 1000, OPTS);
  assert.equal(s.totalRestUj, 123456000);
  assert.equal(s.totalWholeWh, 0);
});

Deno.test("addPowerSample: rejects bad power, bad time and bad options unchanged", () => {
  const s0 = addPowerSample(initialEnergyState(), 100, 0, OPTS);
  for (const p of [NaN, -1, Infinity, MAX_POWER_W + 1]) {
    assert.equal(addPowerSample(s0, p, 1000, OPTS), s0);
  }
  assert.equal(addPowerSample(s0, 1, NaN, OPTS), s0);
  assert.equal(addPowerSample(s0, 1, 1e17, OPTS), s0);
  assert.equal(addPowerSample(s0, 1, 1000, { tzOffsetMin: NaN, maxGapMs: 1 }), s0);
  assert.equal(addPowerSample(s0, 1, 1000, { tzOffsetMin: 0, maxGapMs: -1 }), s0);
});

Deno.test("addPowerSample: a gap counts only maxGapMs; a clock going back counts nothing", () => {
  let s = addPowerSample(initialEnergyState(), 3600, 0, OPTS);
  s = addPowerSample(s, 3600, 3600000, OPTS); // 1 h gap: only 10 s count
  assert.equal(totalUj(s), 3600000n * 10000n);
  const before = totalUj(s);
  s = addPowerSample(s, 3600, 1000, OPTS); // back in time: resync, nothing
  assert.equal(totalUj(s), before);
  s = addPowerSample(s, 3600, 2000, OPTS); // counts from the resync point
  assert.equal(totalUj(s) - before, 3600000n * 1000n);
  const huge = { tzOffsetMin: 0, maxGapMs: 1e12 };
  let h = addPowerSample(initialEnergyState(), 1000, 0, huge);
  h = addPowerSample(h, 1000, 10 * DAY_MS, huge);
  assert.equal(totalUj(h), 1000000n * BigInt(MAX_GAP_MS));
});

Deno.test("addPowerSample: splits at local midnight and rolls today into yesterday", () => {
  // UTC+2: local midnight is 22:00 UTC. 3600 W from 21:30 to 22:30 UTC = 0.5 Wh each side.
  const o = { tzOffsetMin: 120, maxGapMs: 7200000 };
  const at = (h: number, m: number): number => DAY_MS * 100 + h * 3600000 + m * 60000;
  let s = addPowerSample(initialEnergyState(), 3600, at(21, 30), o);
  assert.equal(s.dayIndex, 100);
  s = addPowerSample(s, 0, at(22, 30), o);
  assert.equal(s.dayIndex, 101);
  assert.deepEqual(energyTotals(s), { totalWh: 3600, todayWh: 1800, yesterdayWh: 1800 });
  // Two days later: the day before got nothing, so yesterday is 0.
  s = addPowerSample(s, 0, at(22, 30) + 2 * DAY_MS, o);
  assert.deepEqual(energyTotals(s), { totalWh: 3600, todayWh: 0, yesterdayWh: 0 });
  // The day never moves backwards: a clock set back keeps filling today.
  s = addPowerSample(s, 3600, at(10, 0), o);
  s = addPowerSample(s, 0, at(11, 0), o);
  assert.equal(s.dayIndex, 103);
  assert.equal(energyTotals(s).todayWh, 3600);
});

Deno.test("exact over 1e6 real steps, where a float Wh accumulator already drifts", () => {
  const steps = 1000000;
  let s = addPowerSample(initialEnergyState(), 123.456, 0, OPTS);
  let floatWh = 0;
  for (let i = 1; i <= steps; i++) {
    s = addPowerSample(s, 123.456, i * 1000, OPTS);
    floatWh += 123.456 / 3600;
  }
  const truthUj = BigInt(steps) * 123456000n;
  assert.equal(totalUj(s), truthUj);
  // The float total differs from the exact value beyond its own representable precision.
  const exactWh = Number(truthUj / UJ) + Number(truthUj % UJ) / UJ_PER_WH;
  assert.notEqual(floatWh, exactWh);
  assertWellFormed(s);
});

Deno.test("exact at 10 years: the last 1e6 of 315,360,000 steps, from the analytic state", () => {
  const total = 315360000; // 1 s samples over 10 x 365 days
  const start = total - 1000000;
  const perStepUj = 123456000n;
  const startMs = start * 1000;
  const day = Math.floor(startMs / DAY_MS);
  const startUj = BigInt(start) * perStepUj;
  const todayStartUj = BigInt((startMs - day * DAY_MS) / 1000) * perStepUj;
  let s: EnergyState = {
    totalWholeWh: Number(startUj / UJ),
    totalRestUj: Number(startUj % UJ),
    todayWholeWh: Number(todayStartUj / UJ),
    todayRestUj: Number(todayStartUj % UJ),
    yesterdayWholeWh: 0,
    yesterdayRestUj: 0,
    dayIndex: day,
    lastMs: startMs,
    lastPowerMw: 123456,
  };
  for (let i = start + 1; i <= total; i++) s = addPowerSample(s, 123.456, i * 1000, OPTS);
  const truthUj = BigInt(total) * perStepUj;
  assert.ok(truthUj > BigInt(Number.MAX_SAFE_INTEGER), "the µJ total alone would not fit 2^53");
  assert.equal(totalUj(s), truthUj);
  assert.equal(s.dayIndex, 3650);
  assert.equal(yesterdayUj(s), 86400n * perStepUj);
  assert.equal(todayUj(s), 0n); // the last sample lands exactly on midnight
  assert.equal(s.totalWholeWh, 10814745); // 87,600 h x 123.456 W = 10,814,745.6 Wh
});

// An independent model: energy per effective local day, in BigInt, by overlap with days.
interface Model {
  baseUj: bigint;
  days: Map<number, bigint>;
  day: number | null;
  lastMs: number | null;
  lastMw: number;
}
type Op =
  | { kind: "sample"; dtMs: number; powerW: number }
  | { kind: "reset"; totalWh: number }
  | { kind: "restore" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant("sample" as const),
      dtMs: fc.oneof(
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 3 * DAY_MS }),
        fc.integer({ min: -DAY_MS, max: 0 }),
        fc.double({ min: 0, max: 3000, noNaN: true }),
      ),
      powerW: fc.oneof(
        { weight: 6, arbitrary: fc.double({ min: 0, max: 5000, noNaN: true }) },
        { weight: 1, arbitrary: fc.constantFrom(0, MAX_POWER_W, NaN, -1, 2e5) },
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("reset" as const),
      totalWh: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1e12, noNaN: true })),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("restore" as const) }) },
);

Deno.test("property: matches a BigInt per-day model; totals never decrease between resets", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1.5e12, max: 1.8e12 }),
      fc.integer({ min: -720, max: 840 }),
      fc.integer({ min: 0, max: 2 * DAY_MS }),
      fc.array(opArb, { maxLength: 60 }),
      (t0, tzOffsetMin, maxGapMs, ops) => {
        const o = { tzOffsetMin, maxGapMs };
        const tz = tzOffsetMin * 60000;
        const dayOf = (ms: number): number => Math.floor((ms + tz) / DAY_MS);
        const m: Model = { baseUj: 0n, days: new Map(), day: null, lastMs: null, lastMw: 0 };
        const into = (d: number, uj: bigint): void => {
          const eff = m.day === null ? d : Math.max(m.day, d);
          m.days.set(eff, (m.days.get(eff) ?? 0n) + uj);
          m.day = eff;
        };
        let s = initialEnergyState();
        let t = t0;
        for (const op of ops) {
          const prev = s;
          if (op.kind === "reset") {
            const r = resetEnergy(s, op.totalWh);
            assert.ok(r.ok);
            s = r.value;
            m.baseUj = totalUj(s);
            const got = energyTotals(s).totalWh;
            assert.ok(Math.abs(got - op.totalWh) <= Math.max(1e-9, op.totalWh * 1e-15));
            m.days = new Map();
          } else if (op.kind === "restore") {
            const r = restoreEnergy(snapshotEnergy(s));
            assert.ok(r.ok);
            s = r.value;
            m.lastMs = null;
          } else {
            t += op.dtMs;
            s = addPowerSample(s, op.powerW, t, o);
            const valid = op.powerW >= 0 && op.powerW <= MAX_POWER_W;
            if (!valid) {
              assert.equal(s, prev);
            } else {
              const now = Math.floor(t);
              if (m.lastMs !== null && now >= m.lastMs) {
                const end = m.lastMs + Math.min(now - m.lastMs, maxGapMs, MAX_GAP_MS);
                for (let d = dayOf(m.lastMs); d <= dayOf(end); d++) {
                  const lo = Math.max(m.lastMs, d * DAY_MS - tz);
                  const hi = Math.min(end, (d + 1) * DAY_MS - tz);
                  if (hi > lo) into(d, BigInt(m.lastMw) * BigInt(hi - lo));
                }
              }
              m.day = m.day === null ? dayOf(now) : Math.max(m.day, dayOf(now));
              m.lastMs = now;
              m.lastMw = Math.round(op.powerW * 1000);
              assert.ok(totalUj(s) >= totalUj(prev), "total never decreases");
              if (s.dayIndex === prev.dayIndex) assert.ok(todayUj(s) >= todayUj(prev));
            }
          }
          assertWellFormed(s);
          let sumDays = 0n;
          for (const v of m.days.values()) sumDays += v;
          assert.equal(totalUj(s), m.baseUj + sumDays, "total = base + closed days + today");
          assert.equal(s.dayIndex, m.day);
          if (m.day !== null) {
            assert.equal(todayUj(s), m.days.get(m.day) ?? 0n);
            assert.equal(yesterdayUj(s), m.days.get(m.day - 1) ?? 0n);
          }
        }
      },
    ),
    { numRuns: 300 },
  );
});

const stateArb: fc.Arbitrary<EnergyState> = fc.record({
  totalWholeWh: fc.integer({ min: 0, max: 1e15 }),
  totalRestUj: fc.integer({ min: 0, max: UJ_PER_WH - 1 }),
  todayWholeWh: fc.nat(),
  todayRestUj: fc.integer({ min: 0, max: UJ_PER_WH - 1 }),
  yesterdayWholeWh: fc.nat(),
  yesterdayRestUj: fc.integer({ min: 0, max: UJ_PER_WH - 1 }),
  dayIndex: fc.option(fc.integer({ min: -1e6, max: 1e8 })),
  lastMs: fc.option(fc.integer()),
  lastPowerMw: fc.integer({ min: 0, max: 1e8 }),
});

Deno.test("property: one step adds exactly power x interval µJ from any state", () => {
  fc.assert(
    fc.property(
      stateArb,
      fc.integer({ min: 0, max: 1e8 }),
      fc.integer({ min: 0, max: MAX_GAP_MS }),
      (s0, lastMw, dtMs) => {
        const s = Object.assign({}, s0, { lastMs: 1e12, lastPowerMw: lastMw });
        const next = addPowerSample(s, 1, 1e12 + dtMs, { tzOffsetMin: 0, maxGapMs: MAX_GAP_MS });
        assert.equal(totalUj(next) - totalUj(s), BigInt(lastMw) * BigInt(dtMs));
      },
    ),
  );
});

Deno.test("property: snapshot/restore round-trips counters and day exactly", () => {
  fc.assert(
    fc.property(stateArb, (s) => {
      const r = restoreEnergy(snapshotEnergy(s));
      assert.ok(r.ok);
      assert.deepEqual(r.value, Object.assign({}, s, { lastMs: null, lastPowerMw: 0 }));
      assert.equal(snapshotEnergy(r.value), snapshotEnergy(s));
    }),
  );
});

Deno.test("property: restoreEnergy never throws on arbitrary or damaged text", () => {
  const good = snapshotEnergy(Object.assign(initialEnergyState(), { totalWholeWh: 5 }));
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string(),
        fc.json(),
        fc.jsonValue().map((v) => JSON.stringify({ v: 1, total: v, today: [0, 0] })),
        fc.tuple(fc.nat({ max: good.length }), fc.string()).map(([i, x]) =>
          good.slice(0, i) + x + good.slice(i + 1)
        ),
      ),
      (text) => {
        const r = restoreEnergy(text);
        if (r.ok) assertWellFormed(r.value);
        else assert.ok(r.error.length > 0);
      },
    ),
  );
});

Deno.test("restoreEnergy: clear errors", () => {
  const e = (t: string): string => {
    const r = restoreEnergy(t);
    return r.ok ? "" : r.error;
  };
  assert.match(e("nope"), /not valid JSON/);
  assert.match(e("[1]"), /JSON object/);
  assert.match(e('{"v":2}'), /version/);
  assert.match(e('{"v":1,"total":[0,3600000000],"today":[0,0],"yesterday":[0,0]}'), /pairs/);
  assert.match(e('{"v":1,"total":[0,0],"today":[0,0],"yesterday":[0,0],"day":1.5}'), /day/);
});

Deno.test("resetEnergy: presets the total, clears the days, keeps integrating", () => {
  let s = addPowerSample(initialEnergyState(), 3600, 0, OPTS);
  s = addPowerSample(s, 3600, 1000, OPTS);
  const r = resetEnergy(s, 0.5);
  assert.ok(r.ok);
  s = addPowerSample(r.value, 0, 2000, OPTS); // the 3600 W second after the reset counts
  assert.deepEqual(energyTotals(s), { totalWh: 1.5, todayWh: 1, yesterdayWh: 0 });
  for (const bad of [NaN, -0.1, Infinity, 2e15]) assert.equal(resetEnergy(s, bad).ok, false);
});
