/**
 * A simulated smart plug: the pure plug device of lib/ with a relay and a load that
 * produces raw ADC bursts for the real measurement code.
 *
 * @module
 */

import type { DeviceEffect } from "../lib/device_effects.ts";
import { snapshotEnergy } from "../lib/energy.ts";
import { SeriesHistory } from "../lib/history.ts";
import type { NetworkInfo } from "../lib/ports.ts";
import {
  bootPlug,
  nextPlugDeadlineMs,
  type PlugDeviceEvent,
  type PlugDeviceState,
  plugStates,
  stepPlug,
} from "../lib/plug_device.ts";
import type { TimerId } from "./clock.ts";
import { readFirmware } from "./firmware_record.ts";
import {
  type DeviceStepResult,
  type LinkEvent,
  SimDevice,
  type SimDeviceOptions,
} from "./device.ts";
import {
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

/** How often the plug measures. */
export const MEASURE_PERIOD_MS = 1000;

/** A simulated plug's own options. */
export interface SimPlugOptions extends SimDeviceOptions {
  /** The load plugged in (default none). */
  load?: LoadModel;
}

/** Named loads the `load` knob accepts besides `W` and `W,pf`. */
export function namedLoad(name: string, nowMs: number): LoadModel | null {
  switch (name) {
    case "heater":
      return heater();
    case "kettle":
      return kettle({ startMs: nowMs });
    case "motor":
      return motor();
    case "fridge":
      return fridge();
    case "standby":
      return standby();
    case "none":
      return noLoad();
  }
  return null;
}

/** A simulated smart plug. */
export class SimPlug extends SimDevice<PlugDeviceState, PlugDeviceEvent> {
  readonly kind = "plugs" as const;
  /** The load plugged in. */
  load: LoadModel;
  /** Whether the relay contacts are closed. */
  relayOn = false;
  /** Power over the last 10 minutes (1 s slots). */
  readonly history: SeriesHistory = new SeriesHistory({ slots: 600, slotMs: 1000 });

  constructor(options: SimPlugOptions) {
    super(options);
    this.load = options.load ?? noLoad();
  }

  protected bootDevice(nowMs: number, network: NetworkInfo) {
    return bootPlug({
      prefix: this.prefix,
      id: this.id,
      nowMs,
      settingsText: this.store.read("settings"),
      energyText: this.store.read("energy"),
      relayText: this.store.read("relay"),
      network,
      swVersion: readFirmware(this.store).version,
    });
  }

  protected stepDevice(
    state: PlugDeviceState,
    event: LinkEvent | PlugDeviceEvent,
  ): DeviceStepResult<PlugDeviceState> {
    return stepPlug(state, event);
  }

  protected deadlineMs(state: PlugDeviceState): number {
    return nextPlugDeadlineMs(state);
  }

  protected startHardware(): TimerId[] {
    return [this.clock.every(MEASURE_PERIOD_MS, () => this.measure())];
  }

  /** Takes one ADC burst and hands it to the pure device. */
  measure(): void {
    const nowMs = this.clock.nowMs();
    const state = this.state;
    if (state === null) return;
    const burst = sampleBurst(this.load, nowMs, this.relayOn, {
      currentGainA: state.settings.currentGainA,
      voltageGainV: state.settings.voltageGainV,
    });
    this.dispatch({ type: "burst", nowMs, burst });
    const reading = this.state?.reading;
    if (reading) this.history.record(nowMs, reading.powerW);
  }

  protected driveOutput(effect: DeviceEffect): void {
    if (effect.type === "relay") this.relayOn = effect.on;
  }

  protected onPowerOff(): void {
    this.relayOn = false;
  }

  /** A clean shutdown keeps the energy counted since the last periodic save. */
  protected override onCleanStop(): void {
    const state = this.state;
    if (state !== null) this.store.write("energy", snapshotEnergy(state.energy));
  }

  hardwareKnob(name: string, payload: string): string | null {
    if (name !== "load") return `unknown knob "${name}" for a plug`;
    const named = namedLoad(payload.trim().toLowerCase(), this.clock.nowMs());
    if (named !== null) {
      this.load = named;
      return null;
    }
    const parsed = parseLoadKnob(payload);
    if (!parsed.ok) return parsed.error + " (or heater, kettle, motor, fridge, standby, none)";
    this.load = parsed.value;
    return null;
  }

  /** What an ideal meter would read now (for tests and the page). */
  truth(): ReturnType<typeof trueReading> {
    return trueReading(this.load, this.clock.nowMs(), this.relayOn);
  }

  view(): Record<string, unknown> {
    const state = this.state;
    if (state === null) return { id: this.id, kind: this.kind, powered: false };
    const states = plugStates(state, this.clock.nowMs());
    return {
      id: this.id,
      kind: this.kind,
      powered: true,
      connected: this.connected,
      load: this.load.name,
      states: Object.assign({}, states, { settings: undefined, network: undefined }),
      settings: states.settings,
      network: states.network,
    };
  }
}
