import assert from "node:assert/strict";
import fc from "fast-check";
import { measurePower, type PowerCalibration } from "../lib/power.ts";
import type { SampleBurst } from "../lib/ports.ts";
import {
  type BurstOptions,
  constantLoad,
  DEFAULT_BURST_OPTIONS,
  fridge,
  heater,
  kettle,
  type LoadModel,
  type LoadState,
  motor,
  noLoad,
  parseLoadKnob,
  sampleBurst,
  standby,
  trueReading,
} from "./loads.ts";
import { createRandom } from "./random.ts";

const MINUTE_MS = 60000;

/** A minimal reference meter, independent of lib/power.ts, to check the waveforms. */
function referenceMeter(burst: SampleBurst, gainA: number, gainV: number) {
  const i = Array.from(burst.current);
  const v = Array.from(burst.voltage ?? []);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const mi = mean(i);
  const mv = mean(v);
  const currentA = Math.sqrt(mean(i.map((x) => (x - mi) ** 2))) * gainA;
  const voltageV = Math.sqrt(mean(v.map((x) => (x - mv) ** 2))) * gainV;
  const powerW = mean(i.map((x, n) => (x - mi) * ((v[n] ?? mv) - mv))) * gainA * gainV;
  return { currentA, voltageV, powerW };
}

const calibration: PowerCalibration = {
  currentGainA: DEFAULT_BURST_OPTIONS.currentGainA,
  voltageGainV: DEFAULT_BURST_OPTIONS.voltageGainV,
  phaseCorrectionDeg: 0,
  nominalVoltageV: 230,
  mainsHz: 50,
};

const relativeError = (measured: number, truth: number) => Math.abs(measured - truth) / truth;

Deno.test("burst: whole cycles of integer counts within the 10-bit range", () => {
  const b = sampleBurst(heater(), 1234, true, { cycles: 5, sampleRateHz: 2500 });
  assert.equal(b.sampleRateHz, 2500);
  assert.equal(b.current.length, 250);
  assert.equal(b.voltage?.length, 250);
  for (const c of [...Array.from(b.current), ...Array.from(b.voltage ?? [])]) {
    assert.ok(Number.isInteger(c) && c >= 0 && c <= 1023, `count ${c}`);
  }
});

Deno.test("burst: same moment gives the same burst, another moment other noise", () => {
  const a = sampleBurst(motor(), 5000, true);
  const b = sampleBurst(motor(), 5000, true);
  const c = sampleBurst(motor(), 5020, true); // one whole cycle later: same phase
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.current, c.current);
  const seeded = sampleBurst(motor(), 5000, true, { random: createRandom(9) });
  assert.deepEqual(seeded, sampleBurst(motor(), 5000, true, { random: createRandom(9) }));
});

Deno.test("burst: relay open leaves only noise around the offset on the current channel", () => {
  const b = sampleBurst(heater(), 0, false, { noiseCounts: 1 });
  const m = referenceMeter(b, 1, 1);
  assert.ok(m.currentA > 0.7 && m.currentA < 1.3, `noise rms ${m.currentA} counts`);
  assert.ok(Math.abs(m.voltageV * 0.8 - 230) < 2, "voltage still measured with the relay open");
  const mean = Array.from(b.current).reduce((a, x) => a + x, 0) / b.current.length;
  assert.ok(Math.abs(mean - 512) < 0.3);
  assert.deepEqual(trueReading(heater(), 0, false).powerW, 0);
});

Deno.test("burst: an oversized signal clips at 0 and full scale", () => {
  const b = sampleBurst(heater(3000), 0, true, { currentGainA: 0.02 });
  const counts = Array.from(b.current);
  assert.equal(Math.max(...counts), 1023);
  assert.equal(Math.min(...counts), 0);
});

Deno.test("burst: a current-only board has no voltage channel", () => {
  const b = sampleBurst(heater(), 0, true, { voltageChannel: false });
  assert.equal(b.voltage, undefined);
});

