/**
 * Energy integration over 10 years of 1 s samples (315,360,000 steps) at 123.456 W:
 * the exact integer accumulator of lib/energy.ts against a naive float accumulator
 * (`totalWh += powerW / 3600`, the baseline) and a float32 one. Each run is long, so the
 * cases run with `n: 1, warmup: 0` (Deno still does one warmup call). After the timed
 * part of each case, its result is compared once with the BigInt truth and printed.
 *
 * Run: `deno bench -A bench/energy_bench.ts`
 *
 * @module
 */

import { addPowerSample, initialEnergyState, UJ_PER_WH } from "../lib/energy.ts";

const STEPS = 315360000; // 10 x 365 days of 1 s samples
const POWER_W = 123.456;
const TRUTH_UJ = BigInt(STEPS) * BigInt(Math.round(POWER_W * 1000)) * 1000n;
const UJ = BigInt(UJ_PER_WH);
// 6 decimals of Wh are exact here: the remainder is a whole number of 0.6 Wh steps.
const TRUTH_TEXT = `${TRUTH_UJ / UJ}.${
  ((TRUTH_UJ % UJ) * 1000000n / UJ).toString().padStart(6, "0")
} Wh`;
const GROUP = "energy: 10 years of 1 s samples";

const printed = new Set<string>();
const report = (name: string, text: string): void => {
  if (printed.has(name)) return;
  printed.add(name);
  console.log(`${name}: ${text} (truth ${TRUTH_TEXT})`);
};

// The float error against the truth, computed in BigInt micro-Wh to stay exact.
const floatError = (wh: number): string => {
  const scaled = BigInt(Math.round(wh * 1e6)) * UJ - TRUTH_UJ * 1000000n;
  return `${Number(scaled / UJ) / 1e6} Wh`;
};

Deno.bench({
  name: "float64 totalWh += powerW / 3600",
  group: GROUP,
  baseline: true,
  n: 1,
  warmup: 0,
  fn: (b) => {
    b.start();
    let totalWh = 0;
    const perStepWh = POWER_W / 3600;
    for (let i = 0; i < STEPS; i++) totalWh += perStepWh;
    b.end();
    report("float64", `${totalWh} Wh, error ${floatError(totalWh)}`);
  },
});

Deno.bench({
  name: "float32 totalWh += powerW / 3600",
  group: GROUP,
  n: 1,
  warmup: 0,
  fn: (b) => {
    b.start();
    const total = new Float32Array(1);
    const perStepWh = POWER_W / 3600;
    for (let i = 0; i < STEPS; i++) total[0] = (total[0] ?? 0) + perStepWh;
    b.end();
    const wh = total[0] ?? 0;
    report("float32", `${wh} Wh, error ${floatError(wh)} (stops growing)`);
  },
});

Deno.bench({
  name: "exact addPowerSample (lib/energy.ts)",
  group: GROUP,
  n: 1,
  warmup: 0,
  fn: (b) => {
    const options = { tzOffsetMin: 0, maxGapMs: 10000 };
    b.start();
    let s = addPowerSample(initialEnergyState(), POWER_W, 0, options);
    for (let i = 1; i <= STEPS; i++) s = addPowerSample(s, POWER_W, i * 1000, options);
    b.end();
    const gotUj = BigInt(s.totalWholeWh) * UJ + BigInt(s.totalRestUj);
    if (gotUj !== TRUTH_UJ) throw new Error(`not exact: ${gotUj} µJ vs ${TRUTH_UJ} µJ`);
    report("exact", `${s.totalWholeWh} Wh + ${s.totalRestUj} µJ, error 0 (checked in BigInt)`);
  },
});
