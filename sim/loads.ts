/**
 * Fake electrical loads for the simulated plug: each load says what it draws at a given
 * moment, and {@linkcode sampleBurst} turns that into raw ADC counts (offset, noise,
 * quantisation and clipping included) for the real measurement code in `lib/`.
 * {@linkcode trueReading} gives the exact figures the measurement should find.
 *
 * Loads are pure functions of time: the same `nowMs` always gives the same draw, so a
 * burst and the truth taken at one moment agree, and the same seed gives the same run.
 *
 * @module
 */

import { err, ok, type Result } from "../lib/result.ts";
import type { SampleBurst } from "../lib/ports.ts";
import { createRandom, gaussian, normalTable, type Random } from "./random.ts";

/** One current harmonic, relative to the fundamental current. */
export interface Harmonic {
  /** Harmonic order (3 = 150 Hz on 50 Hz mains). */
  order: number;
  /** Amplitude as a fraction of the fundamental current's amplitude. */
  fraction: number;
  /** Phase of the harmonic in degrees, at the harmonic's own frequency. */
  phaseDeg: number;
}

/** What a load draws at one moment, with a sinusoidal mains voltage. */
export interface LoadState {
  /** Real power in watts. */
  powerW: number;
  /** Displacement power factor (cosine of the fundamental's phase angle), 0..1. */
  displacementPf: number;
  /** `true` when the current leads the voltage (capacitive), `false` when it lags. */
  leading: boolean;
  /** Current harmonics; they add current but no real power. */
  harmonics: readonly Harmonic[];
}

/** An electrical load: its draw at any moment. */
export interface LoadModel {
  /** Short name for logs and the web page. */
  readonly name: string;
  /** The draw at `nowMs`; a pure function of time. */
  at(nowMs: number): LoadState;
}

/** The mains supply. */
export interface Mains {
  /** RMS voltage. */
  voltageV: number;
  /** Frequency in hertz. */
  frequencyHz: number;
}

/**
 * The default supply: 230 V rms, 50 Hz.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAINS } from "./loads.ts";
 * import assert from "node:assert/strict";
 * assert.equal(DEFAULT_MAINS.frequencyHz, 50);
 * ```
 */
export const DEFAULT_MAINS: Readonly<Mains> = { voltageV: 230, frequencyHz: 50 };

const MINUTE_MS = 60000;
const NO_HARMONICS: readonly Harmonic[] = [];

const state = (
  powerW: number,
  displacementPf: number,
  harmonics: readonly Harmonic[] = NO_HARMONICS,
  leading = false,
): LoadState => ({ powerW, displacementPf, leading, harmonics });

/** A standard normal number that depends only on `seed` and `slot`. */
const noiseAt = (seed: number, slot: number): number =>
  gaussian(createRandom((seed ^ Math.imul(slot | 0, 0x9e3779b1)) >>> 0));

/**
 * A resistive heater: constant power, power factor 1, no harmonics.
 *
 * @param powerW Rated power (default 2000 W).
 * @returns The load.
 * @example
 * ```ts
 * import { heater } from "./loads.ts";
 * import assert from "node:assert/strict";
 * assert.equal(heater().at(0).powerW, 2000);
 * ```
 */
export function heater(powerW = 2000): LoadModel {
  return { name: "heater", at: () => state(powerW, 1) };
}

/**
 * A kettle switched on at `startMs`: full power until it boils, then its thermostat opens.
 * Relay interruptions do not delay the boil (the kettle keeps its own time).
 *
 * @param options Rated power (default 2200 W), minutes to boil (default 3), start time.
 * @returns The load.
 * @example
 * ```ts
 * import { kettle } from "./loads.ts";
 * import assert from "node:assert/strict";
 * const k = kettle({ boilMinutes: 3 });
 * assert.equal(k.at(60000).powerW, 2200);
 * assert.equal(k.at(4 * 60000).powerW, 0);
 * ```
 */