Deno.test("burst: reference meter agrees with the truth (heater, motor, 60 Hz 120 V)", () => {
  for (const load of [heater(), motor(), fridge()]) {
    const truth = trueReading(load, 5 * MINUTE_MS, true);
    const m = referenceMeter(sampleBurst(load, 5 * MINUTE_MS, true), 0.05, 0.8);
    assert.ok(relativeError(m.powerW, truth.powerW) < 0.01, `${load.name} ${m.powerW}`);
    assert.ok(relativeError(m.currentA, truth.currentA) < 0.01, `${load.name} ${m.currentA}`);
  }
  const mains = { voltageV: 120, frequencyHz: 60 };
  const b = sampleBurst(heater(1200), 0, true, { mains, voltageGainV: 0.5 });
  assert.equal(b.current.length, 333);
  const m = referenceMeter(b, 0.05, 0.5);
  assert.ok(relativeError(m.voltageV, 120) < 0.01);
  assert.ok(relativeError(m.powerW, 1200) < 0.01);
});

Deno.test("truth: power factor includes displacement and distortion", () => {
  const h = trueReading(heater(), 0, true);
  assert.equal(h.powerFactor, 1);
  assert.ok(Math.abs(h.currentA - 2000 / 230) < 1e-9);
  const m = trueReading(motor(), 0, true);
  assert.ok(Math.abs(m.powerFactor - 0.7 / Math.sqrt(1 + 0.04 ** 2 + 0.02 ** 2)) < 1e-9);
  assert.ok(Math.abs(m.apparentVA - m.voltageV * m.currentA) < 1e-9);
  const s = trueReading(standby(), 0, true);
  assert.ok(s.powerFactor < 0.5, `standby pf ${s.powerFactor}`);
  assert.deepEqual(trueReading(noLoad(), 0, true), {
    powerW: 0,
    powerFactor: 0,
    currentA: 0,
    voltageV: 230,
    apparentVA: 0,
  });
});

Deno.test("kettle: full power until it boils, then nothing", () => {
  const k = kettle({ powerW: 2200, boilMinutes: 4, startMs: MINUTE_MS });
  assert.equal(k.at(0).powerW, 0);
  assert.equal(k.at(MINUTE_MS).powerW, 2200);
  assert.equal(k.at(5 * MINUTE_MS - 1).powerW, 2200);
  assert.equal(k.at(5 * MINUTE_MS).powerW, 0);
});

Deno.test("fridge: about a third of the time on, with a surge at each start", () => {
  const f = fridge();
  let onSamples = 0;
  let starts = 0;
  let wasOn = false;
  const dayMs = 24 * 60 * MINUTE_MS;
  for (let t = 0; t < dayMs; t += 10000) {
    const on = f.at(t).powerW > 0;
    if (on) onSamples++;
    if (on && !wasOn) starts++;
    wasOn = on;
  }
  const duty = onSamples / (dayMs / 10000);
  assert.ok(duty > 0.28 && duty < 0.39, `duty ${duty}`);
  assert.equal(starts, 32); // one start every 45 minutes
  const surge = f.at(45 * MINUTE_MS + 20);
  assert.ok(surge.powerW > 400 && surge.displacementPf < 0.6);
  assert.equal(f.at(45 * MINUTE_MS + 5000).powerW, 120);
});

Deno.test("standby: under a watt, noisy but reproducible", () => {
  const a = standby({ seed: 3 });
  const b = standby({ seed: 3 });
  const powers = [0, 1000, 2000, 3000, 4000].map((t) => a.at(t).powerW);
  assert.deepEqual(powers, [0, 1000, 2000, 3000, 4000].map((t) => b.at(t).powerW));
  assert.ok(new Set(powers).size > 1);
  assert.ok(powers.every((p) => p > 0.3 && p < 1.3));
});

Deno.test("knob: W, W,pf, off, and clear errors", () => {
  const parsed = (text: string): LoadModel => {
    const r = parseLoadKnob(text);
    assert.ok(r.ok, text);
    return r.value;
  };
  assert.equal(parsed("1500").at(0).powerW, 1500);
  assert.deepEqual(parsed(" 600 , 0.7 ").at(0), {
    powerW: 600,
    displacementPf: 0.7,
    leading: false,
    harmonics: [],
  });
  assert.equal(parsed("100,-0.5").at(0).leading, true);
  assert.equal(parsed("OFF").at(0).powerW, 0);
  for (const bad of ["", "abc", "1,2,3", "-5", "100,0", "100,1.5", "9000", "1e3"]) {
    const r = parseLoadKnob(bad);
    assert.equal(r.ok, false, bad);
    if (!r.ok) assert.ok(r.error.length > 10);
  }
});

