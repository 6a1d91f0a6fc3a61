/**
 * An emulated BME280 on the shim's I2C bus, for the fan firmware's own driver
 * (`firmware/bme280_i2c.ts`): the chip id register, factory calibration (the datasheet's
 * example chip), `ctrl_hum`/`ctrl_meas`/`config`, and the data registers, which a
 * forced-mode write fills from the simulator's air.
 *
 * The raw values are found by inverting the datasheet's compensation (both its
 * temperature and humidity formulas are quadratics in the raw value), then rounded to
 * whole counts as the chip would. So the firmware reads the simulator's climate back to
 * within the chip's resolution (about 0.0003 °C and 0.006 %RH);
 * {@linkcode quantizeBme280} gives exactly what it will read.
 *
 * Registers start at the chip's reset values (data `0x80000`: no conversion yet), and a
 * forced-mode write with no new air (`measure` returns `null`) leaves them as they were:
 * a stuck sensor. An absent chip ({@linkcode Bme280Emulator.present} off) does not
 * acknowledge its address.
 *
 * @module
 */

import {
  BME280_CHIP_ID,
  type Bme280Calibration,
  type Bme280Raw,
  compensate,
  parseCalibration,
} from "../bme280.ts";
import type { I2cDevice } from "./shim_hardware.ts";

/** Temperature and humidity of the air the chip sits in. */
export interface Air {
  /** °C. */
  tempC: number;
  /** %RH. */
  humidityPct: number;
}

/** The example chip of Bosch's datasheets. */
export const EXAMPLE_CALIBRATION: Bme280Calibration = {
  t: [27504, 26435, -1000],
  p: [36477, -10685, 3024, 2855, 140, -7, 15500, -14600, 6000],
  h: [75, 362, 0, 313, 50, 30],
};

/** Raw pressure reported (about 1006 hPa with the example chip): the firmware ignores it. */
const RAW_PRESSURE = 415148;
/** adc_T and adc_P of a skipped conversion (the reset value). */
const SKIPPED_20BIT = 0x80000;

const clamp = (value: number, low: number, high: number): number =>
  Math.min(high, Math.max(low, value));

/**
 * The raw reading the chip would produce in some air (see the module doc).
 *
 * @param air Temperature and humidity.
 * @param calibration The chip's calibration.
 * @returns Whole raw counts.
 * @example
 * ```ts
 * import { bme280RawFor, EXAMPLE_CALIBRATION } from "./shim_bme280.ts";
 * import { compensate } from "../bme280.ts";
 * import assert from "node:assert/strict";
 * const raw = bme280RawFor({ tempC: 22.5, humidityPct: 61.2 }, EXAMPLE_CALIBRATION);
 * const back = compensate(raw, EXAMPLE_CALIBRATION);
 * assert.ok(Math.abs(back.tempC - 22.5) < 0.001);
 * assert.ok(Math.abs(back.humidityPct - 61.2) < 0.01);
 * ```
 */
export function bme280RawFor(air: Air, calibration: Bme280Calibration): Bme280Raw {
  const t1 = calibration.t[0] as number;
  const t2 = calibration.t[1] as number;
  const t3 = calibration.t[2] as number;
  // tFine = 8*T2*dt + T3*dt^2 with dt = raw/131072 - T1/8192; the stable root.
  const tFine = clamp(air.tempC, -40, 85) * 5120;
  const root = Math.sqrt(Math.max(0, 64 * t2 * t2 + 4 * t3 * tFine));
  const dt = (2 * tFine) / (8 * t2 + root);
  let temperature = clamp(Math.round((dt + t1 / 8192) * 131072), 0, 0xfffff);
  if (temperature === SKIPPED_20BIT) temperature += 1;
  // Humidity uses the tFine of the rounded temperature, as the chip's reader will.
  const quantized = compensate(
    { temperature, pressure: RAW_PRESSURE, humidity: 0 },
    calibration,
  );
  const h = calibration.h;
  const at = (index: number): number => h[index] as number;
  const x = quantized.tempC * 5120 - 76800;
  const offset = at(3) * 64 + (at(4) / 16384) * x;
  const scale = (at(1) / 65536) * (1 + (at(5) / 67108864) * x * (1 + (at(2) / 67108864) * x));
  // humidity = v * (1 - H1 * v / 524288) with v = (raw - offset) * scale.
  const k = at(0) / 524288;
  const target = clamp(air.humidityPct, 0, 100);
  const v = (2 * target) / (1 + Math.sqrt(Math.max(0, 1 - 4 * k * target)));
  const humidity = clamp(Math.round(v / scale + offset), 0, 0xffff);
  return { temperature, pressure: RAW_PRESSURE, humidity };
}

/**
 * What the firmware reads from the emulated chip in some air.
 *
 * @param air Temperature and humidity.
 * @param calibration The chip's calibration (default {@linkcode EXAMPLE_CALIBRATION}).
 * @returns The compensated reading of the rounded raw values.
 * @example
 * ```ts
 * import { quantizeBme280 } from "./shim_bme280.ts";
 * import assert from "node:assert/strict";
 * const read = quantizeBme280({ tempC: 21, humidityPct: 55 });
 * assert.ok(Math.abs(read.humidityPct - 55) < 0.01);
 * ```
 */