export function kettle(
  options: { powerW?: number; boilMinutes?: number; startMs?: number } = {},
): LoadModel {
  const powerW = options.powerW ?? 2200;
  const boilMs = (options.boilMinutes ?? 3) * MINUTE_MS;
  const startMs = options.startMs ?? 0;
  return {
    name: "kettle",
    at: (nowMs) => {
      const sinceMs = nowMs - startMs;
      return state(sinceMs >= 0 && sinceMs < boilMs ? powerW : 0, 1);
    },
  };
}

/**
 * An induction motor: lagging current and a little 3rd and 5th harmonic.
 *
 * @param powerW Real power (default 600 W).
 * @param powerFactor Displacement power factor (default 0.7, inductive).
 * @returns The load.
 * @example
 * ```ts
 * import { motor } from "./loads.ts";
 * import assert from "node:assert/strict";
 * const s = motor().at(0);
 * assert.equal(s.displacementPf, 0.7);
 * assert.equal(s.leading, false);
 * ```
 */
export function motor(powerW = 600, powerFactor = 0.7): LoadModel {
  const harmonics: Harmonic[] = [
    { order: 3, fraction: 0.04, phaseDeg: 30 },
    { order: 5, fraction: 0.02, phaseDeg: 200 },
  ];
  return { name: "motor", at: () => state(powerW, powerFactor, harmonics) };
}

/**
 * A device on standby behind a small switched-mode supply: under a watt, capacitive and
 * rich in harmonics, wandering a little from second to second.
 *
 * @param options Mean power (default 0.8 W), seed of the wander (default 1).
 * @returns The load.
 * @example
 * ```ts
 * import { standby } from "./loads.ts";
 * import assert from "node:assert/strict";
 * const p = standby().at(5000).powerW;
 * assert.ok(p > 0.3 && p < 1.3);
 * ```
 */
export function standby(options: { powerW?: number; seed?: number } = {}): LoadModel {
  const meanW = options.powerW ?? 0.8;
  const seed = options.seed ?? 1;
  const harmonics: Harmonic[] = [
    { order: 3, fraction: 0.8, phaseDeg: 180 },
    { order: 5, fraction: 0.6, phaseDeg: 0 },
    { order: 7, fraction: 0.4, phaseDeg: 180 },
  ];
  return {
    name: "standby",
    at: (nowMs) => {
      const wander = 0.1 * noiseAt(seed, Math.floor(nowMs / 1000));
      return state(Math.max(0.05, meanW * (1 + wander)), 0.6, harmonics, true);
    },
  };
}

/** Timing of a fridge-like cycling load. */
export interface FridgeOptions {
  /** Compressor running power (default 120 W). */
  powerW?: number;
  /** Compressor displacement power factor (default 0.8). */
  powerFactor?: number;
  /** Mean on period in minutes (default 15). */
  onMinutes?: number;
  /** Mean off period in minutes (default 30). */
  offMinutes?: number;
  /** Peak start-up surge as a multiple of running power (default 5). */
  surgeFactor?: number;
  /** Time constant of the surge's decay (default 400 ms). */
  surgeMs?: number;
  /** Seed of the cycle-to-cycle variation (default 1). */
  seed?: number;
}

/**
 * A fridge: the compressor cycles (about 15 min on, 30 min off), each cycle's on time
 * varying by about 10 %, and each start draws a short surge at a poorer power factor.
 *
 * @param options Timing and power; see {@linkcode FridgeOptions}.
 * @returns The load.
 * @example
 * ```ts
 * import { fridge } from "./loads.ts";
 * import assert from "node:assert/strict";
 * const f = fridge();
 * assert.ok(f.at(50).powerW > 400); // start-up surge
 * assert.equal(f.at(5 * 60000).powerW, 120);
 * assert.equal(f.at(40 * 60000).powerW, 0);
 * ```
 */
