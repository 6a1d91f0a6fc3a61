/**
 * The simulator's fake hardware as the firmware bundles see it through the Espruino
 * shim: the device configuration the simulator "flashes" (`housegrid.json`), the plug's
 * ADC fed sample by sample from `loads.ts` bursts, and the fan's duct air for the
 * emulated BME280. The same pieces drive the native twins of `firmware_twin.ts`, so a
 * differential test feeds both sides identical inputs.
 *
 * @module
 */

import { ADC_FULL_SCALE } from "../firmware/adc_burst.ts";
import { Bme280Emulator } from "../firmware/shim/shim_bme280.ts";
import type { ShimHardwareOptions } from "../firmware/shim/shim_hardware.ts";
import { ADC_READ_S } from "../firmware/shim/shim_time.ts";
import type { SimFan } from "./fan.ts";
import type { LoadModel } from "./loads.ts";
import { sampleBurst } from "./loads.ts";
import type { SimPlug } from "./plug.ts";
import { ductReading } from "./room.ts";
import { SIM_SSID } from "./wifi.ts";

/** Plug hardware of simulated firmware devices (the firmware's defaults). */
export const SIM_PLUG_HARDWARE = {
  relayPin: "D12",
  adcPin: "A0",
  currentGainA: 0.05,
  nominalVoltageV: 230,
  mainsHz: 50,
  burstSamples: 200,
  sliceSamples: 50,
  measurePeriodMs: 1000,
} as const;

/** Fan hardware of simulated firmware devices: two speeds (the library's default top speed). */
export const SIM_FAN_HARDWARE = {
  speedPins: ["D12", "D13"],
  sdaPin: "D4",
  sclPin: "D5",
  sensorAddress: 0x76,
  readPeriodMs: 10000,
  /** The driver's wait for a forced conversion (`bme280_i2c.ts`). */
  conversionMs: 12,
} as const;

/** The Wi-Fi password simulated devices use (any 8+ characters join the sim network). */
export const SIM_WIFI_PASSWORD = "sim-password";

/** Where a firmware device finds its broker. */
export interface FirmwareBroker {
  /** Host name or address. */
  host: string;
  /** Port. */
  port: number;
  /** User name, if the broker wants one. */
  username?: string;
  /** Password, if the broker wants one. */
  password?: string;
}

/**
 * The configuration the simulator stores as `housegrid.json` for a firmware device.
 *
 * @param kind `plugs` or `fans`.
 * @param id Device id.
 * @param prefix Topic prefix.
 * @param broker Broker address and credentials.
 * @returns The configuration object (see `firmware/config.ts`).
 * @example
 * ```ts
 * import { firmwareConfig } from "./firmware_hardware.ts";
 * import { parseDeviceConfig } from "../firmware/config.ts";
 * import assert from "node:assert/strict";
 * const parsed = parseDeviceConfig(firmwareConfig("fans", "fan1", "", { host: "127.0.0.1", port: 1883 }));
 * assert.ok(parsed.ok);
 * assert.deepEqual(parsed.value.fan?.speedPins, ["D12", "D13"]);
 * ```
 */
export function firmwareConfig(
  kind: "plugs" | "fans",
  id: string,
  prefix: string,
  broker: FirmwareBroker,
): Record<string, unknown> {
  const common = {
    kind: kind === "plugs" ? "plug" : "fan",
    id,
    prefix,
    // No SNTP: the shim's clock is the simulator's already.
    wifi: { ssid: SIM_SSID, password: SIM_WIFI_PASSWORD, ntp: "" },
    mqtt: {
      host: broker.host,
      port: broker.port,
      username: broker.username ?? "",
      password: broker.password ?? "",
    },
  };
  if (kind === "plugs") {
    const h = SIM_PLUG_HARDWARE;
    return Object.assign(common, {
      pins: { relay: h.relayPin, relayActiveHigh: true, adc: h.adcPin },
      calibration: {
        currentGainA: h.currentGainA,
        nominalVoltageV: h.nominalVoltageV,
        mainsHz: h.mainsHz,
        burstSamples: h.burstSamples,
        sliceSamples: h.sliceSamples,
        measurePeriodMs: h.measurePeriodMs,
      },
    });
  }
  const f = SIM_FAN_HARDWARE;
  return Object.assign(common, {
    pins: { speeds: f.speedPins.slice(), activeHigh: true, sda: f.sdaPin, scl: f.sclPin },
    sensor: { address: f.sensorAddress, periodMs: f.readPeriodMs },
  });
}

