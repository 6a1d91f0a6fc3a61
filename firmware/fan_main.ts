/**
 * Exhaust fan firmware entry point (bundled into `dist/fan.js`): the pure fan device
 * (`lib/fan_device.ts`) with one output per speed step and our BME280 driver.
 *
 * Speed `k` switches on the `k`-th speed pin alone (all others off first, so two motor
 * windings are never powered together); speed 0 switches all off. The number of speed
 * pins is the fan's top speed: it replaces the stored `maxSpeed` at each boot.
 *
 * @module
 */

import type { DeviceEffect } from "../lib/device_effects.ts";
import type { ClimateReading } from "../lib/ports.ts";
import { bootFan, fanStates, nextFanDeviceDeadlineMs, stepFanDevice } from "../lib/fan_device.ts";
import type { FanDeviceEvent, FanDeviceState } from "../lib/fan_device.ts";
import { createBme280 } from "./bme280_i2c.ts";
import { fanHardware } from "./config.ts";
import type { HardwareRuntime } from "./device_runtime.ts";
import { espruinoGlobals, pinByName } from "./espruino_types.ts";
import { startFirmware } from "./firmware.ts";
import { FIRMWARE_VERSION } from "./version.ts";
import { storeRead } from "./storage.ts";

const g = espruinoGlobals();

startFirmware<FanDeviceState, FanDeviceEvent>(g, {
  kind: "fan",
  boot: (config, store, nowMs, network) => {
    const booted = bootFan({
      prefix: config.prefix,
      id: config.id,
      nowMs: nowMs,
      settingsText: storeRead(store, "settings"),
      network: network,
      swVersion: FIRMWARE_VERSION,
    });
    const maxSpeed = fanHardware(config).speedPins.length;
    const settings = Object.assign({}, booted.state.settings, { maxSpeed: maxSpeed });
    const state = Object.assign({}, booted.state, { settings: settings });
    return { state: state, effects: booted.effects, problems: booted.problems };
  },
  // The closures below keep what they use of the hardware's configuration, not the object:
  // startFirmware lets it go once the hardware has started.
  driver: (config) => {
    const pins = fanHardware(config).speedPins.map((name) => pinByName(g, name));
    const on = fanHardware(config).activeHigh;
    const off = !on;
    pins.forEach((pin) => {
      g.digitalWrite(pin, off);
      g.pinMode(pin, "output");
    });
    return {
      step: stepFanDevice,
      deadlineMs: nextFanDeviceDeadlineMs,
      output: (effect: DeviceEffect) => {
        if (effect.type !== "fan") return;
        pins.forEach((pin) => g.digitalWrite(pin, off));
        const pin = pins[Math.min(effect.speed, pins.length) - 1];
        if (effect.speed > 0 && pin !== undefined) g.digitalWrite(pin, on);
      },
    };
  },
  hardware: (runtime: HardwareRuntime<FanDeviceState, FanDeviceEvent>, config, nowMs) => {
    // One function starts a reading (called with nothing, by the period) and takes its
    // result (`null` or a reading): each resident function costs memory. The bus, the
    // sensor and its calibration (read again each time: a few ms of I2C) are made per
    // reading, so none is resident between readings (`I2C1`, once used, would be: some 24
    // variables with its class).
    // What a reading needs, taken now: the configuration goes once the device is up.
    const sda = pinByName(g, fanHardware(config).sdaPin);
    const scl = pinByName(g, fanHardware(config).sclPin);
    const address = fanHardware(config).sensorAddress;
    const readNow = (reading?: ClimateReading | null): void => {
      if (reading === undefined) {
        const i2c = new g.I2C();
        i2c.setup({ sda: sda, scl: scl });
        createBme280(i2c, address, g.setTimeout, nowMs).read(readNow);
      } else runtime.dispatch({ type: "reading", nowMs: nowMs(), reading: reading });
    };
    runtime.every(fanHardware(config).readPeriodMs, readNow);
    readNow();
  },
  view: {
    pageStates: (state, nowMs) => {
      const fan = state as FanDeviceState;
      return Object.assign({}, fanStates(fan, nowMs), {
        settings: undefined,
        network: undefined,
        maxSpeed: fan.settings.maxSpeed,
      });
    },
    series: ["humidity", "temperature"],
    // Hundredths, up to ±327: % and °C.
    seriesScale: 100,
    sample: (state, nowMs) => {
      const states = fanStates(state as FanDeviceState, nowMs);
      return [
        states.humidityPct === null ? NaN : states.humidityPct,
        states.tempC === null ? NaN : states.tempC,
      ];
    },
  },
});