Deno.test("property: any constant load's burst measures close to its truth", () => {
  fc.assert(
    fc.property(
      fc.double({ min: 200, max: 3500, noNaN: true }),
      fc.double({ min: 0.3, max: 1, noNaN: true }),
      fc.integer({ min: 0, max: 1e9 }),
      (powerW, pf, nowMs) => {
        fc.pre((powerW / (230 * pf)) * Math.SQRT2 < 24); // within the ±25 A full scale
        const load = constantLoad(powerW, pf);
        const truth = trueReading(load, nowMs, true);
        const m = referenceMeter(sampleBurst(load, nowMs, true), 0.05, 0.8);
        return relativeError(m.powerW, truth.powerW) < 0.03 &&
          relativeError(m.currentA, truth.currentA) < 0.03;
      },
    ),
  );
});

Deno.test("property: counts always stay within the ADC range", () => {
  fc.assert(
    fc.property(
      fc.double({ min: 0, max: 4000, noNaN: true }),
      fc.double({ min: 0.05, max: 1, noNaN: true }),
      fc.integer({ min: 8, max: 12 }),
      fc.boolean(),
      (powerW, pf, bits, relayOn) => {
        const b = sampleBurst(constantLoad(powerW, pf), 0, relayOn, { bits, noiseCounts: 3 });
        const max = 2 ** bits - 1;
        return Array.from(b.current).every((c) => Number.isInteger(c) && c >= 0 && c <= max);
      },
    ),
  );
});

Deno.test("lib/power.ts measures the simulated bursts (heater 2 %, motor 5 %)", () => {
  const cases: [LoadModel, number][] = [[heater(), 0.02], [motor(), 0.05], [kettle(), 0.02]];
  for (const [load, tolerance] of cases) {
    for (const nowMs of [0, 7, 12345, 60001]) {
      const truth = trueReading(load, nowMs, true);
      const r = measurePower(sampleBurst(load, nowMs, true), calibration);
      assert.ok(r.ok);
      const e = relativeError(r.value.powerW, truth.powerW);
      assert.ok(e < tolerance, `${load.name} at ${nowMs}: ${r.value.powerW} vs ${truth.powerW}`);
      assert.ok(Math.abs(r.value.powerFactor - truth.powerFactor) < 0.02);
    }
  }
});

Deno.test("lib/power.ts: phase correction undoes a lagging current sensor", () => {
  const burst = sampleBurst(motor(), 0, true, { currentPhaseLagDeg: 6 });
  const truth = trueReading(motor(), 0, true);
  const raw = measurePower(burst, calibration);
  const fixed = measurePower(burst, { ...calibration, phaseCorrectionDeg: 6 });
  assert.ok(raw.ok && fixed.ok);
  assert.ok(relativeError(raw.value.powerW, truth.powerW) > 0.05, "an uncorrected lag shows");
  assert.ok(relativeError(fixed.value.powerW, truth.powerW) < 0.02);
});

Deno.test("lib/power.ts: relay open reads next to nothing", () => {
  const r = measurePower(sampleBurst(heater(), 0, false), calibration);
  assert.ok(r.ok);
  assert.ok(Math.abs(r.value.powerW) < 5, `${r.value.powerW} W`);
  assert.ok(r.value.currentA < 0.06);
});

/**
 * The burst without noise, sample by sample, straight from the waveform's definition (no
 * repeat, no cache), before rounding: `sampleBurst` with `noiseCounts: 0` should give these
 * values rounded and clipped. `phaseMs` is the time whose mains phase the burst starts at.
 */
function directBurst(
  load: LoadModel,
  nowMs: number,
  phaseMs: number,
  relayOn: boolean,
  options: Partial<BurstOptions>,
): { current: number[]; voltage: number[] } {
  const o: BurstOptions = { ...DEFAULT_BURST_OPTIONS, ...options };
  const count = Math.max(1, Math.round((o.cycles * o.sampleRateHz) / o.mains.frequencyHz));
  const s = load.at(nowMs);
  const truth = trueReading(load, nowMs, relayOn, o.mains);
  // The fundamental's amplitude from the true RMS current, without the harmonics' share.
  const distortion = s.harmonics.reduce((sum, h) => sum + h.fraction ** 2, 0);
  const peakA = (truth.currentA * Math.SQRT2) / Math.sqrt(1 + distortion);
  const angle = Math.acos(s.displacementPf) * (s.leading ? 1 : -1);
  const lag = (o.currentPhaseLagDeg * Math.PI) / 180;
  const current: number[] = [];
  const voltage: number[] = [];
  for (let n = 0; n < count; n++) {
    const theta = 2 * Math.PI * o.mains.frequencyHz * (phaseMs / 1000 + n / o.sampleRateHz);
    let amps = peakA * Math.sin(theta + angle - lag);
    for (const h of s.harmonics) {
      amps += peakA * h.fraction * Math.sin(h.order * (theta - lag) + (h.phaseDeg * Math.PI) / 180);
    }
    current.push(o.adcOffset + amps / o.currentGainA);
    voltage.push(o.adcOffset + (o.mains.voltageV * Math.SQRT2 * Math.sin(theta)) / o.voltageGainV);
  }
  return { current, voltage };
}

