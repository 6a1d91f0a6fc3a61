/**
 * Power measurement against plain typed-array loops doing the same arithmetic, over
 * 1,000,000 samples (50,000 cycles of 50 Hz at 1 kHz). Run: `deno bench bench/power_bench.ts`.
 *
 * @module
 */

import { acRms, measurePower, type PowerCalibration } from "../lib/power.ts";

const COUNT = 1_000_000;
const SAMPLE_RATE_HZ = 1000;
const MAINS_HZ = 50;
const PHASE_CORRECTION_DEG = 3;
const CALIBRATION: PowerCalibration = {
  currentGainA: 0.01,
  voltageGainV: 0.8,
  phaseCorrectionDeg: PHASE_CORRECTION_DEG,
  nominalVoltageV: 230,
  mainsHz: MAINS_HZ,
};

// 10-bit-like samples with a little deterministic jitter.
const current = new Float64Array(COUNT);
const voltage = new Float64Array(COUNT);
for (let n = 0; n < COUNT; n++) {
  const angle = (2 * Math.PI * MAINS_HZ * n) / SAMPLE_RATE_HZ;
  const jitter = ((n * 7919) % 13) / 13 - 0.5;
  current[n] = Math.round(512 + 200 * Math.sin(angle - 0.6) + jitter);
  voltage[n] = Math.round(505 + 400 * Math.sin(angle) - jitter);
}

let sink = 0;

/** The same single pass `acRms` makes, written straight over a Float64Array. */
function plainRms(samples: Float64Array, gain: number): number {
  const count = samples.length;
  const reference = samples[0]!;
  let sum = 0;
  let squares = 0;
  for (let k = 0; k < count; k++) {
    const d = samples[k]! - reference;
    sum += d;
    squares += d * d;
  }
  const mean = sum / count;
  return Math.sqrt(Math.max(0, squares / count - mean * mean)) * Math.abs(gain);
}

/** The same pass `measurePower` makes over a pair (phase-corrected voltage included). */
function plainRealPower(
  i: Float64Array,
  v: Float64Array,
  gainA: number,
  gainV: number,
): [number, number, number] {
  const samplesPerCycle = SAMPLE_RATE_HZ / MAINS_HZ;
  const shift = (PHASE_CORRECTION_DEG / 360) * samplesPerCycle;
  const lagA = Math.floor(shift);
  const step = (2 * Math.PI) / samplesPerCycle;
  const delay = (shift - lagA) * step;
  const denominator = Math.sin(delay) + Math.sin(step - delay);
  const weightB = Math.sin(delay) / denominator;
  const weightA = 1 - weightB;
  const interpolationGain = Math.sin(step) / denominator;
  const lagB = lagA + 1;
  const first = lagB;
  const end = first + Math.floor((i.length - first) / samplesPerCycle) * samplesPerCycle;
  const currentRef = i[first]!;
  const voltageRef = v[first]!;
  let sumI = 0;
  let sumII = 0;
  let sumV = 0;
  let sumVV = 0;
  let sumS = 0;
  let sumSI = 0;
  for (let n = first; n < end; n++) {
    const di = i[n]! - currentRef;
    const dv = v[n]! - voltageRef;
    const ds = weightA * v[n - lagA]! + weightB * v[n - lagB]! - voltageRef;
    sumI += di;
    sumII += di * di;
    sumV += dv;
    sumVV += dv * dv;
    sumS += ds;
    sumSI += ds * di;
  }
  const total = end - first;
  const meanI = sumI / total;
  const meanV = sumV / total;
  const currentA = Math.sqrt(Math.max(0, sumII / total - meanI * meanI)) * Math.abs(gainA);
  const voltageV = Math.sqrt(Math.max(0, sumVV / total - meanV * meanV)) * Math.abs(gainV);
  const covariance = sumSI / total - (sumS / total) * meanI;
  return [currentA, voltageV, (covariance * gainA * gainV) / interpolationGain];
}

// Warm every contender on short bursts first, as a device would call them. Otherwise V8
// first optimises each one in the middle of its 1M-sample loop (on-stack replacement),
// without type feedback for the code after the loop, and deoptimises it again and again.
const shortCurrent = current.slice(0, 200);
const shortVoltage = voltage.slice(0, 200);
for (let k = 0; k < 2000; k++) {
  sink += plainRms(shortCurrent, CALIBRATION.currentGainA);
  sink += acRms(shortCurrent, CALIBRATION.currentGainA);
  sink += plainRealPower(shortCurrent, shortVoltage, 0.01, 0.8)[2];
  const alone = measurePower({ sampleRateHz: SAMPLE_RATE_HZ, current: shortCurrent }, CALIBRATION);
  const pair = measurePower(
    { sampleRateHz: SAMPLE_RATE_HZ, current: shortCurrent, voltage: shortVoltage },
    Object.assign({}, CALIBRATION, { phaseCorrectionDeg: k % 2 === 0 ? 0 : PHASE_CORRECTION_DEG }),
  );
  if (alone.ok && pair.ok) sink += alone.value.powerW + pair.value.powerW;
}

Deno.bench("plain Float64Array loop", { group: "rms-1M", baseline: true }, () => {
  sink += plainRms(current, CALIBRATION.currentGainA);
});

Deno.bench("acRms", { group: "rms-1M" }, () => {
  sink += acRms(current, CALIBRATION.currentGainA);
});

Deno.bench("measurePower, current only", { group: "rms-1M" }, () => {
  const result = measurePower({ sampleRateHz: SAMPLE_RATE_HZ, current }, CALIBRATION);
  if (result.ok) sink += result.value.currentA;
});

Deno.bench("plain Float64Array loop", { group: "real-power-1M", baseline: true }, () => {
  const r = plainRealPower(current, voltage, CALIBRATION.currentGainA, CALIBRATION.voltageGainV);
  sink += r[0] + r[1] + r[2];
});

Deno.bench("measurePower, 3° phase correction", { group: "real-power-1M" }, () => {
  const result = measurePower({ sampleRateHz: SAMPLE_RATE_HZ, current, voltage }, CALIBRATION);
  if (result.ok) sink += result.value.currentA + result.value.voltageV + result.value.powerW;
});

Deno.bench("measurePower, no phase correction", { group: "real-power-1M" }, () => {
  const calibration = Object.assign({}, CALIBRATION, { phaseCorrectionDeg: 0 });
  const result = measurePower({ sampleRateHz: SAMPLE_RATE_HZ, current, voltage }, calibration);
  if (result.ok) sink += result.value.currentA + result.value.voltageV + result.value.powerW;
});
