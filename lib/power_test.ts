import assert from "node:assert/strict";
import fc from "fast-check";
import {
  acRms,
  calibrationFromSettings,
  DEFAULT_MAINS_HZ,
  measurePower,
  type PowerCalibration,
  type PowerReading,
} from "./power.ts";
import { DEFAULT_PLUG_SETTINGS } from "./settings.ts";
import type { SampleBurst } from "./ports.ts";

/** Deterministic PRNG (mulberry32): the same seed gives the same noise on every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One channel: amplitudes (counts) and phases (degrees) of the 1st, 3rd and 5th harmonics. */
interface Channel {
  offset: number;
  amplitudes: [number, number, number];
  phasesDeg: [number, number, number];
  /** Standard deviation of white Gaussian noise, counts. */
  noise: number;
}

/** A synthetic burst and what an ideal meter would read. */
interface Waveform {
  sampleRateHz: number;
  mainsHz: number;
  count: number;
  current: Channel;
  voltage: Channel;
  /** How far the voltage channel's sampling leads the current's (degrees of mains). */
  skewDeg: number;
  /** Round to whole counts and clamp to 0..1023 (a 10-bit ADC). */
  tenBit: boolean;
  seed: number;
}

const ORDERS = [1, 3, 5];
const CURRENT_GAIN_A = 0.01;
const VOLTAGE_GAIN_V = 0.8;