export function quantizeBme280(
  air: Air,
  calibration: Bme280Calibration = EXAMPLE_CALIBRATION,
): Air {
  const value = compensate(bme280RawFor(air, calibration), calibration);
  return { tempC: value.tempC, humidityPct: value.humidityPct };
}

const encodeCalibration = (c: Bme280Calibration): { low: number[]; high: number[] } => {
  const low: number[] = [];
  const word = (value: number): void => {
    const unsigned = value < 0 ? value + 0x10000 : value;
    low.push(unsigned & 255, unsigned >> 8);
  };
  for (const value of c.t) word(value);
  for (const value of c.p) word(value);
  low.push(0, c.h[0] as number);
  const h2 = c.h[1] as number;
  const h4 = c.h[3] as number;
  const h5 = c.h[4] as number;
  const byte = (value: number): number => (value < 0 ? value + 256 : value) & 255;
  const high = [
    byte(h2),
    byte(h2 >> 8),
    c.h[2] as number,
    byte(h4 >> 4),
    (h4 & 0x0f) | ((h5 & 0x0f) << 4),
    byte(h5 >> 4),
    byte(c.h[5] as number),
  ];
  return { low, high };
};

/**
 * The emulated chip.
 *
 * @example
 * ```ts
 * import { Bme280Emulator } from "./shim_bme280.ts";
 * import assert from "node:assert/strict";
 * const chip = new Bme280Emulator(() => ({ tempC: 20, humidityPct: 50 }));
 * chip.write(new Uint8Array([0xd0]));
 * assert.equal(chip.read(1)[0], 0x60);
 * ```
 */
export class Bme280Emulator implements I2cDevice {
  /** Whether the chip is on the bus (off: it does not acknowledge, `I2C got NACK`). */
  present = true;
  /** Forced conversions taken. */
  conversions = 0;
  #measure: () => Air | null;
  #calibration: Bme280Calibration;
  #registers = new Uint8Array(256);
  #pointer = 0;

  /**
   * Makes the chip.
   *
   * @param measure The air at a conversion, or `null` to leave the last values (stuck).
   * @param calibration Its calibration (default {@linkcode EXAMPLE_CALIBRATION}).
   */
  constructor(measure: () => Air | null, calibration: Bme280Calibration = EXAMPLE_CALIBRATION) {
    this.#measure = measure;
    this.#calibration = calibration;
    this.#reset();
  }

  /**
   * The calibration its registers hold, decoded as the firmware decodes it.
   *
   * @returns The calibration.
   */
  calibration(): Bme280Calibration {
    const r = this.#registers;
    return parseCalibration(r.subarray(0x88, 0xa2), r.subarray(0xe1, 0xe8)) as Bme280Calibration;
  }

  /**
   * A bus write: a register address, then register/value pairs (the chip's write mode).
   *
   * @param bytes The bytes written.
   */
  write(bytes: Uint8Array): void {
    this.#ack();
    if (bytes.length === 0) return;
    this.#pointer = bytes[0] as number;
    for (let n = 0; n + 1 < bytes.length; n += 2) {
      this.#store(bytes[n] as number, bytes[n + 1] as number);
    }
  }

  /**
   * A bus read from the register pointer on (it advances).
   *
   * @param count Bytes to read.
   * @returns The bytes.
   */
  read(count: number): Uint8Array {
    this.#ack();
    const out = new Uint8Array(count);
    for (let n = 0; n < count; n++) out[n] = this.#registers[(this.#pointer + n) & 255] as number;
    this.#pointer = (this.#pointer + count) & 255;
    return out;
  }

  #ack(): void {
    if (!this.present) throw new Error("I2C got NACK");
  }

  #reset(): void {
    const r = this.#registers;
    r.fill(0);
    r[0xd0] = BME280_CHIP_ID;
    const encoded = encodeCalibration(this.#calibration);
    r.set(encoded.low, 0x88);
    r.set(encoded.high, 0xe1);
    this.#setData({ temperature: SKIPPED_20BIT, pressure: SKIPPED_20BIT, humidity: 0x8000 });
  }

  #store(register: number, value: number): void {
    if (register === 0xe0) {
      if (value === 0xb6) this.#reset();
      return;
    }
    if (register !== 0xf2 && register !== 0xf4 && register !== 0xf5) return;
    this.#registers[register] = value;
    const mode = value & 3;
    if (register === 0xf4 && (mode === 1 || mode === 2)) {
      this.conversions++;
      const air = this.#measure();
      if (air !== null) this.#setData(bme280RawFor(air, this.#calibration));
      // Forced mode falls back to sleep once the conversion is done.
      this.#registers[0xf4] = value & 0xfc;
    }
  }

  #setData(raw: Bme280Raw): void {
    const r = this.#registers;
    r[0xf7] = raw.pressure >> 12;
    r[0xf8] = (raw.pressure >> 4) & 255;
    r[0xf9] = (raw.pressure & 15) << 4;
    r[0xfa] = raw.temperature >> 12;
    r[0xfb] = (raw.temperature >> 4) & 255;
    r[0xfc] = (raw.temperature & 15) << 4;
    r[0xfd] = raw.humidity >> 8;
    r[0xfe] = raw.humidity & 255;
  }
}