export function fridge(options: FridgeOptions = {}): LoadModel {
  const powerW = options.powerW ?? 120;
  const powerFactor = options.powerFactor ?? 0.8;
  const onMs = (options.onMinutes ?? 15) * MINUTE_MS;
  const periodMs = onMs + (options.offMinutes ?? 30) * MINUTE_MS;
  const surgeFactor = options.surgeFactor ?? 5;
  const surgeMs = options.surgeMs ?? 400;
  const seed = options.seed ?? 1;
  const harmonics: Harmonic[] = [{ order: 3, fraction: 0.05, phaseDeg: 40 }];
  return {
    name: "fridge",
    at: (nowMs) => {
      const cycle = Math.floor(nowMs / periodMs);
      const inCycleMs = nowMs - cycle * periodMs;
      // The first cycle keeps its nominal length so examples and tests can count on it.
      const jitter = cycle === 0 ? 0 : Math.max(-0.3, Math.min(0.3, 0.1 * noiseAt(seed, cycle)));
      if (inCycleMs >= onMs * (1 + jitter)) return state(0, 1);
      // Cut the tail after six time constants (0.25 % left) so the run settles exactly.
      const surge = inCycleMs < 6 * surgeMs
        ? (surgeFactor - 1) * Math.exp(-inCycleMs / surgeMs)
        : 0;
      const pf = powerFactor - (powerFactor - 0.4) * (surge / Math.max(1, surgeFactor - 1));
      return state(powerW * (1 + surge), pf, harmonics);
    },
  };
}

/**
 * A constant load.
 *
 * @param powerW Real power in watts.
 * @param powerFactor Displacement power factor (default 1), inductive.
 * @returns The load.
 * @example
 * ```ts
 * import { constantLoad } from "./loads.ts";
 * import assert from "node:assert/strict";
 * assert.equal(constantLoad(100, 0.9).at(0).displacementPf, 0.9);
 * ```
 */
export function constantLoad(powerW: number, powerFactor = 1): LoadModel {
  return { name: "constant", at: () => state(powerW, powerFactor) };
}

/**
 * Nothing plugged in: no current at all.
 *
 * @returns The load.
 * @example
 * ```ts
 * import { noLoad } from "./loads.ts";
 * import assert from "node:assert/strict";
 * assert.equal(noLoad().at(0).powerW, 0);
 * ```
 */
export function noLoad(): LoadModel {
  return { name: "off", at: () => state(0, 1) };
}

/**
 * Parses the simulator's `load` knob: `W` or `W,pf`, or `off`. A negative power factor
 * means a leading (capacitive) load.
 *
 * @param text The knob's payload, e.g. `"1500"` or `"600,0.7"`.
 * @returns The load, or a clear error.
 * @example
 * ```ts
 * import { parseLoadKnob } from "./loads.ts";
 * import assert from "node:assert/strict";
 * const r = parseLoadKnob("600,0.7");
 * assert.ok(r.ok && r.value.at(0).powerW === 600);
 * assert.equal(parseLoadKnob("lots").ok, false);
 * ```
 */
export function parseLoadKnob(text: string): Result<LoadModel> {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === "off" || trimmed === "0") return ok(noLoad());
  const parts = trimmed.split(",").map((p) => p.trim());
  const number = /^[+-]?(\d+\.?\d*|\.\d+)$/;
  if (parts.length > 2 || !parts.every((p) => number.test(p))) {
    return err(`load must be "W" or "W,pf" (e.g. "600,0.7"), got "${text}"`);
  }
  const powerW = Number(parts[0]);
  const pf = parts[1] === undefined ? 1 : Number(parts[1]);
  if (powerW < 0 || powerW > 4000) return err(`load power must be 0..4000 W, got ${powerW}`);
  if (pf === 0 || Math.abs(pf) > 1) {
    return err(`power factor must be in -1..1 and not 0, got ${pf}`);
  }
  return ok({
    name: "knob",
    at: () => state(powerW, Math.abs(pf), NO_HARMONICS, pf < 0),
  });
}

