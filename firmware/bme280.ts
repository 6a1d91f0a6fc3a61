/**
 * BME280 arithmetic, pure: the factory calibration read from the chip's registers, the
 * raw readings of one burst read, and the datasheet's floating-point compensation
 * (Bosch BME280 datasheet, section 8.1) that turns them into °C, %RH and Pa.
 * `bme280_i2c.ts` does the bus work.
 *
 * @module
 */

/** The chip's trimming parameters (`dig_*` in the datasheet). */
export interface Bme280Calibration {
  /** Temperature: dig_T1..dig_T3. */
  t: number[];
  /** Pressure: dig_P1..dig_P9. */
  p: number[];
  /** Humidity: dig_H1..dig_H6. */
  h: number[];
}

/** One raw reading (20-bit temperature and pressure, 16-bit humidity). */
export interface Bme280Raw {
  /** adc_T. */
  temperature: number;
  /** adc_P. */
  pressure: number;
  /** adc_H. */
  humidity: number;
}

/** A compensated reading. */
export interface Bme280Reading {
  /** Temperature in °C. */
  tempC: number;
  /** Relative humidity in %, 0..100. */
  humidityPct: number;
  /** Pressure in pascals; 0 when it cannot be computed. */
  pressurePa: number;
}

/** Value of the chip id register 0xD0 on a BME280. */
export const BME280_CHIP_ID = 0x60;

const u16 = (b: ArrayLike<number>, at: number): number =>
  (b[at] as number) | ((b[at + 1] as number) << 8);
const s16 = (b: ArrayLike<number>, at: number): number => {
  const value = u16(b, at);
  return value >= 0x8000 ? value - 0x10000 : value;
};
const s8 = (value: number): number => (value >= 0x80 ? value - 0x100 : value);

/**
 * Decodes the calibration registers.
 *
 * @param low The 26 bytes from 0x88 to 0xA1 (dig_T*, dig_P*, then dig_H1 at the end).
 * @param high The 7 bytes from 0xE1 to 0xE7 (dig_H2..dig_H6).
 * @returns The calibration, or `null` when a block is too short.
 * @example
 * ```ts
 * import { parseCalibration } from "./bme280.ts";
 * import assert from "node:assert/strict";
 * const low = new Uint8Array(26);
 * low[0] = 0x70; low[1] = 0x6b; // dig_T1 = 27504
 * const high = new Uint8Array([0x6a, 0x01, 0x00, 0x13, 0x29, 0x03, 0x1e]);
 * const calibration = parseCalibration(low, high);
 * assert.equal(calibration?.t[0], 27504);
 * assert.deepEqual(calibration?.h.slice(1), [362, 0, 313, 50, 30]);
 * ```
 */
export function parseCalibration(
  low: ArrayLike<number>,
  high: ArrayLike<number>,
): Bme280Calibration | null {
  if (low.length < 26 || high.length < 7) return null;
  const p = [u16(low, 6)];
  for (let at = 8; at <= 22; at += 2) p.push(s16(low, at));
  const e4 = high[3] as number;
  const e5 = high[4] as number;
  const e6 = high[5] as number;
  return {
    t: [u16(low, 0), s16(low, 2), s16(low, 4)],
    p: p,
    // dig_H4 and dig_H5 are signed 12-bit values sharing register 0xE5.
    h: [
      low[25] as number,
      s16(high, 0),
      high[2] as number,
      s8(e4) * 16 + (e5 & 0x0f),
      s8(e6) * 16 + (e5 >> 4),
      s8(high[6] as number),
    ],
  };
}

/**
 * Decodes the 8 data registers 0xF7..0xFE of one burst read.
 *
 * @param bytes press_msb, press_lsb, press_xlsb, temp_msb, temp_lsb, temp_xlsb, hum_msb, hum_lsb.
 * @returns The raw values, or `null` when too short.
 * @example
 * ```ts
 * import { parseRaw } from "./bme280.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseRaw([0x65, 0x5a, 0xc0, 0x7e, 0xed, 0x00, 0x6f, 0x8b]), {
 *   pressure: 415148, temperature: 519888, humidity: 28555,
 * });
 * ```
 */
export function parseRaw(bytes: ArrayLike<number>): Bme280Raw | null {
  if (bytes.length < 8) return null;
  const b = (at: number): number => bytes[at] as number;
  return {
    pressure: b(0) * 4096 + b(1) * 16 + (b(2) >> 4),
    temperature: b(3) * 4096 + b(4) * 16 + (b(5) >> 4),
    humidity: b(6) * 256 + b(7),
  };
}

/**
 * Compensates a raw reading with the datasheet's double-precision formulas.
 *
 * @param raw The raw reading.
 * @param c The chip's calibration.
 * @returns Temperature, humidity (clamped to 0..100) and pressure.
 * @example
 * ```ts
 * import { compensate } from "./bme280.ts";
 * import assert from "node:assert/strict";
 * // The worked example of Bosch's BMP280 datasheet (same temperature/pressure formulas).
 * const c = {
 *   t: [27504, 26435, -1000],
 *   p: [36477, -10685, 3024, 2855, 140, -7, 15500, -14600, 6000],
 *   h: [75, 362, 0, 313, 50, 30],
 * };
 * const reading = compensate({ temperature: 519888, pressure: 415148, humidity: 28555 }, c);
 * assert.equal(reading.tempC.toFixed(2), "25.08");
 * assert.equal(reading.pressurePa.toFixed(1), "100653.3");
 * ```
 */
export function compensate(raw: Bme280Raw, c: Bme280Calibration): Bme280Reading {
  const t = c.t;
  const p = c.p;
  const h = c.h;
  const at = (list: number[], index: number): number => list[index] as number;
  const dt = raw.temperature / 131072 - at(t, 0) / 8192;
  const tVar1 = (raw.temperature / 16384 - at(t, 0) / 1024) * at(t, 1);
  const tFine = tVar1 + dt * dt * at(t, 2);

  let var1 = tFine / 2 - 64000;
  let var2 = (var1 * var1 * at(p, 5)) / 32768 + var1 * at(p, 4) * 2;
  var2 = var2 / 4 + at(p, 3) * 65536;
  var1 = ((at(p, 2) * var1 * var1) / 524288 + at(p, 1) * var1) / 524288;
  var1 = (1 + var1 / 32768) * at(p, 0);
  let pressurePa = 0;
  if (var1 !== 0) {
    pressurePa = ((1048576 - raw.pressure - var2 / 4096) * 6250) / var1;
    const p9 = (at(p, 8) * pressurePa * pressurePa) / 2147483648;
    pressurePa += (p9 + (pressurePa * at(p, 7)) / 32768 + at(p, 6)) / 16;
  }

  const x = tFine - 76800;
  let humidity = (raw.humidity - (at(h, 3) * 64 + (at(h, 4) / 16384) * x)) *
    ((at(h, 1) / 65536) * (1 + (at(h, 5) / 67108864) * x * (1 + (at(h, 2) / 67108864) * x)));
  humidity = humidity * (1 - (at(h, 0) * humidity) / 524288);
  return {
    tempC: tFine / 5120,
    humidityPct: Math.min(100, Math.max(0, humidity)),
    pressurePa: pressurePa,
  };
}