/** Checks counts against exact values: rounded and clipped, but free to tip at a near tie. */
function assertDigitised(actual: ArrayLike<number>, exact: number[], max: number, label: string) {
  assert.equal(actual.length, exact.length, label);
  for (let n = 0; n < exact.length; n++) {
    const x = exact[n]!;
    const expected = Math.min(max, Math.max(0, Math.round(x)));
    // e.g. 230 V * sqrt 2 * sin 45 deg / 0.8 V = 287.5 counts exactly: the last bit decides.
    const tie = Math.abs(x - Math.floor(x) - 0.5) < 1e-6;
    const ok = actual[n] === expected || (tie && Math.abs(actual[n]! - expected) === 1);
    assert.ok(ok, `${label}: sample ${n} is ${actual[n]}, expected ${expected} (${x})`);
  }
}

Deno.test("burst: one repeated period matches the waveform computed sample by sample", () => {
  const epochMs = Date.UTC(2026, 0, 15, 8, 0, 0, 7);
  const cases: [string, LoadModel, number, number, boolean, Partial<BurstOptions>][] = [
    ["heater", heater(), 1234, 1234, true, {}],
    ["motor, sensor lag", motor(), 7.25, 7.25, true, { currentPhaseLagDeg: 6 }],
    ["standby", standby(), 3000, 3000, true, { currentGainA: 0.001 }],
    ["fridge surge", fridge(), 100, 100, true, {}],
    ["relay open", heater(), 40, 40, false, {}],
    ["60 Hz 120 V", motor(800, 0.8), 500, 500, true, {
      mains: { voltageV: 120, frequencyHz: 60 },
      voltageGainV: 0.5,
    }],
    ["2048 Hz, 25 cycles", motor(), 31, 31, true, { sampleRateHz: 2048, cycles: 25 }],
    ["12 bits, clipped", heater(3000), 2, 2, true, { currentGainA: 0.005, bits: 12 }],
    // An epoch-sized time starts at the same phase as its milliseconds past a 20 ms cycle.
    ["epoch time", motor(), epochMs, epochMs % 20, true, {}],
  ];
  for (const [label, load, nowMs, phaseMs, relayOn, options] of cases) {
    const burst = sampleBurst(load, nowMs, relayOn, { ...options, noiseCounts: 0 });
    const direct = directBurst(load, nowMs, phaseMs, relayOn, options);
    const max = 2 ** (options.bits ?? 10) - 1;
    assertDigitised(burst.current, direct.current, max, `${label}, current`);
    assertDigitised(burst.voltage ?? [], direct.voltage, max, `${label}, voltage`);
  }
});