/** The exact electrical figures of a load, as an ideal meter would read them. */
export interface TrueReading {
  /** Real power in watts. */
  powerW: number;
  /** True power factor (real / apparent power), including harmonic distortion; 0 with no current. */
  powerFactor: number;
  /** RMS current in amperes, harmonics included. */
  currentA: number;
  /** RMS voltage. */
  voltageV: number;
  /** Apparent power in volt-amperes. */
  apparentVA: number;
}

/** Fundamental amplitude (A) and phase (rad, negative = lagging) of a draw. */
const fundamental = (s: LoadState, mains: Mains): { peakA: number; phaseRad: number } => {
  const pf = Math.min(1, Math.max(1e-6, s.displacementPf));
  const rmsA = s.powerW / (mains.voltageV * pf);
  const angle = Math.acos(pf);
  return { peakA: rmsA * Math.SQRT2, phaseRad: s.leading ? angle : -angle };
};

/**
 * The exact reading of a load at `nowMs`: what a perfect meter would report.
 *
 * @param load The load.
 * @param nowMs The moment.
 * @param relayOn Whether the relay is closed; open means no current.
 * @param mains The supply (default 230 V, 50 Hz).
 * @returns Power, power factor, current and voltage.
 * @example
 * ```ts
 * import { heater, trueReading } from "./loads.ts";
 * import assert from "node:assert/strict";
 * const r = trueReading(heater(2300), 0, true);
 * assert.equal(r.currentA, 10);
 * assert.equal(trueReading(heater(), 0, false).powerW, 0);
 * ```
 */
export function trueReading(
  load: LoadModel,
  nowMs: number,
  relayOn: boolean,
  mains: Mains = DEFAULT_MAINS,
): TrueReading {
  const s = load.at(nowMs);
  if (!relayOn || s.powerW <= 0) {
    return { powerW: 0, powerFactor: 0, currentA: 0, voltageV: mains.voltageV, apparentVA: 0 };
  }
  const f = fundamental(s, mains);
  const distortion = s.harmonics.reduce((sum, h) => sum + h.fraction * h.fraction, 0);
  const currentA = (f.peakA / Math.SQRT2) * Math.sqrt(1 + distortion);
  const apparentVA = currentA * mains.voltageV;
  return {
    powerW: s.powerW,
    powerFactor: s.powerW / apparentVA,
    currentA,
    voltageV: mains.voltageV,
    apparentVA,
  };
}

/** How the simulated ADC samples the two channels. */
export interface BurstOptions {
  /** Samples per second per channel (default 2000). */
  sampleRateHz: number;
  /** Whole mains cycles per burst (default 10). */
  cycles: number;
  /** Amperes per ADC count of the current channel (default 0.05: ±25 A full scale). */
  currentGainA: number;
  /** Volts per ADC count of the voltage channel (default 0.8: ±409 V full scale). */
  voltageGainV: number;
  /** Count at zero signal (default 512). */
  adcOffset: number;
  /** Standard deviation of the ADC noise in counts (default 0.7). */
  noiseCounts: number;
  /** ADC resolution (default 10: counts 0..1023). */
  bits: number;
  /** Whether the board has a voltage channel (default true). */
  voltageChannel: boolean;
  /** How far the current channel lags the voltage channel, in degrees (sensor error). */
  currentPhaseLagDeg: number;
  /** The supply. */
  mains: Mains;
  /**
   * Noise source: one draw picks the burst's stretch of the noise table. By default the
   * stretch follows `nowMs`, so a burst is reproducible.
   */
  random?: Random;
}

/**
 * Default {@linkcode BurstOptions}: 2000 Hz, 10 cycles, 10 bits, offset 512, ±25 A and ±409 V full scale.
 *
 * @example
 * ```ts
 * import { DEFAULT_BURST_OPTIONS } from "./loads.ts";
 * import assert from "node:assert/strict";
 * assert.equal(DEFAULT_BURST_OPTIONS.bits, 10);
 * ```
 */
