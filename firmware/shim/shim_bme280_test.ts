import assert from "node:assert/strict";
import fc from "fast-check";
import { createBme280 } from "../bme280_i2c.ts";
import { compensate } from "../bme280.ts";
import type { ClimateReading } from "../../lib/ports.ts";
import {
  type Air,
  Bme280Emulator,
  bme280RawFor,
  EXAMPLE_CALIBRATION,
  quantizeBme280,
} from "./shim_bme280.ts";
import { ShimI2C } from "./shim_hardware.ts";

Deno.test("inverting the compensation finds the air back within the chip's resolution", () => {
  fc.assert(
    fc.property(
      fc.double({ min: -39, max: 84, noNaN: true }),
      fc.double({ min: 0, max: 100, noNaN: true }),
      (tempC, humidityPct) => {
        const raw = bme280RawFor({ tempC, humidityPct }, EXAMPLE_CALIBRATION);
        assert.ok(Number.isInteger(raw.temperature) && Number.isInteger(raw.humidity));
        assert.notEqual(raw.temperature, 0x80000, "never the skipped-conversion value");
        const back = compensate(raw, EXAMPLE_CALIBRATION);
        assert.ok(Math.abs(back.tempC - tempC) < 0.001, `${back.tempC} for ${tempC}`);
        assert.ok(
          Math.abs(back.humidityPct - humidityPct) < 0.01,
          `${back.humidityPct} for ${humidityPct}`,
        );
        assert.deepEqual(quantizeBme280({ tempC, humidityPct }), {
          tempC: back.tempC,
          humidityPct: back.humidityPct,
        });
      },
    ),
  );
});

/** The firmware's own driver on the emulated chip, with a hand-run wait. */
function driverOn(chip: Bme280Emulator) {
  const bus = new ShimI2C({ 0x76: chip });
  bus.setup({});
  const waits: Array<() => void> = [];
  const sensor = createBme280(bus, 0x76, (run) => waits.push(run), () => 42);
  return (): ClimateReading | null | "pending" => {
    let result: ClimateReading | null | "pending" = "pending";
    sensor.read((reading) => (result = reading));
    while (waits.length > 0) (waits.shift() as () => void)();
    return result;
  };
}

Deno.test("the firmware's BME280 driver reads the emulated chip; absent and stuck chips behave", () => {
  let air: Air | null = { tempC: 21.3, humidityPct: 47.5 };
  const chip = new Bme280Emulator(() => air);
  const read = driverOn(chip);
  const first = read();
  assert.ok(first !== null && first !== "pending");
  assert.equal(first.atMs, 42);
  assert.ok(Math.abs(first.tempC - 21.3) < 0.001 && Math.abs(first.humidityPct - 47.5) < 0.01);
  assert.deepEqual(chip.calibration(), EXAMPLE_CALIBRATION);
  // Stuck: a conversion brings nothing new, the registers keep the last values.
  air = null;
  assert.deepEqual(read(), first);
  // Absent: no acknowledge, the driver reports no reading.
  chip.present = false;
  assert.equal(read(), null);
  chip.present = true;
  air = { tempC: 30, humidityPct: 80 };
  const again = read();
  assert.ok(again !== null && again !== "pending" && Math.abs(again.humidityPct - 80) < 0.01);
  assert.equal(chip.conversions, 3);
});

Deno.test("a chip that never converted reads as no reading (reset values)", () => {
  const read = driverOn(new Bme280Emulator(() => null));
  assert.equal(read(), null);
});