Deno.test("burst: reused waveforms follow every change of load, relay and options", () => {
  // One load object whose state is changed in place (the worst case for the reuse), against
  // a fresh load with a copy of the state for every burst (no reuse possible). Each step
  // changes one thing, so "only this changed" comes up for every field.
  const harmonic = fc.record({
    order: fc.constantFrom(3, 5),
    fraction: fc.constantFrom(0.1, 0.3),
    phaseDeg: fc.constantFrom(0, 90),
  });
  const edit = fc.oneof(
    fc.record({ powerW: fc.constantFrom(0, 150, 1000, 1000.5) }),
    fc.record({ displacementPf: fc.constantFrom(1, 0.7) }),
    fc.record({ leading: fc.boolean() }),
    fc.record({ harmonics: fc.array(harmonic, { maxLength: 2 }) }),
    fc.record({ nowMs: fc.constantFrom(0, 5, 20, 1000.5, 3e12) }),
    fc.record({ relayOn: fc.boolean() }),
    fc.record({ currentGainA: fc.constantFrom(0.05, 0.02) }),
    fc.record({ voltageGainV: fc.constantFrom(0.8, 0.5) }),
    fc.record({ currentPhaseLagDeg: fc.constantFrom(0, 3) }),
    fc.record({ adcOffset: fc.constantFrom(512, 500) }),
    fc.record({ voltageChannel: fc.boolean() }),
    fc.record({ sampleRateHz: fc.constantFrom(2000, 2400) }),
    fc.record({
      mains: fc.constantFrom(
        { voltageV: 230, frequencyHz: 50 },
        { voltageV: 240, frequencyHz: 50 },
        { voltageV: 120, frequencyHz: 60 },
      ),
    }),
  );
  const live: LoadState = { powerW: 1000, displacementPf: 1, leading: false, harmonics: [] };
  const shared: LoadModel = { name: "live", at: () => live };
  fc.assert(
    fc.property(fc.array(edit, { minLength: 1, maxLength: 20 }), (edits) => {
      let c = { ...structuredClone(live), nowMs: 0, relayOn: true, ...DEFAULT_BURST_OPTIONS };
      for (const e of edits) {
        c = { ...c, ...e };
        live.powerW = c.powerW;
        live.displacementPf = c.displacementPf;
        live.leading = c.leading;
        const harmonics = live.harmonics as { order: number; fraction: number; phaseDeg: number }[];
        harmonics.length = 0;
        for (const h of c.harmonics) harmonics.push({ ...h });
        const { powerW, displacementPf, leading, harmonics: drawn, nowMs, relayOn, ...options } = c;
        const fresh: LoadModel = {
          name: "fresh",
          at: () => ({ powerW, displacementPf, leading, harmonics: structuredClone(drawn) }),
        };
        assert.deepEqual(
          sampleBurst(shared, nowMs, relayOn, options),
          sampleBurst(fresh, nowMs, relayOn, options),
        );
      }
    }),
  );
});

Deno.test("burst: each second's noise is new, the readings vary and stay accurate", () => {
  const startMs = Date.UTC(2026, 0, 15);
  for (const load of [heater(1000), motor()]) {
    const truth = trueReading(load, startMs, true);
    const watts = new Set<number>();
    for (let s = 0; s < 60; s++) {
      const r = measurePower(sampleBurst(load, startMs + s * 1000, true), calibration);
      assert.ok(r.ok);
      assert.ok(relativeError(r.value.powerW, truth.powerW) < 0.01, `${r.value.powerW} W`);
      watts.add(r.value.powerW);
    }
    assert.ok(watts.size > 50, `${load.name}: only ${watts.size} different readings`);
  }
  const seeded = (seed: number) => sampleBurst(motor(), 5000, true, { random: createRandom(seed) });
  assert.notDeepEqual(seeded(1).current, seeded(2).current);
});

Deno.test("burst: the noise has the set level, and is white and independent per channel", () => {
  // No signal on either channel (relay open, 0 V mains): what is left is the noise.
  const options = { noiseCounts: 2, mains: { voltageV: 0, frequencyHz: 50 } };
  const i: number[] = [];
  const v: number[] = [];
  for (let s = 0; s < 100; s++) {
    const b = sampleBurst(heater(), Date.UTC(2026, 0, 15) + s * 1000, false, options);
    i.push(...Array.from(b.current, (c) => c - 512));
    v.push(...Array.from(b.voltage ?? [], (c) => c - 512));
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const dot = (a: number[], b: number[]) => mean(a.map((x, n) => x * b[n]!));
  // Rounding to whole counts adds 1/12 count² to the 4 count² of the noise.
  for (const channel of [i, v]) {
    assert.ok(Math.abs(mean(channel)) < 0.05, `mean ${mean(channel)}`);
    assert.ok(Math.abs(Math.sqrt(dot(channel, channel)) - 2.02) < 0.05);
  }
  const variance = dot(i, i);
  assert.ok(Math.abs(dot(i, v) / variance) < 0.02, "current and voltage noise independent");
  const next = i.slice(1);
  assert.ok(Math.abs(dot(i.slice(0, -1), next) / variance) < 0.02, "successive samples");
  const nextCycle = i.slice(40);
  assert.ok(Math.abs(dot(i.slice(0, -40), nextCycle) / variance) < 0.02, "a cycle apart");
});
