/**
 * Our own BME280 driver over I2C (Espruino's module is not bundled): checks the chip id,
 * reads the calibration once, then takes each reading in forced mode (one conversion,
 * x1 oversampling, the chip sleeps in between) and compensates it with `bme280.ts`.
 * Any bus error or implausible value gives `null`, and the next read starts over with
 * the chip id, so a sensor plugged back in is picked up again.
 *
 * @module
 */

import type { ClimateReading } from "../lib/ports.ts";
import { BME280_CHIP_ID, compensate, parseCalibration, parseRaw } from "./bme280.ts";
import type { Bme280Calibration } from "./bme280.ts";
import type { EspruinoI2C } from "./espruino_types.ts";

/** ctrl_meas: temperature and pressure oversampling x1, forced mode. */
const FORCED_X1 = 0x25;
/** A forced conversion at x1 oversampling takes at most 9.3 ms (datasheet 9.1). */
const CONVERSION_MS = 12;
/** adc_T of a skipped or failed conversion. */
const SKIPPED_20BIT = 0x80000;

/** A climate sensor read asynchronously. */
export interface ClimateSource {
  /** Starts a reading; `done` gets it, or `null` when the sensor does not answer. */
  read(done: (reading: ClimateReading | null) => void): void;
}

/**
 * Makes a BME280 driver on an I2C bus that is already set up.
 *
 * @param i2c The bus (`I2C1` after `setup`), or a fake.
 * @param address 0x76 or 0x77.
 * @param wait Runs a callback later (`setTimeout`).
 * @param nowMs The clock, for the reading's time.
 * @returns The sensor.
 * @example
 * ```ts
 * import { createBme280 } from "./bme280_i2c.ts";
 * import assert from "node:assert/strict";
 * const deadBus = {
 *   setup() {},
 *   writeTo() { throw new Error("I2C NACK"); },
 *   readFrom: () => new Uint8Array(0),
 * };
 * const sensor = createBme280(deadBus, 0x76, (run) => run(), () => 0);
 * let result: unknown = "pending";
 * sensor.read((reading) => (result = reading));
 * assert.equal(result, null);
 * ```
 */
export function createBme280(
  i2c: EspruinoI2C,
  address: number,
  wait: (callback: () => void, ms: number) => unknown,
  nowMs: () => number,
): ClimateSource {
  let calibration: Bme280Calibration | null = null;
  const readRegisters = (register: number, count: number): Uint8Array => {
    i2c.writeTo(address, register);
    return i2c.readFrom(address, count);
  };
  const setUp = (): Bme280Calibration | null => {
    if (readRegisters(0xd0, 1)[0] !== BME280_CHIP_ID) return null;
    const found = parseCalibration(readRegisters(0x88, 26), readRegisters(0xe1, 7));
    // ctrl_hum takes effect at the next ctrl_meas write; no IIR filter, as each reading stands alone.
    i2c.writeTo(address, [0xf2, 0x01]);
    i2c.writeTo(address, [0xf5, 0x00]);
    return found;
  };
  return {
    read: (done) => {
      try {
        if (calibration === null) calibration = setUp();
        if (calibration === null) return done(null);
        i2c.writeTo(address, [0xf4, FORCED_X1]);
      } catch (_error) {
        calibration = null;
        return done(null);
      }
      wait(() => {
        let reading: ClimateReading | null = null;
        try {
          const raw = parseRaw(readRegisters(0xf7, 8));
          if (raw !== null && calibration !== null && raw.temperature !== SKIPPED_20BIT) {
            const value = compensate(raw, calibration);
            if (value.tempC > -40 && value.tempC < 85) {
              reading = { humidityPct: value.humidityPct, tempC: value.tempC, atMs: nowMs() };
            }
          }
        } catch (_error) {
          // A bus error: the reading is missing.
        }
        if (reading === null) calibration = null;
        done(reading);
      }, CONVERSION_MS);
    },
  };
}