/** Samples a waveform; returns the burst and the analytic RMS values and power. */
function synthesize(w: Waveform): {
  burst: SampleBurst;
  expected: { currentA: number; voltageV: number; powerW: number };
} {
  const random = mulberry32(w.seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const channelAt = (c: Channel, cycles: number): number => {
    let x = c.offset + c.noise * gaussian();
    for (let h = 0; h < 3; h++) {
      const angle = 2 * Math.PI * ORDERS[h]! * cycles + (c.phasesDeg[h]! * Math.PI) / 180;
      x += c.amplitudes[h]! * Math.sin(angle);
    }
    return w.tenBit ? Math.min(1023, Math.max(0, Math.round(x))) : x;
  };
  const current = new Float64Array(w.count);
  const voltage = new Float64Array(w.count);
  for (let n = 0; n < w.count; n++) {
    const cycles = (n * w.mainsHz) / w.sampleRateHz;
    current[n] = channelAt(w.current, cycles);
    voltage[n] = channelAt(w.voltage, cycles + w.skewDeg / 360);
  }
  let iSquare = 0;
  let vSquare = 0;
  let power = 0;
  for (let h = 0; h < 3; h++) {
    const ia = w.current.amplitudes[h]!;
    const va = w.voltage.amplitudes[h]!;
    iSquare += (ia * ia) / 2;
    vSquare += (va * va) / 2;
    const shiftRad = ((w.voltage.phasesDeg[h]! - w.current.phasesDeg[h]!) * Math.PI) / 180;
    power += (ia * va * Math.cos(shiftRad)) / 2;
  }
  return {
    burst: { sampleRateHz: w.sampleRateHz, current, voltage },
    expected: {
      currentA: Math.sqrt(iSquare) * CURRENT_GAIN_A,
      voltageV: Math.sqrt(vSquare) * VOLTAGE_GAIN_V,
      powerW: power * CURRENT_GAIN_A * VOLTAGE_GAIN_V,
    },
  };
}

function calibrationFor(w: Waveform): PowerCalibration {
  return {
    currentGainA: CURRENT_GAIN_A,
    voltageGainV: VOLTAGE_GAIN_V,
    phaseCorrectionDeg: w.skewDeg,
    nominalVoltageV: 230,
    mainsHz: w.mainsHz,
  };
}

/** Relative errors of a reading against the analytic values. */
function errorsOf(
  w: Waveform,
): { currentA: number; voltageV: number; powerW: number; powerOfApparent: number } {
  const s = synthesize(w);
  const result = measurePower(s.burst, calibrationFor(w));
  if (!result.ok) throw new Error(result.error);
  const rel = (got: number, want: number) => Math.abs(got - want) / Math.abs(want);
  return {
    currentA: rel(result.value.currentA, s.expected.currentA),
    voltageV: rel(result.value.voltageV, s.expected.voltageV),
    powerW: rel(result.value.powerW, s.expected.powerW),
    powerOfApparent: Math.abs(result.value.powerW - s.expected.powerW) /
      (s.expected.currentA * s.expected.voltageV),
  };
}

const clean = (amplitude: number, phaseDeg: number): Channel => ({
  offset: 0,
  amplitudes: [amplitude, 0, 0],
  phasesDeg: [phaseDeg, 0, 0],
  noise: 0,
});

const base = (over: Partial<Waveform>): Waveform =>
  Object.assign({
    sampleRateHz: 1000,
    mainsHz: 50,
    count: 200,
    current: clean(200, -30),
    voltage: clean(400, 0),
    skewDeg: 0,
    tenBit: false,
    seed: 1,
  }, over);

// The bound the module doc claims.
const RMS_BOUND = 0.005;
const POWER_BOUND = 0.01;

const assertWithin = (w: Waveform, rmsBound: number, powerBound: number) => {
  const e = errorsOf(w);
  assert.ok(e.currentA <= rmsBound, `current error ${e.currentA}`);
  assert.ok(e.voltageV <= rmsBound, `voltage error ${e.voltageV}`);
  assert.ok(e.powerW <= powerBound, `power error ${e.powerW}`);
};

const reading = (burst: SampleBurst, calibration: PowerCalibration): PowerReading => {
  const result = measurePower(burst, calibration);
  if (!result.ok) throw new Error(result.error);
  return result.value;
};

const close = (got: number, want: number, relative: number, what: string) =>
  assert.ok(
    Math.abs(got - want) <= relative * Math.abs(want),
    `${what}: got ${got}, want ${want} within ${relative * 100} %`,
  );

Deno.test("a pure sine over whole cycles reads exactly", () => {
  const w = base({});
  const s = synthesize(w);
  const r = reading(s.burst, calibrationFor(w));
  close(r.currentA, s.expected.currentA, 1e-12, "currentA");
  close(r.voltageV, s.expected.voltageV, 1e-12, "voltageV");
  close(r.powerW, s.expected.powerW, 1e-12, "powerW");
  close(r.apparentVA, r.currentA * r.voltageV, 1e-12, "apparentVA");
  close(r.powerFactor, Math.cos(Math.PI / 6), 1e-12, "powerFactor");
  assert.equal(r.estimated, false);
});

Deno.test("the DC offset is removed, however large", () => {
  const reference = errorsOf(base({}));
  for (const offset of [512, -3000, 1e6, 1e9]) {
    const w = base({
      current: Object.assign(clean(200, -30), { offset }),
      voltage: Object.assign(clean(400, 0), { offset: offset / 2 }),
    });
    const e = errorsOf(w);
    assert.ok(e.currentA < 1e-9 && e.voltageV < 1e-9 && e.powerW < 1e-9, `offset ${offset}`);
    assert.ok(reference.powerW < 1e-12);
  }
});

Deno.test("3rd and 5th harmonics count in RMS and in power", () => {
  const w = base({
    current: { offset: 500, amplitudes: [200, 60, 40], phasesDeg: [-40, 70, 10], noise: 0 },
    voltage: { offset: 510, amplitudes: [400, 20, 12], phasesDeg: [0, 30, -50], noise: 0 },
  });
  const e = errorsOf(w);
  assert.ok(e.currentA < 1e-12 && e.voltageV < 1e-12 && e.powerW < 1e-12, JSON.stringify(e));
});

Deno.test("seeded noise stays within the bound", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const noisy = (c: Channel): Channel => Object.assign({}, c, { noise: c.amplitudes[0] * 0.005 });
    const w = base({ seed, current: noisy(clean(200, -30)), voltage: noisy(clean(400, 0)) });
    assertWithin(w, RMS_BOUND, POWER_BOUND);
  }
});