export const DEFAULT_BURST_OPTIONS: Readonly<BurstOptions> = {
  sampleRateHz: 2000,
  cycles: 10,
  currentGainA: 0.05,
  voltageGainV: 0.8,
  adcOffset: 512,
  noiseCounts: 0.7,
  bits: 10,
  voltageChannel: true,
  currentPhaseLagDeg: 0,
  mains: DEFAULT_MAINS,
};

/** log2 of the noise table's size; a power of two so an index wraps with a mask. */
const NOISE_TABLE_BITS = 12;
const NOISE_MASK = (1 << NOISE_TABLE_BITS) - 1;

/**
 * The ADC noise, drawn once: each burst reads its own stretch of this table (where it starts
 * and how far it steps depend on `nowMs`), which costs a look-up per sample where a fresh
 * Box-Muller draw cost two uniforms, a logarithm, a root and a cosine.
 */
const NOISE_TABLE = normalTable(1 << NOISE_TABLE_BITS, createRandom(0x5bd1e995));

/** Mixes a 32-bit integer (murmur3's finaliser), so neighbouring inputs give unrelated bits. */
const mix32 = (x: number): number => {
  let h = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
};

/** 32 bits that pick a burst's stretch of the noise table: from `random`, else from the ms. */
const noiseBits = (nowMs: number, random: Random | undefined): number => {
  if (random) return Math.floor(random() * 4294967296) >>> 0;
  const ms = Math.floor(nowMs);
  // Both halves of the millisecond count, as epoch times do not fit 32 bits.
  return mix32((ms >>> 0) ^ mix32((Math.floor(ms / 4294967296) ^ 0x5bd1e995) >>> 0));
};

/**
 * The fewest samples after which the sampled waveform repeats exactly (a whole number of
 * mains cycles falls on a whole number of samples: 40 at 2 kHz and 50 Hz, 100 at 2 kHz and
 * 60 Hz), or `count` when it does not repeat within the burst.
 */
function repeatLength(count: number, sampleRateHz: number, mainsHz: number): number {
  const perCycle = sampleRateHz / mainsHz;
  if (!(perCycle > 0) || !Number.isFinite(perCycle)) return count;
  for (let cycles = 1; cycles * perCycle <= count; cycles++) {
    const samples = cycles * perCycle;
    const whole = Math.round(samples);
    if (Math.abs(samples - whole) < 1e-9 * samples) return whole;
  }
  return count;
}

/** Samples after which {@linkcode addSine} recomputes its angle instead of turning it on. */
const RESYNC_SAMPLES = 256;

/**
 * Adds `amplitude * sin(phaseRad + stepRad * n)` to each `wave[n]`. It turns a unit vector
 * by `stepRad` per sample (four multiplications) instead of calling `Math.sin` per sample,
 * and starts again from the exact angle every {@linkcode RESYNC_SAMPLES} so the rounding
 * cannot drift.
 */
function addSine(wave: Float64Array, amplitude: number, phaseRad: number, stepRad: number): void {
  const turnCos = Math.cos(stepRad);
  const turnSin = Math.sin(stepRad);
  let cos = 0;
  let sin = 0;
  for (let n = 0; n < wave.length; n++) {
    if (n % RESYNC_SAMPLES === 0) {
      cos = Math.cos(phaseRad + stepRad * n);
      sin = Math.sin(phaseRad + stepRad * n);
    }
    wave[n]! += amplitude * sin;
    const nextCos = cos * turnCos - sin * turnSin;
    sin = sin * turnCos + cos * turnSin;
    cos = nextCos;
  }
}

/**
 * Fills `counts` with `wave` repeated, plus noise read from the table at `index`, `index +
 * step`, ..., rounded and clipped to 0..`maxCount` (NaN reads 0, as `Uint16Array` stores it).
 * An odd step visits every table entry before any repeats, so the samples' noise is independent.
 */
