import assert from "node:assert/strict";
import fc from "fast-check";
import { measurePower, type PowerCalibration } from "../lib/power.ts";
import type { SampleBurst } from "../lib/ports.ts";
import {
  constantLoad,
  DEFAULT_BURST_OPTIONS,
  fridge,
  heater,
  kettle,
  type LoadModel,
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