Deno.test("inductive and capacitive loads read their power factor", () => {
  for (const pf of [0.5, 0.6, 0.7, 0.8, 0.9]) {
    for (const sign of [1, -1]) {
      const lagDeg = (sign * Math.acos(pf) * 180) / Math.PI;
      const w = base({ current: clean(200, 15 - lagDeg), voltage: clean(400, 15) });
      const s = synthesize(w);
      const r = reading(s.burst, calibrationFor(w));
      close(r.powerFactor, pf, 1e-9, `pf ${pf}`);
      close(r.powerW, s.expected.powerW, 1e-9, `power at pf ${pf}`);
    }
  }
});

Deno.test("phaseCorrectionDeg undoes a skew between the channels", () => {
  for (const skewDeg of [9, -9, 4.5, 2.3, 18, -27, 10]) {
    for (const sampleRateHz of [1000, 1018.5, 2000]) {
      const w = base({
        skewDeg,
        sampleRateHz,
        count: (sampleRateHz / 50) * 10,
        current: clean(200, -60),
      });
      const s = synthesize(w);
      const corrected = reading(s.burst, calibrationFor(w));
      close(corrected.powerW, s.expected.powerW, 1e-4, `corrected ${skewDeg} deg`);
      const raw = reading(s.burst, Object.assign(calibrationFor(w), { phaseCorrectionDeg: 0 }));
      const rawError = Math.abs(raw.powerW - s.expected.powerW) / s.expected.powerW;
      assert.ok(rawError > 0.05, `a ${skewDeg} deg skew left alone is visible: ${rawError}`);
    }
  }
});

Deno.test("10-bit quantisation stays within the bound", () => {
  for (const phase of [0, 17, 45, 71]) {
    const w = base({
      tenBit: true,
      current: Object.assign(clean(200, phase - 45), { offset: 512 }),
      voltage: Object.assign(clean(300, phase), { offset: 505 }),
    });
    assertWithin(w, RMS_BOUND, POWER_BOUND);
  }
});

/** A waveform inside the envelope the module doc states. */
interface Envelope {
  samplesPerCycle: number;
  cycles: number;
  mainsHz: number;
  powerFactor: number;
  leading: boolean;
  skewDeg: number;
  phaseDeg: number;
  currentAmplitude: number;
  voltageAmplitude: number;
  currentHarmonics: [number, number];
  voltageHarmonics: [number, number];
  harmonicPhasesDeg: [number, number, number, number];
  noiseFraction: number;
  offsetShift: [number, number];
  seed: number;
}

const envelopeWave = (e: Envelope): Waveform => {
  const lagDeg = ((e.leading ? -1 : 1) * Math.acos(e.powerFactor) * 180) / Math.PI;
  const sampleRateHz = e.samplesPerCycle * e.mainsHz;
  const h = e.harmonicPhasesDeg;
  return {
    sampleRateHz,
    mainsHz: e.mainsHz,
    count: Math.floor(e.cycles * e.samplesPerCycle),
    current: {
      offset: 512 + e.offsetShift[0],
      amplitudes: [
        e.currentAmplitude,
        e.currentHarmonics[0] * e.currentAmplitude,
        e.currentHarmonics[1] * e.currentAmplitude,
      ],
      phasesDeg: [e.phaseDeg - lagDeg, e.phaseDeg + h[0], e.phaseDeg + h[1]],
      noise: e.noiseFraction * e.currentAmplitude,
    },
    voltage: {
      offset: 512 + e.offsetShift[1],
      amplitudes: [
        e.voltageAmplitude,
        e.voltageHarmonics[0] * e.voltageAmplitude,
        e.voltageHarmonics[1] * e.voltageAmplitude,
      ],
      phasesDeg: [e.phaseDeg, e.phaseDeg + h[2], e.phaseDeg + h[3]],
      noise: e.noiseFraction * e.voltageAmplitude,
    },
    skewDeg: e.skewDeg,
    tenBit: true,
    seed: e.seed,
  };
};

