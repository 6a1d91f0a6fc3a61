import assert from "node:assert/strict";
import fc from "fast-check";
import { measurePower } from "../lib/power.ts";
import type { SampleBurst } from "../lib/ports.ts";
import { ADC_FULL_SCALE, createBurstSampler, sliceSizes, toCounts } from "./adc_burst.ts";

Deno.test("slices cover the burst exactly and none is longer than allowed", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2000 }),
      fc.integer({ min: 1, max: 300 }),
      (samples, slice) => {
        const sizes = sliceSizes({ samples, sliceSamples: slice });
        assert.equal(sizes.reduce((a, b) => a + b, 0), samples);
        assert.ok(sizes.every((size) => size >= 1 && size <= slice));
        assert.equal(sizes.length, Math.ceil(samples / slice));
      },
    ),
  );
});

Deno.test("counts are whole and clamped to the 10-bit range", () => {
  fc.assert(
    fc.property(fc.double({ noNaN: false }), (value) => {
      const counts = toCounts(value);
      assert.ok(Number.isInteger(counts) && counts >= 0 && counts <= ADC_FULL_SCALE);
    }),
  );
});

/** A clock advanced by the reads (the ADC's conversion time) and a queue of deferred work. */
const harness = (secondsPerRead: number, signal: (t: number) => number) => {
  let t = 0;
  const queue: Array<() => void> = [];
  const read = () => {
    const value = signal(t);
    t += secondsPerRead;
    return value;
  };
  return {
    read,
    clock: () => t,
    defer: (run: () => void) => queue.push(run),
    queue,
    yieldFor: (s: number) => (t += s),
  };
};

Deno.test("a burst yields between slices, never reads more than a slice at once", () => {
  const h = harness(0.0005, () => 0.5);
  let reads = 0;
  const sampler = createBurstSampler(() => (reads++, h.read()), h.clock, h.defer, {
    samples: 200,
    sliceSamples: 50,
  });
  let burst: SampleBurst | null = null;
  assert.equal(sampler.start((b) => (burst = b)), true);
  assert.equal(reads, 0); // nothing read synchronously
  const perSlice: number[] = [];
  while (h.queue.length > 0) {
    const before = reads;
    h.queue.shift()!();
    perSlice.push(reads - before);
    h.yieldFor(0.02); // Wi-Fi work between slices does not count as sampling time
  }
  assert.deepEqual(perSlice, [50, 50, 50, 50]);
  assert.ok(burst !== null);
  assert.equal(Math.round((burst as SampleBurst).sampleRateHz), 2000);
  assert.equal(sampler.start(() => {}), true); // free again
});

Deno.test("the measured burst gives the RMS current of a sine through lib/power.ts", () => {
  // 2 A RMS at 50 Hz on a 0.01 A/count channel: 282.8 counts peak around mid-scale.
  const peak = (2 * Math.SQRT2) / 0.01 / ADC_FULL_SCALE;
  const h = harness(1 / 2000, (t) => 0.5 + peak * Math.sin(2 * Math.PI * 50 * t));
  const sampler = createBurstSampler(h.read, h.clock, h.defer, { samples: 400, sliceSamples: 400 });
  let burst: SampleBurst | null = null;
  sampler.start((b) => (burst = b));
  while (h.queue.length > 0) h.queue.shift()!();
  assert.ok(burst !== null);
  const reading = measurePower(burst, {
    currentGainA: 0.01,
    voltageGainV: 1,
    phaseCorrectionDeg: 0,
    nominalVoltageV: 230,
    mainsHz: 50,
  });
  assert.ok(reading.ok);
  assert.ok(Math.abs(reading.value.currentA - 2) < 0.01, String(reading.value.currentA));
  assert.ok(Math.abs(reading.value.powerW - 460) < 3);
});
