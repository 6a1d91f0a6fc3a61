/**
 * The ESP8266's pins for the shim: `D0`..`D16` and `A0` as pin objects, `digitalWrite`,
 * `digitalRead`, `pinMode`, `analogRead` and the `I2C1` bus, wired to whatever the
 * simulator wants behind them (a relay, an ADC stream, an emulated BME280).
 *
 * `analogRead` costs {@linkcode ADC_READ_S} of processor time (see `shim_time.ts`).
 * I2C devices are plain objects that receive the written bytes and answer reads; a read
 * or write to an address with no device throws `I2C got NACK`.
 *
 * @module
 */

import { toBytes } from "./shim_bytes.ts";
import { ADC_READ_S, type CpuClock } from "./shim_time.ts";

/** A pin as a bundle sees it: an object whose string form is its name. */
export class ShimPin {
  /** `D12`, `A0`, ... */
  readonly name: string;

  /**
   * Makes a pin.
   *
   * @param name Its name.
   */
  constructor(name: string) {
    this.name = name;
  }

  /**
   * The pin's name.
   *
   * @returns `D12`, `A0`, ...
   */
  toString(): string {
    return this.name;
  }
}

/** A device on the I2C bus. */
export interface I2cDevice {
  /** Takes the bytes of one `writeTo`. */
  write(bytes: Uint8Array): void;
  /** Answers one `readFrom`. */
  read(count: number): Uint8Array;
}

/** What sits behind the pins. */
export interface ShimHardwareOptions {
  /** An output changed. */
  digitalWrite?(pin: string, high: boolean): void;
  /** An input's level (default low). */
  digitalRead?(pin: string): boolean;
  /** An analog input, 0..1 (default 0, as on Espruino's Linux build). */
  analogRead?(pin: string): number;
  /** Devices on `I2C1`, by 7-bit address. */
  i2c?: Record<number, I2cDevice>;
}

/** The hardware globals a bundle sees. */
export interface ShimHardware {
  /** `D0`..`D16` and `A0`. */
  pins: Record<string, ShimPin>;
  /** Reads an analog pin, 0..1. */
  analogRead(pin: unknown): number;
  /** Drives an output (or several: an array of pins takes the value's bits, MSB first). */
  digitalWrite(pin: unknown, value: unknown): void;
  /** Reads an input. */
  digitalRead(pin: unknown): number;
  /** Sets a pin's mode. */
  pinMode(pin: unknown, mode?: unknown): void;
  /** A pin's mode. */
  getPinMode(pin: unknown): string;
  /** The I2C bus. */
  I2C1: ShimI2C;
  /** Software I2C buses (`new I2C()`), on the same devices as `I2C1`. */
  I2C: new () => ShimI2C;
}

const nameOf = (pin: unknown): string => {
  if (pin instanceof ShimPin) return pin.name;
  if (typeof pin === "number") return "D" + pin;
  if (typeof pin === "string") return pin;
  throw new TypeError("not a pin: " + String(pin));
};

/** The `I2C1` object. */
export class ShimI2C {
  #devices: Record<number, I2cDevice>;
  #ready = false;

  /**
   * Makes the bus.
   *
   * @param devices Devices by address.
   */
  constructor(devices: Record<number, I2cDevice>) {
    this.#devices = devices;
  }

  /**
   * Configures the bus (pins and speed are accepted as they are).
   *
   * @param _options `{ scl, sda, bitrate }`.
   */
  setup(_options?: unknown): void {
    this.#ready = true;
  }

  /**
   * Writes bytes to a device.
   *
   * @param address The 7-bit address.
   * @param data Bytes, arrays or strings, concatenated.
   */
  writeTo(address: unknown, ...data: unknown[]): void {
    const parts = data.map(toBytes);
    const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
    let at = 0;
    for (const part of parts) {
      bytes.set(part, at);
      at += part.length;
    }
    this.#device(address).write(bytes);
  }

  /**
   * Reads bytes from a device.
   *
   * @param address The 7-bit address.
   * @param count How many bytes.
   * @returns The bytes.
   */
  readFrom(address: unknown, count: number): Uint8Array {
    return this.#device(address).read(count);
  }

  #device(address: unknown): I2cDevice {
    if (!this.#ready) throw new Error("I2C1 is not set up");
    const device = typeof address === "number" ? this.#devices[address] : undefined;
    if (device === undefined) throw new Error("I2C got NACK");
    return device;
  }
}

/**
 * Makes the pins and buses.
 *
 * @param options What sits behind them.
 * @param cpu The processor clock (ADC reads take time).
 * @returns The hardware globals.
 * @example
 * ```ts
 * import { createHardware } from "./shim_hardware.ts";
 * import { CpuClock } from "./shim_time.ts";
 * import assert from "node:assert/strict";
 * const writes: string[] = [];
 * const hardware = createHardware({
 *   digitalWrite: (pin, high) => writes.push(pin + "=" + high),
 *   analogRead: () => 0.25,
 * }, new CpuClock({ nowMs: () => 0 }));
 * hardware.digitalWrite(hardware.pins.D12, 1);
 * assert.deepEqual(writes, ["D12=true"]);
 * assert.equal(hardware.analogRead(hardware.pins.A0), 0.25);
 * ```
 */
export function createHardware(options: ShimHardwareOptions, cpu: CpuClock): ShimHardware {
  const pins: Record<string, ShimPin> = {};
  for (let n = 0; n <= 16; n++) pins["D" + n] = new ShimPin("D" + n);
  pins.A0 = new ShimPin("A0");
  const modes: Record<string, string> = {};
  const levels: Record<string, boolean> = {};
  const i2cDevices = options.i2c ?? {};
  const writeOne = (name: string, high: boolean): void => {
    levels[name] = high;
    options.digitalWrite?.(name, high);
  };
  return {
    pins,
    analogRead: (pin) => {
      const name = nameOf(pin);
      cpu.spend(ADC_READ_S);
      const value = options.analogRead?.(name) ?? 0;
      return Math.min(1, Math.max(0, value));
    },
    digitalWrite: (pin, value) => {
      if (Array.isArray(pin)) {
        const bits = Number(value);
        pin.forEach((one, index) =>
          writeOne(nameOf(one), ((bits >> (pin.length - 1 - index)) & 1) === 1)
        );
        return;
      }
      writeOne(nameOf(pin), value === true || (typeof value === "number" && value !== 0));
    },
    digitalRead: (pin) => {
      const name = nameOf(pin);
      const high = options.digitalRead?.(name) ?? levels[name] ?? false;
      return high ? 1 : 0;
    },
    pinMode: (pin, mode) => {
      modes[nameOf(pin)] = typeof mode === "string" ? mode : "input";
    },
    getPinMode: (pin) => modes[nameOf(pin)] ?? "input",
    I2C1: new ShimI2C(i2cDevices),
    I2C: class extends ShimI2C {
      constructor() {
        super(i2cDevices);
      }
    },
  };
}
