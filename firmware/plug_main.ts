/**
 * Smart plug firmware entry point (bundled into `dist/plug.js`): the pure plug device
 * (`lib/plug_device.ts`) with a relay pin and current sampling on the ADC.
 *
 * The calibration in the configuration (current gain, nominal voltage) is the
 * hardware's, so it replaces the stored settings' values at each boot. While the relay
 * is open no current can flow and the device reports zero whatever the ADC says, so the
 * ADC is not read then: a flat two-sample burst stands in, saving the chip's time.
 *
 * @module
 */

import type { DeviceEffect } from "../lib/device_effects.ts";
import type { SampleBurst } from "../lib/ports.ts";
import { bootPlug, nextPlugDeadlineMs, plugStates, stepPlug } from "../lib/plug_device.ts";
import type { PlugDeviceEvent, PlugDeviceState } from "../lib/plug_device.ts";
import { createBurstSampler } from "./adc_burst.ts";
import { plugHardware } from "./config.ts";
import type { HardwareRuntime } from "./device_runtime.ts";
import { espruinoGlobals, pinByName } from "./espruino_types.ts";
import { startFirmware } from "./firmware.ts";
import { FIRMWARE_VERSION } from "./version.ts";
import { storeRead } from "./storage.ts";

const g = espruinoGlobals();

const OPEN_RELAY_BURST = new Uint16Array([512, 512]);

startFirmware<PlugDeviceState, PlugDeviceEvent>(g, {
  kind: "plug",
  boot: (config, store, nowMs, network) => {
    const hardware = plugHardware(config);
    const booted = bootPlug({
      prefix: config.prefix,
      id: config.id,
      nowMs: nowMs,
      settingsText: storeRead(store, "settings"),
      energyText: storeRead(store, "energy"),
      relayText: storeRead(store, "relay"),
      network: network,
      swVersion: FIRMWARE_VERSION,
    });
    const settings = Object.assign({}, booted.state.settings, {
      currentGainA: hardware.currentGainA,
      nominalVoltageV: hardware.nominalVoltageV,
    });
    const state = Object.assign({}, booted.state, { settings: settings });
    return { state: state, effects: booted.effects, problems: booted.problems };
  },
  // The closures below keep what they use of the hardware's configuration, not the object:
  // startFirmware lets it go once the hardware has started.
  driver: (config) => {
    const relay = pinByName(g, plugHardware(config).relayPin);
    const activeHigh = plugHardware(config).relayActiveHigh;
    g.pinMode(relay, "output");
    return {
      step: stepPlug,
      deadlineMs: nextPlugDeadlineMs,
      output: (effect: DeviceEffect) => {
        if (effect.type === "relay") g.digitalWrite(relay, effect.on === activeHigh);
      },
    };
  },
  hardware: (runtime: HardwareRuntime<PlugDeviceState, PlugDeviceEvent>, config, nowMs) => {
    const mainsHz = plugHardware(config).mainsHz;
    const adcPin = plugHardware(config).adcPin;
    const samples = plugHardware(config).burstSamples;
    const sliceSamples = plugHardware(config).sliceSamples;
    // One burst at a time: a slow burst makes the next period skip its reading.
    let sampling = false;
    // One function for the period's tick (called with nothing) and for the burst it
    // measured: each resident function costs memory.
    const measure = (burst?: SampleBurst): void => {
      if (burst !== undefined) {
        sampling = false;
        runtime.dispatch({ type: "burst", nowMs: nowMs(), burst, mainsHz });
        return;
      }
      if (!runtime.state().relay.on) {
        measure({ sampleRateHz: mainsHz * 20, current: OPEN_RELAY_BURST });
        return;
      }
      if (sampling) return;
      sampling = true;
      // Made per burst, so its buffer and closures are not resident between readings.
      const adc = pinByName(g, adcPin);
      // A board without this analog pin (Espruino's Linux build) reads a flat line: 0 W.
      const read = adc === undefined ? () => 0.5 : () => g.analogRead(adc);
      createBurstSampler(read, g.getTime, (run) => g.setTimeout(run, 0), {
        samples: samples,
        sliceSamples: sliceSamples,
      }).start(measure);
    };
    runtime.every(plugHardware(config).measurePeriodMs, measure);
  },
  view: {
    pageStates: (state, nowMs) =>
      Object.assign({}, plugStates(state as PlugDeviceState, nowMs), {
        settings: undefined,
        network: undefined,
      }),
    series: ["power"],
    // Quarter watts, up to 8 kW: more than a plug switches.
    seriesScale: 4,
    sample: (state) => {
      const reading = (state as PlugDeviceState).reading;
      return [reading === null ? NaN : reading.powerW];
    },
  },
});