Deno.test("the stated bound holds across the envelope's corners", () => {
  let seed = 1;
  for (const samplesPerCycle of [20, 20.37, 24.68, 40]) {
    for (const powerFactor of [0.5, 0.8, 1]) {
      for (const skewDeg of [0, 9, -10]) {
        for (const harmonicPhase of [0, 90, 180, 270]) {
          const w = envelopeWave({
            samplesPerCycle,
            cycles: 10.5,
            mainsHz: samplesPerCycle === 40 ? 60 : 50,
            powerFactor,
            leading: harmonicPhase >= 180,
            skewDeg,
            phaseDeg: 77,
            currentAmplitude: 200,
            voltageAmplitude: 300,
            currentHarmonics: [0.1, 0.1],
            voltageHarmonics: [0.05, 0.05],
            harmonicPhasesDeg: [harmonicPhase, 180, 0, 0],
            noiseFraction: 0.005,
            offsetShift: [0, -10],
            seed: seed++,
          });
          assertWithin(w, RMS_BOUND, POWER_BOUND);
        }
      }
    }
  }
});

const envelopeArbitrary: fc.Arbitrary<Envelope> = fc.record({
  samplesPerCycle: fc.double({ min: 20, max: 80, noNaN: true }),
  cycles: fc.double({ min: 10, max: 25, noNaN: true }),
  mainsHz: fc.constantFrom(50, 60),
  powerFactor: fc.double({ min: 0.5, max: 1, noNaN: true }),
  leading: fc.boolean(),
  skewDeg: fc.double({ min: -10, max: 10, noNaN: true }),
  phaseDeg: fc.double({ min: 0, max: 360, noNaN: true }),
  currentAmplitude: fc.double({ min: 200, max: 350, noNaN: true }),
  voltageAmplitude: fc.double({ min: 300, max: 420, noNaN: true }),
  currentHarmonics: fc.tuple(
    fc.double({ min: 0, max: 0.1, noNaN: true }),
    fc.double({ min: 0, max: 0.1, noNaN: true }),
  ),
  voltageHarmonics: fc.tuple(
    fc.double({ min: 0, max: 0.05, noNaN: true }),
    fc.double({ min: 0, max: 0.05, noNaN: true }),
  ),
  harmonicPhasesDeg: fc.tuple(
    fc.double({ min: 0, max: 360, noNaN: true }),
    fc.double({ min: 0, max: 360, noNaN: true }),
    fc.double({ min: 0, max: 360, noNaN: true }),
    fc.double({ min: 0, max: 360, noNaN: true }),
  ),
  noiseFraction: fc.double({ min: 0, max: 0.005, noNaN: true }),
  offsetShift: fc.tuple(fc.integer({ min: -40, max: 40 }), fc.integer({ min: -40, max: 40 })),
  seed: fc.integer(),
});

Deno.test("property: inside the envelope the error stays within the bound", () => {
  fc.assert(
    fc.property(envelopeArbitrary, (e) => {
      const w = envelopeWave(e);
      const s = synthesize(w);
      const r = reading(s.burst, calibrationFor(w));
      assert.ok(r.powerFactor >= -1 && r.powerFactor <= 1);
      assert.ok(!isNaN(r.powerW));
      close(r.currentA, s.expected.currentA, RMS_BOUND, "currentA");
      close(r.voltageV, s.expected.voltageV, RMS_BOUND, "voltageV");
      close(r.powerW, s.expected.powerW, POWER_BOUND, "powerW");
    }),
    { numRuns: 300 },
  );
});

Deno.test("a window ending between samples is integrated, not rounded", () => {
  for (const samplesPerCycle of [20.37, 21.9, 24.68, 33.3333]) {
    for (const phaseDeg of [0, 30, 60, 90, 120, 150]) {
      const w = base({
        sampleRateHz: samplesPerCycle * 50,
        count: Math.floor(samplesPerCycle * 5.5),
        current: clean(200, phaseDeg - 40),
        voltage: clean(400, phaseDeg),
      });
      const e = errorsOf(w);
      assert.ok(e.currentA < 1e-4 && e.voltageV < 1e-4 && e.powerW < 2e-4, JSON.stringify(e));
    }
  }
});

