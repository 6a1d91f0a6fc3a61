/**
 * The simulated plug's one-second measurement: `sampleBurst` (10 cycles of 50 Hz at 2 kHz,
 * both channels) against the algorithm it replaced (a Box-Muller draw per sample and a sine
 * per sample and harmonic, the baseline), over a simulated minute per iteration. Each group
 * also times lib's `measurePower` on the same bursts, the work the burst feeds, for scale.
 *
 * Run: `deno bench bench/loads_bench.ts`
 *
 * @module
 */

import { measurePower, type PowerCalibration } from "../lib/power.ts";
import type { SampleBurst } from "../lib/ports.ts";
import {
  type BurstOptions,
  DEFAULT_BURST_OPTIONS,
  heater,
  type LoadModel,
  type LoadState,
  type Mains,
  motor,
  sampleBurst,
  standby,
} from "../sim/loads.ts";
import { createRandom, gaussian } from "../sim/random.ts";

/** One plug's bursts per iteration: a minute of 1 s measurements. */
const SECONDS = 60;
/** The simulator's clocks start at an epoch time (`Date.now()`, `Date.UTC(2026, 0, 15)`). */
const EPOCH_MS = Date.UTC(2026, 0, 15, 8, 0, 0, 123);

const CALIBRATION: PowerCalibration = {
  currentGainA: DEFAULT_BURST_OPTIONS.currentGainA,
  voltageGainV: DEFAULT_BURST_OPTIONS.voltageGainV,
  phaseCorrectionDeg: 0,
  nominalVoltageV: 230,
  mainsHz: 50,
};

/** Fundamental amplitude and phase of a draw, as sim/loads.ts computes them. */
const fundamental = (s: LoadState, mains: Mains): { peakA: number; phaseRad: number } => {
  const pf = Math.min(1, Math.max(1e-6, s.displacementPf));
  const rmsA = s.powerW / (mains.voltageV * pf);
  const angle = Math.acos(pf);
  return { peakA: rmsA * Math.SQRT2, phaseRad: s.leading ? angle : -angle };
};

/** The previous `sampleBurst`, kept verbatim as the baseline. */
function oldSampleBurst(
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

type Sampler = typeof sampleBurst;

/** A minute of one plug's bursts; the sum keeps the work from being optimised away. */
function minuteOfBursts(sample: Sampler, load: LoadModel, startMs: number): number {
  let sink = 0;
  for (let s = 0; s < SECONDS; s++) sink += sample(load, startMs + s * 1000, true).current[7]!;
  return sink;
}

const prepared = (load: LoadModel, startMs: number): SampleBurst[] =>
  Array.from({ length: SECONDS }, (_, s) => sampleBurst(load, startMs + s * 1000, true));

// The old algorithm was much slower at epoch times (Math.sin of ~1e11 rad takes its slow
// path); the last case starts at 0 to show the gain without that.
const loads: [string, LoadModel, number][] = [
  ["heater", heater(1000), EPOCH_MS],
  ["motor (2 harmonics)", motor(), EPOCH_MS],
  ["standby (3 harmonics, wanders every second)", standby(), EPOCH_MS],
  ["motor, clock from 0", motor(), 0],
];

// Print the readings once, so a run shows the new bursts still measure what the old ones did.
for (const [name, load, startMs] of loads) {
  const mean = (sample: Sampler): string => {
    const watts = Array.from({ length: SECONDS }, (_, s) => {
      const r = measurePower(sample(load, startMs + s * 1000, true), CALIBRATION);
      return r.ok ? r.value.powerW : NaN;
    });
    const average = watts.reduce((a, b) => a + b, 0) / watts.length;
    const spread = Math.max(...watts) - Math.min(...watts);
    return `${average.toFixed(3)} W (spread ${spread.toFixed(3)} W)`;
  };
  console.log(`${name}: old ${mean(oldSampleBurst)}, new ${mean(sampleBurst)}`);
}

for (const [name, load, startMs] of loads) {
  const group = `${name}: ${SECONDS} bursts`;
  Deno.bench("old sampleBurst (Box-Muller, sine per sample)", { group, baseline: true }, () => {
    minuteOfBursts(oldSampleBurst, load, startMs);
  });
  Deno.bench("sampleBurst", { group }, () => {
    minuteOfBursts(sampleBurst, load, startMs);
  });
  const bursts = prepared(load, startMs);
  Deno.bench("lib measurePower on the same bursts (scale)", { group }, () => {
    let sink = 0;
    for (const burst of bursts) {
      const r = measurePower(burst, CALIBRATION);
      if (r.ok) sink += r.value.powerW;
    }
    if (!(sink > 0)) throw new Error("no power measured");
  });
}