/** What an {@linkcode AdcStream} samples. */
export interface AdcStreamOptions {
  /** The virtual clock. */
  clock: { nowMs(): number };
  /** The load plugged in now. */
  load(): LoadModel;
  /** Whether the relay is closed now. */
  relayOn(): boolean;
  /** Amperes per count of the current sensor. */
  currentGainA: number;
  /** Samples generated per burst (default 1024: longer than any firmware burst). */
  length?: number;
}

/**
 * The plug's current sensor behind `analogRead(A0)`: successive reads walk through a
 * `sampleBurst` of the load taken at the first read of each virtual millisecond, at the
 * shim's ADC rate (one sample per {@linkcode ADC_READ_S}). A burst split into slices
 * (separate callbacks, same millisecond) goes on where the last slice stopped.
 *
 * @example
 * ```ts
 * import { AdcStream } from "./firmware_hardware.ts";
 * import { heater } from "./loads.ts";
 * import assert from "node:assert/strict";
 * const adc = new AdcStream({
 *   clock: { nowMs: () => 0 }, load: () => heater(), relayOn: () => true, currentGainA: 0.05,
 * });
 * const values = Array.from({ length: 41 }, () => adc.read());
 * // 2000 W at 230 V peaks at ±12.3 A: ±246 counts around 512 of 1023.
 * assert.ok(Math.max(...values) > 0.7 && Math.min(...values) < 0.3);
 * ```
 */
export class AdcStream {
  #options: AdcStreamOptions;
  #samples: ArrayLike<number> = new Uint16Array(0);
  #startMs = NaN;
  #index = 0;

  /**
   * Makes the stream.
   *
   * @param options Clock, load, relay and gain.
   */
  constructor(options: AdcStreamOptions) {
    this.#options = options;
  }

  /**
   * The next ADC reading.
   *
   * @returns 0..1, as `analogRead` returns it.
   */
  read(): number {
    const nowMs = this.#options.clock.nowMs();
    if (nowMs !== this.#startMs || this.#index >= this.#samples.length) {
      const length = this.#options.length ?? 1024;
      const sampleRateHz = 1 / ADC_READ_S;
      this.#samples = sampleBurst(this.#options.load(), nowMs, this.#options.relayOn(), {
        sampleRateHz,
        cycles: (length * 50) / sampleRateHz,
        currentGainA: this.#options.currentGainA,
        voltageChannel: false,
      }).current;
      this.#startMs = nowMs;
      this.#index = 0;
    }
    return (this.#samples[this.#index++] as number) / ADC_FULL_SCALE;
  }
}

/**
 * Wires a plug's pins to the simulated hardware: the relay pin closes `env.relayOn`, and
 * `A0` reads an {@linkcode AdcStream} of `env.load`.
 *
 * @param env The never-started `SimPlug` holding the load and the relay.
 * @param clock The virtual clock.
 * @returns What sits behind the shim's pins.
 */
export function plugPins(env: SimPlug, clock: { nowMs(): number }): ShimHardwareOptions {
  const h = SIM_PLUG_HARDWARE;
  const adc = new AdcStream({
    clock,
    load: () => env.load,
    relayOn: () => env.relayOn,
    currentGainA: h.currentGainA,
  });
  return {
    digitalWrite: (pin, high) => {
      if (pin === h.relayPin) env.relayOn = high;
    },
    analogRead: (pin) => (pin === h.adcPin ? adc.read() : 0),
  };
}

/**
 * Wires a fan's pins to the simulated hardware: the speed pins set `env.speed` (the
 * first pin that is high), and a BME280 on the bus converts the duct air of `env.room`
 * (nothing new while the `sensor` knob says stale; keep `bme.present` in step with a
 * missing sensor).
 *
 * @param env The never-started `SimFan` holding the room.
 * @param clock The virtual clock.
 * @returns The pins' hardware and the emulated chip.
 */
export function fanPins(
  env: SimFan,
  clock: { nowMs(): number },
): { hardware: ShimHardwareOptions; bme: Bme280Emulator } {
  const f = SIM_FAN_HARDWARE;
  const bme = new Bme280Emulator(() => {
    env.advanceRoom();
    return env.sensorMode === "ok" ? ductReading(env.room, clock.nowMs()) : null;
  });
  bme.present = env.sensorMode !== "missing";
  const levels: Record<string, boolean> = {};
  const speedPins: readonly string[] = f.speedPins;
  return {
    bme,
    hardware: {
      digitalWrite: (pin, high) => {
        if (!speedPins.includes(pin)) return;
        levels[pin] = high;
        env.advanceRoom();
        env.speed = speedPins.findIndex((name) => levels[name] === true) + 1;
      },
      i2c: { [f.sensorAddress]: bme },
    },
  };
}