Deno.test("off whole cycles the error stays within the documented formula", () => {
  // The mains 1 % fast or slow (10 nominal cycles are 10.1 or 9.9), and a burst shorter
  // than one cycle (averaged whole).
  const cases = [
    { actualHz: 50.5, cycles: 10, windowCycles: 10.1 },
    { actualHz: 49.5, cycles: 10, windowCycles: 9.9 },
    { actualHz: 50, cycles: 0.75, windowCycles: 0.75 },
  ];
  for (const c of cases) {
    const k = c.windowCycles;
    const rmsLimit = 1 / (4 * Math.PI * k) + 1 / (Math.PI * Math.PI * k * k);
    const powerLimit = 1 / (2 * Math.PI * k) + 2 / (Math.PI * Math.PI * k * k);
    for (let phaseDeg = 0; phaseDeg < 180; phaseDeg += 15) {
      const w = base({
        mainsHz: c.actualHz,
        count: Math.round(c.cycles * 20),
        current: clean(200, phaseDeg - 60),
        voltage: clean(400, phaseDeg),
      });
      const s = synthesize(w);
      const r = reading(s.burst, Object.assign(calibrationFor(w), { mainsHz: 50 }));
      close(r.currentA, s.expected.currentA, rmsLimit, `currentA ${JSON.stringify(c)}`);
      close(r.voltageV, s.expected.voltageV, rmsLimit, `voltageV ${JSON.stringify(c)}`);
      const apparent = s.expected.currentA * s.expected.voltageV;
      const powerError = Math.abs(r.powerW - s.expected.powerW) / apparent;
      assert.ok(powerError <= powerLimit, `powerW ${JSON.stringify(c)}: ${powerError}`);
    }
  }
});

const CALIBRATION: PowerCalibration = {
  currentGainA: 0.01,
  voltageGainV: 0.8,
  phaseCorrectionDeg: 0,
  nominalVoltageV: 230,
  mainsHz: 50,
};

const failure = (burst: SampleBurst, calibration: PowerCalibration): string => {
  const result = measurePower(burst, calibration);
  assert.equal(result.ok, false);
  return result.ok ? "" : result.error;
};

Deno.test("bad bursts and calibrations give clear errors", () => {
  const good = synthesize(base({})).burst;
  const current = good.current;
  const voltage = good.voltage as Float64Array;
  assert.match(failure({ sampleRateHz: 1000, current: [] }, CALIBRATION), /no current samples/);
  assert.match(
    failure({ sampleRateHz: 1000, current, voltage: voltage.subarray(1) }, CALIBRATION),
    /voltage has 199 samples but current has 200/,
  );
  for (const rate of [0, -1000, NaN, Infinity]) {
    assert.match(failure({ sampleRateHz: rate, current }, CALIBRATION), /sampleRateHz must be > 0/);
  }
  for (const bad of [NaN, Infinity, -Infinity]) {
    for (const index of [0, 57, 199]) {
      const broken = Float64Array.from(current);
      broken[index] = bad;
      assert.match(
        failure({ sampleRateHz: 1000, current: broken, voltage }, CALIBRATION),
        new RegExp(`current sample ${index} is not a finite number`),
      );
      assert.match(
        failure({ sampleRateHz: 1000, current: broken }, CALIBRATION),
        new RegExp(`current sample ${index} is not a finite number`),
      );
      const brokenVoltage = Float64Array.from(voltage);
      brokenVoltage[index] = bad;
      const skewed = Object.assign({}, CALIBRATION, { phaseCorrectionDeg: 7 });
      assert.match(
        failure({ sampleRateHz: 1000, current, voltage: brokenVoltage }, skewed),
        new RegExp(`voltage sample ${index} is not a finite number`),
      );
    }
  }
  assert.match(
    failure({ sampleRateHz: 1000, current: [1e200, -1e200] }, CALIBRATION),
    /too large/,
  );
  const withField = (field: string, value: number) =>
    Object.assign({}, CALIBRATION, { [field]: value });
  assert.match(failure(good, withField("mainsHz", 0)), /mainsHz must be > 0/);
  assert.match(failure(good, withField("currentGainA", NaN)), /currentGainA must be finite/);
  assert.match(failure(good, withField("voltageGainV", Infinity)), /voltageGainV must be finite/);
  assert.match(failure(good, withField("nominalVoltageV", -1)), /nominalVoltageV must be >= 0/);
  assert.match(failure(good, withField("phaseCorrectionDeg", 181)), /within -180..180/);
  assert.match(
    failure(
      { sampleRateHz: 1000, current: [1, 2, 3], voltage: [1, 2, 3] },
      withField("phaseCorrectionDeg", 180),
    ),
    /3 samples are too few for the phase correction/,
  );
  assert.match(
    failure({ sampleRateHz: 90, current, voltage }, withField("phaseCorrectionDeg", 5)),
    /over 2 samples per mains cycle/,
  );
});