function digitise(
  counts: Uint16Array,
  wave: Float64Array,
  noiseCounts: number,
  index: number,
  step: number,
  maxCount: number,
): void {
  const period = wave.length;
  let k = index & NOISE_MASK;
  for (let n = 0, j = 0; n < counts.length; n++) {
    const x = wave[j]! + noiseCounts * NOISE_TABLE[k]!;
    // Clipped first, so `| 0` (much cheaper than Math.round here) rounds a value in range.
    counts[n] = x <= 0 ? 0 : x >= maxCount ? maxCount : (x + 0.5) | 0;
    k = (k + step) & NOISE_MASK;
    if (++j === period) j = 0;
  }
}

/**
 * Samples a load as the plug's ADC would: whole mains cycles of raw counts, with the DC
 * offset, Gaussian noise, rounding to integer counts and clipping to the ADC's range.
 * The waveform's phase follows `nowMs`, as sampling starts anywhere in a cycle.
 *
 * The noiseless waveform is computed for one repeat (one mains cycle at 2 kHz and 50 Hz)
 * and repeated; the noise comes from a fixed table of normal values, read from a place
 * that depends on `nowMs` (or on `options.random`). So the same `nowMs` gives the same
 * burst, and each burst's noise differs.
 *
 * @param load The load.
 * @param nowMs When the burst starts.
 * @param relayOn Whether the relay is closed; open means only noise on the current channel.
 * @param options ADC and supply settings; see {@linkcode BurstOptions}.
 * @returns The burst.
 * @example
 * ```ts
 * import { heater, sampleBurst } from "./loads.ts";
 * import assert from "node:assert/strict";
 * const b = sampleBurst(heater(), 0, true);
 * assert.equal(b.current.length, 400); // 10 cycles at 2000 Hz
 * assert.ok(Array.from(b.current).every((c) => Number.isInteger(c) && c >= 0 && c <= 1023));
 * assert.deepEqual(sampleBurst(heater(), 0, true), b); // the same moment, the same burst
 * ```
 */
export function sampleBurst(
  load: LoadModel,
  nowMs: number,
  relayOn: boolean,
  options: Partial<BurstOptions> = {},
): SampleBurst {
  const o: BurstOptions = { ...DEFAULT_BURST_OPTIONS, ...options };
  const count = Math.max(1, Math.round((o.cycles * o.sampleRateHz) / o.mains.frequencyHz));
  const grid: SampleGrid = {
    period: repeatLength(count, o.sampleRateHz, o.mains.frequencyHz),
    stepRad: (2 * Math.PI * o.mains.frequencyHz) / o.sampleRateHz,
    startRad: startPhaseRad(nowMs, o.mains.frequencyHz),
  };
  let waves = lastWaves.get(load);
  if (waves === undefined) {
    waves = { current: NO_WAVE, voltage: NO_WAVE };
    lastWaves.set(load, waves);
  }

  const s = load.at(nowMs);
  const drawing = relayOn && s.powerW > 0;
  const currentKey = waveKey(grid, o.adcOffset, o.currentGainA);
  currentKey.push(o.currentPhaseLagDeg, o.mains.voltageV);
  if (drawing) {
    currentKey.push(s.powerW, s.displacementPf, s.leading ? 1 : 0);
    for (const h of s.harmonics) currentKey.push(h.order, h.fraction, h.phaseDeg);
  }
  if (!sameKey(waves.current.key, currentKey)) {
    const samples = new Float64Array(grid.period).fill(o.adcOffset);
    if (drawing) addCurrent(samples, grid, s, o);
    waves.current = { key: currentKey.slice(), samples };
  }

  const maxCount = 2 ** o.bits - 1;
  const bits = noiseBits(nowMs, o.random);
  // Odd, so the walk visits every entry; the two channels take alternate entries.
  const stride = ((bits >>> NOISE_TABLE_BITS) & NOISE_MASK) | 1;
  const current = new Uint16Array(count);
  if (!o.voltageChannel) {
    digitise(current, waves.current.samples, o.noiseCounts, bits, stride, maxCount);
    return { sampleRateHz: o.sampleRateHz, current };
  }
  digitise(current, waves.current.samples, o.noiseCounts, bits, 2 * stride, maxCount);

  const voltageKey = waveKey(grid, o.adcOffset, o.voltageGainV);
  voltageKey.push(o.mains.voltageV);
  if (!sameKey(waves.voltage.key, voltageKey)) {
    const samples = new Float64Array(grid.period).fill(o.adcOffset);
    const peakCounts = (o.mains.voltageV * Math.SQRT2) / o.voltageGainV;
    addSine(samples, peakCounts, grid.startRad, grid.stepRad);
    waves.voltage = { key: voltageKey.slice(), samples };
  }
  const voltage = new Uint16Array(count);
  digitise(voltage, waves.voltage.samples, o.noiseCounts, bits + stride, 2 * stride, maxCount);
  return { sampleRateHz: o.sampleRateHz, current, voltage };
}

