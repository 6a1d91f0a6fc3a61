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
import { createRandom, gaussian, type Random } from "./random.ts";

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
  /** Noise source; by default one seeded from `nowMs`, so a burst is reproducible. */
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

/**
 * Samples a load as the plug's ADC would: whole mains cycles of raw counts, with the DC
 * offset, Gaussian noise, rounding to integer counts and clipping to the ADC's range.
 * The waveform's phase follows `nowMs`, as sampling starts anywhere in a cycle.
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
 * ```
 */
export function sampleBurst(
  load: LoadModel,
  nowMs: number,
  relayOn: boolean,
  options: Partial<BurstOptions> = {},
): SampleBurst {
  const o: BurstOptions = { ...DEFAULT_BURST_OPTIONS, ...options };
  const random = o.random ?? createRandom((Math.floor(nowMs) ^ 0x5bd1e995) >>> 0);
  const count = Math.max(1, Math.round((o.cycles * o.sampleRateHz) / o.mains.frequencyHz));
  const maxCount = 2 ** o.bits - 1;
  const s = load.at(nowMs);
  const f = relayOn && s.powerW > 0 ? fundamental(s, o.mains) : { peakA: 0, phaseRad: 0 };
  const lagRad = (o.currentPhaseLagDeg * Math.PI) / 180;
  const voltsPeak = o.mains.voltageV * Math.SQRT2;
  const omega = 2 * Math.PI * o.mains.frequencyHz;
  const startRad = (omega * nowMs) / 1000;
  const toCounts = (signal: number, gain: number): number => {
    const c = Math.round(o.adcOffset + signal / gain + o.noiseCounts * gaussian(random));
    return Math.min(maxCount, Math.max(0, c));
  };
  const current = new Uint16Array(count);
  const voltage = o.voltageChannel ? new Uint16Array(count) : undefined;
  for (let n = 0; n < count; n++) {
    const theta = startRad + (omega * n) / o.sampleRateHz;
    let amps = f.peakA * Math.sin(theta + f.phaseRad - lagRad);
    for (const h of s.harmonics) {
      amps += f.peakA * h.fraction *
        Math.sin(h.order * (theta - lagRad) + (h.phaseDeg * Math.PI) / 180);
    }
    current[n] = toCounts(amps, o.currentGainA);
    if (voltage) voltage[n] = toCounts(voltsPeak * Math.sin(theta), o.voltageGainV);
  }
  return voltage
    ? { sampleRateHz: o.sampleRateHz, current, voltage }
    : { sampleRateHz: o.sampleRateHz, current };
}