Deno.test("current only: power from the nominal voltage, flagged estimated", () => {
  const s = synthesize(base({}));
  const r = reading({ sampleRateHz: 1000, current: s.burst.current }, CALIBRATION);
  close(r.currentA, s.expected.currentA, 1e-12, "currentA");
  assert.equal(r.voltageV, 230);
  close(r.powerW, r.currentA * 230, 1e-12, "powerW");
  assert.equal(r.apparentVA, r.powerW);
  assert.equal(r.powerFactor, 1);
  assert.equal(r.estimated, true);
  const idle = reading(
    { sampleRateHz: 1000, current: new Float64Array(200).fill(512) },
    CALIBRATION,
  );
  assert.deepEqual(idle, {
    currentA: 0,
    voltageV: 230,
    powerW: 0,
    apparentVA: 0,
    powerFactor: 0,
    estimated: true,
  });
});

Deno.test("power flowing back reads negative, with a negative power factor", () => {
  const w = base({ current: clean(200, 180 + 20) });
  const s = synthesize(w);
  const r = reading(s.burst, calibrationFor(w));
  assert.ok(r.powerW < 0);
  close(r.powerW, s.expected.powerW, 1e-12, "powerW");
  close(r.powerFactor, -Math.cos((20 * Math.PI) / 180), 1e-12, "powerFactor");
});

Deno.test("mainsHz defaults to 50 and 60 Hz mains works", () => {
  const w50 = base({});
  const s50 = synthesize(w50);
  const withoutMains: PowerCalibration = Object.assign({}, calibrationFor(w50));
  delete withoutMains.mainsHz;
  assert.equal(DEFAULT_MAINS_HZ, 50);
  assert.deepEqual(reading(s50.burst, withoutMains), reading(s50.burst, calibrationFor(w50)));
  const w60 = base({ mainsHz: 60, sampleRateHz: 1200, count: 250, skewDeg: 5 });
  assertWithin(w60, 1e-9, 1e-9);
});

Deno.test("inputs are left untouched", () => {
  const s = synthesize(base({ skewDeg: 3 }));
  const current = Object.freeze(Array.prototype.slice.call(s.burst.current) as number[]);
  const voltage = Object.freeze(Array.prototype.slice.call(s.burst.voltage) as number[]);
  const burst = Object.freeze({ sampleRateHz: 1000, current, voltage });
  const calibration = Object.freeze(Object.assign({}, CALIBRATION, { phaseCorrectionDeg: 3 }));
  const before = JSON.stringify([burst, calibration]);
  assert.equal(measurePower(burst, calibration).ok, true);
  assert.equal(JSON.stringify([burst, calibration]), before);
});

Deno.test("calibrationFromSettings copies the plug's calibration fields", () => {
  const settings = Object.assign({}, DEFAULT_PLUG_SETTINGS, {
    currentGainA: 0.02,
    voltageGainV: 0.6,
    phaseCorrectionDeg: 1.5,
    nominalVoltageV: 120,
  });
  assert.deepEqual(calibrationFromSettings(settings, 60), {
    currentGainA: 0.02,
    voltageGainV: 0.6,
    phaseCorrectionDeg: 1.5,
    nominalVoltageV: 120,
    mainsHz: 60,
  });
});