/**
 * The mains phase at `nowMs`, in radians: only the time since the last cycle began counts,
 * as the whole cycles of an epoch-sized `nowMs` would cost precision (and push Math.sin
 * onto its slow path for huge angles).
 */
function startPhaseRad(nowMs: number, mainsHz: number): number {
  const cycleMs = 1000 / mainsHz;
  return (2 * Math.PI * (nowMs % cycleMs)) / cycleMs;
}

/** When a burst's samples fall on the mains cycle. */
interface SampleGrid {
  /** Samples after which the waveform repeats (see {@linkcode repeatLength}). */
  period: number;
  /** Mains phase advance per sample, in radians. */
  stepRad: number;
  /** Mains phase at the first sample, in radians. */
  startRad: number;
}

/** A noiseless repeat of a channel, in counts, and the parameters it was computed from. */
interface Wave {
  key: readonly number[];
  samples: Float64Array;
}

const NO_WAVE: Wave = { key: [], samples: new Float64Array(0) };

/**
 * Each load's last waveforms: most loads are steady and a plug samples at whole seconds
 * (the same phase), so its next burst usually reuses them and skips the sines. Keyed by
 * the load object, so they go when the load does; a key holds every number the waveform
 * is computed from, so a reused waveform is the one that would be computed.
 */
const lastWaves = new WeakMap<LoadModel, { current: Wave; voltage: Wave }>();

/** The key being looked up: one array, reused, so a look-up that hits allocates nothing. */
const scratchKey: number[] = [];

/** Starts {@linkcode scratchKey} with the parameters both channels' waveforms depend on. */
function waveKey(grid: SampleGrid, adcOffset: number, gain: number): number[] {
  scratchKey.length = 0;
  scratchKey.push(grid.period, grid.stepRad, grid.startRad, adcOffset, gain);
  return scratchKey;
}

/** Whether two keys hold the same numbers (NaN never matches: that waveform is recomputed). */
function sameKey(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let n = 0; n < a.length; n++) if (a[n] !== b[n]) return false;
  return true;
}

/** Adds a drawing load's current in counts (fundamental and harmonics) to one repeat. */
function addCurrent(samples: Float64Array, grid: SampleGrid, s: LoadState, o: BurstOptions): void {
  const lagRad = (o.currentPhaseLagDeg * Math.PI) / 180;
  const f = fundamental(s, o.mains);
  const peakCounts = f.peakA / o.currentGainA;
  addSine(samples, peakCounts, grid.startRad + f.phaseRad - lagRad, grid.stepRad);
  for (const h of s.harmonics) {
    const phaseRad = h.order * (grid.startRad - lagRad) + (h.phaseDeg * Math.PI) / 180;
    addSine(samples, peakCounts * h.fraction, phaseRad, h.order * grid.stepRad);
  }
}