const twoPassRms = (samples: number[], gain: number): number => {
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  const square = samples.reduce((a, b) => a + (b - mean) * (b - mean), 0) / samples.length;
  return Math.sqrt(square) * Math.abs(gain);
};

Deno.test("property: acRms matches a two-pass RMS, ignores offsets, scales with |gain|", () => {
  const sample = fc.double({ min: -1e4, max: 1e4, noNaN: true });
  fc.assert(
    fc.property(
      fc.array(sample, { minLength: 1, maxLength: 200 }),
      fc.double({ min: -10, max: 10, noNaN: true }),
      fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      (samples, gain, offset) => {
        const rms = acRms(samples, gain);
        assert.ok(rms >= 0);
        const tolerance = 1e-9 * (1 + twoPassRms(samples, 1)) * Math.abs(gain) + 1e-12;
        assert.ok(Math.abs(rms - twoPassRms(samples, gain)) <= tolerance);
        const shifted = acRms(samples.map((x) => x + offset), gain);
        assert.ok(Math.abs(shifted - rms) <= 1e-6 * (1 + Math.abs(offset)) * Math.abs(gain) + 1e-9);
        assert.ok(Math.abs(acRms(samples, -gain) - rms) <= 1e-12 * rms);
      },
    ),
  );
  assert.ok(isNaN(acRms([], 1)));
  assert.ok(isNaN(acRms([1, NaN, 2], 1)));
  assert.ok(isNaN(acRms([1, Infinity, 2], 1)));
});

Deno.test("property: any input gives a finite reading or an error, never a throw", () => {
  const anySample = fc.oneof(
    { weight: 200, arbitrary: fc.integer({ min: 0, max: 1023 }) },
    { weight: 1, arbitrary: fc.double() },
    { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 1e308, -1e308) },
  );
  const anyNumber = (min: number, max: number) =>
    fc.oneof({ weight: 4, arbitrary: fc.double({ min, max, noNaN: true }) }, {
      weight: 1,
      arbitrary: fc.double(),
    });
  let readings = 0;
  fc.assert(
    fc.property(
      fc.array(fc.tuple(anySample, anySample), { maxLength: 150 }),
      fc.constantFrom("pair", "current only", "uneven"),
      anyNumber(100, 1e5),
      fc.record({
        currentGainA: anyNumber(-1, 1),
        voltageGainV: anyNumber(-2, 2),
        phaseCorrectionDeg: anyNumber(-180, 180),
        nominalVoltageV: anyNumber(0, 400),
        mainsHz: fc.option(anyNumber(1, 1000), { nil: undefined }),
      }),
      (pairs, shape, sampleRateHz, calibration) => {
        const current = pairs.map((p) => p[0]);
        const voltage = pairs.map((p) => p[1]);
        if (shape === "uneven") voltage.push(512);
        const burst: SampleBurst = shape === "current only"
          ? { sampleRateHz, current }
          : { sampleRateHz, current, voltage };
        const result = measurePower(burst, calibration);
        if (!result.ok) {
          assert.ok(result.error.length > 0);
          return;
        }
        readings++;
        assert.notEqual(shape, "uneven");
        const r = result.value;
        const values = [r.currentA, r.voltageV, r.powerW, r.apparentVA, r.powerFactor];
        assert.ok(values.every((x) => isFinite(x)), JSON.stringify(r));
        assert.ok(r.powerFactor >= -1 && r.powerFactor <= 1);
        assert.ok(r.currentA >= 0 && r.voltageV >= 0 && r.apparentVA >= 0);
        const used = shape === "current only" ? current : current.concat(voltage);
        assert.ok(used.every((x) => isFinite(x)), "non-finite samples must be refused");
      },
    ),
    { numRuns: 1000 },
  );
  assert.ok(readings > 100, `only ${readings} of 1000 runs gave a reading`);
});
