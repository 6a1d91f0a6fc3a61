/**
 * A whole smart plug as one pure transition: relay, metering, energy, settings and the
 * MQTT protocol glued together. The simulator and the firmware both run this, so a plug
 * behaves the same wherever it runs; they only carry out the effects.
 *
 * Publishing rule: discrete states (power, fault, settings) are published the moment
 * they change; measurements (watts, energy, rssi, uptime, ...) and everything else at
 * each telemetry period. The JSON snapshot goes out with every batch.
 *
 * Persistence rule: settings are saved when they change, the relay state when it
 * changes (for power-on state LAST), and the energy totals every
 * {@linkcode ENERGY_SAVE_PERIOD_MS}, so a power cut loses at most that much energy.
 *
 * @module
 */

import { checkPlugCommand } from "./commands.ts";
import type { PlugCommand } from "./commands.ts";
import {
  leaveStatesDue,
  publishStep,
  rejectedCommand,
  sessionEffects,
  settingsChangeEffects,
  settleStates,
  telemetryDue,
} from "./device_effects.ts";
import type { DeviceEffect, PublishedStates, StatesDueEffect } from "./device_effects.ts";
import type { DiscoveryOptions } from "./discovery.ts";
import {
  addPowerSample,
  energyTotals,
  initialEnergyState,
  resetEnergy,
  restoreEnergy,
  snapshotEnergy,
} from "./energy.ts";
import type { EnergyState } from "./energy.ts";
import type { NetworkInfo, SampleBurst } from "./ports.ts";
import { calibrationFromSettings, DEFAULT_MAINS_HZ, measurePower } from "./power.ts";
import type { PowerReading } from "./power.ts";
import { commandFilter, parseMessage } from "./protocol.ts";
import { telemetryParams } from "./protocol_states.ts";
import type { PlugStates } from "./protocol_states.ts";
import { initialRelayState, nextRelayDeadlineMs, stepRelay } from "./relay.ts";
import type { RelayEffect, RelayEvent, RelayState } from "./relay.ts";
import { decodeSettings } from "./settings_codec.ts";
import type { PlugSettings } from "./settings.ts";
import { baseTopic } from "./topics.ts";

/** How often energy totals are saved: the most a power cut can lose. */
export const ENERGY_SAVE_PERIOD_MS = 60000;

/** Measurements count nothing across a gap longer than this (a reboot, a stall). */
export const PLUG_MAX_GAP_MS = 10000;

/** Everything a plug knows. */
export interface PlugDeviceState {
  /** Topic prefix, empty or ending with `/`. */
  prefix: string;
  /** Device id. */
  id: string;
  /** `<prefix>plugs/<id>`. */
  base: string;
  /** Current settings. */
  settings: PlugSettings;
  /** Relay controller state. */
  relay: RelayState;
  /** Energy counters. */
  energy: EnergyState;
  /** The latest measurement, `null` before the first. */
  reading: PowerReading | null;
  /** Wi-Fi facts. */
  network: NetworkInfo;
  /** When the plug booted. */
  bootMs: number;
  /** Whether the MQTT session is up. */
  connected: boolean;
  /** When the last full telemetry batch went out. */
  lastTelemetryMs: number;
  /** When the energy totals were last saved. */
  lastEnergySaveMs: number;
  /** What was last published, to publish only changes; `null` before the first batch. */
  published: PublishedStates | null;
  /** Firmware version announced in discovery. */
  swVersion: string;
}

/** What a plug reacts to. Every event carries the time. */
export type PlugDeviceEvent =
  | { type: "tick"; nowMs: number }
  | { type: "burst"; nowMs: number; burst: SampleBurst; mainsHz?: number }
  | {
    type: "message";
    nowMs: number;
    topic: string;
    payload: string | Uint8Array;
    retained: boolean;
  }
  | { type: "connected"; nowMs: number }
  | { type: "disconnected"; nowMs: number }
  | { type: "network"; nowMs: number; network: NetworkInfo }
  | StatesDueEffect;

/** One plug transition's result. */
export interface PlugDeviceStep {
  /** The new state. */
  state: PlugDeviceState;
  /** What the adapter must do, in order. */
  effects: DeviceEffect[];
}

/** What a plug reads from storage at boot. */
export interface PlugBoot {
  /** Topic prefix. */
  prefix: string;
  /** Device id. */
  id: string;
  /** Boot time. */
  nowMs: number;
  /** Stored settings blob, or `null`. */
  settingsText: string | null;
  /** Stored energy snapshot, or `null`. */
  energyText: string | null;
  /** Stored relay state (`ON`/`OFF`), or `null`. */
  relayText: string | null;
  /** Wi-Fi facts at boot. */
  network: NetworkInfo;
  /** Firmware version announced in discovery. */
  swVersion: string;
}

/** Problems found in storage at boot, reported once the session is up. */
export interface PlugBootStep extends PlugDeviceStep {
  /** Storage problems (corrupt settings or energy); empty when all was well. */
  problems: string[];
}

/**
 * Boots a plug from what storage holds: settings (defaults when missing or corrupt),
 * energy totals, and the relay's power-on state.
 *
 * @param boot What storage holds, the time and the network.
 * @returns The first state, the effects (the relay's power-on level) and storage problems.
 * @example
 * ```ts
 * import { bootPlug } from "./plug_device.ts";
 * import assert from "node:assert/strict";
 * const network = { rssiDbm: -60, ssid: "lan", ip: "10.0.0.2", mac: "5C:CF:7F:00:00:01" };
 * const step = bootPlug({
 *   prefix: "", id: "plug1", nowMs: 0, settingsText: null, energyText: null,
 *   relayText: null, network, swVersion: "1.0.0",
 * });
 * assert.deepEqual(step.effects, [{ type: "relay", on: false }]);
 * assert.equal(step.state.base, "plugs/plug1");
 * ```
 */
export function bootPlug(boot: PlugBoot): PlugBootStep {
  const problems: string[] = [];
  const decoded = decodeSettings("plugs", boot.settingsText);
  if (decoded.error !== null && boot.settingsText !== null) problems.push(decoded.error);
  let energy = initialEnergyState();
  if (boot.energyText !== null) {
    const restored = restoreEnergy(boot.energyText);
    if (restored.ok) energy = restored.value;
    else problems.push("energy totals lost: " + restored.error);
  }
  const state: PlugDeviceState = {
    prefix: boot.prefix,
    id: boot.id,
    base: baseTopic(boot.prefix, "plugs", boot.id),
    settings: decoded.settings,
    relay: initialRelayState(),
    energy: energy,
    reading: null,
    network: boot.network,
    bootMs: boot.nowMs,
    connected: false,
    lastTelemetryMs: boot.nowMs,
    lastEnergySaveMs: boot.nowMs,
    published: null,
    swVersion: boot.swVersion,
  };
  const lastOn = boot.relayText === "ON";
  const step = applyRelay(state, { type: "boot", nowMs: boot.nowMs, lastOn: lastOn }, []);
  const effects = step.effects.slice();
  // applyRelay saves changes from the initial open relay only. A relay that stays open after
  // it was closed before the boot (power_on_state OFF) must be saved too, or a later LAST
  // would close it again.
  if (!step.state.relay.on && boot.relayText !== null && boot.relayText !== "OFF") {
    effects.push({ type: "save", key: "relay", value: "OFF" });
  }
  return { state: step.state, effects: effects, problems: problems };
}

/**
 * Advances a plug by one event.
 *
 * @param state The plug's state.
 * @param event What happened.
 * @param deferStates Leave the states to publish as a last `statesDue` effect, to be fed back
 *   as an event in a later task (the firmware does, to hold less at once).
 * @returns The new state and the effects to carry out, in order.
 * @example
 * ```ts
 * import { bootPlug, stepPlug } from "./plug_device.ts";
 * import assert from "node:assert/strict";
 * const network = { rssiDbm: -60, ssid: "lan", ip: "10.0.0.2", mac: "5C:CF:7F:00:00:01" };
 * const booted = bootPlug({
 *   prefix: "", id: "p1", nowMs: 0, settingsText: null, energyText: null,
 *   relayText: null, network, swVersion: "1.0.0",
 * });
 * const step = stepPlug(booted.state, {
 *   type: "message", nowMs: 1000, topic: "plugs/p1/commands/power", payload: "ON", retained: false,
 * });
 * assert.deepEqual(step.effects[0], { type: "relay", on: true });
 * assert.equal(step.state.relay.on, true);
 * ```
 */
export function stepPlug(
  state: PlugDeviceState,
  event: PlugDeviceEvent,
  deferStates?: boolean,
): PlugDeviceStep {
  // The states are encoded here, once the step's own calls are over.
  return settleStates(stepUnpublished(state, event), deferStates === true, publishPlugStates);
}

// Publishes the states after a step: what changed, or everything at telemetry time.
function publishPlugStates(
  state: PlugDeviceState,
  nowMs: number,
  effects: DeviceEffect[],
  everything: boolean,
): PlugDeviceStep {
  return publishStep(
    "plugs",
    state,
    nowMs,
    effects,
    everything,
    (current) => plugStates(current, nowMs),
    telemetryParams("plugs"),
    state.settings.telemetryMode === "snapshot",
  );
}

const stepUnpublished = (state: PlugDeviceState, event: PlugDeviceEvent): PlugDeviceStep => {
  if (event === null || typeof event !== "object" || !isFinite(event.nowMs)) {
    return { state: state, effects: [] };
  }
  const nowMs = event.nowMs;
  // What a deferred step left, fed back: its states go out now.
  if (event.type === "statesDue") return publishPlugStates(state, nowMs, [], event.everything);
  if (event.type === "connected") {
    const next = Object.assign({}, state, { connected: true });
    const effects = sessionEffects(state.base, commandFilter(state.base), discoveryOf(state));
    return leaveStatesDue(next, nowMs, effects, true);
  }
  if (event.type === "disconnected") {
    return { state: Object.assign({}, state, { connected: false }), effects: [] };
  }
  if (event.type === "network") {
    return { state: Object.assign({}, state, { network: event.network }), effects: [] };
  }
  if (event.type === "burst") return measure(state, event.burst, event.mainsHz, nowMs);
  if (event.type === "message") return handleMessage(state, event, nowMs);
  if (event.type === "tick") {
    const step = applyRelay(state, { type: "tick", nowMs: nowMs }, []);
    return housekeeping(step.state, nowMs, step.effects);
  }
  return { state: state, effects: [] };
};

/**
 * The earliest time at which a tick would change something (relay timers, telemetry,
 * the energy save), so adapters can sleep until then.
 *
 * @param state The plug's state.
 * @returns A time in ms.
 * @example
 * ```ts
 * import { bootPlug, nextPlugDeadlineMs } from "./plug_device.ts";
 * import assert from "node:assert/strict";
 * const network = { rssiDbm: -60, ssid: "lan", ip: "10.0.0.2", mac: "5C:CF:7F:00:00:01" };
 * const booted = bootPlug({
 *   prefix: "", id: "p1", nowMs: 0, settingsText: null, energyText: null,
 *   relayText: null, network, swVersion: "1.0.0",
 * });
 * assert.equal(nextPlugDeadlineMs(booted.state), 60000);
 * ```
 */
export function nextPlugDeadlineMs(state: PlugDeviceState): number {
  let deadline = Math.min(
    state.lastTelemetryMs + state.settings.telemetryMs,
    state.lastEnergySaveMs + ENERGY_SAVE_PERIOD_MS,
  );
  const relayDeadline = nextRelayDeadlineMs(state.relay, state.settings);
  if (relayDeadline !== null && relayDeadline < deadline) deadline = relayDeadline;
  return deadline;
}

/**
 * The plug's states as the protocol publishes them.
 *
 * @param state The plug's state.
 * @param nowMs Now (for the uptime).
 * @returns Every published state.
 * @example
 * ```ts
 * import { bootPlug, plugStates } from "./plug_device.ts";
 * import assert from "node:assert/strict";
 * const network = { rssiDbm: -60, ssid: "lan", ip: "10.0.0.2", mac: "5C:CF:7F:00:00:01" };
 * const booted = bootPlug({
 *   prefix: "", id: "p1", nowMs: 0, settingsText: null, energyText: null,
 *   relayText: null, network, swVersion: "1.0.0",
 * });
 * assert.equal(plugStates(booted.state, 5000).uptimeMs, 5000);
 * ```
 */
export function plugStates(state: PlugDeviceState, nowMs: number): PlugStates {
  const reading = state.reading;
  const totals = energyTotals(state.energy);
  return {
    on: state.relay.on,
    powerW: reading === null ? null : reading.powerW,
    voltageV: reading === null || reading.estimated ? null : reading.voltageV,
    currentA: reading === null ? null : reading.currentA,
    powerFactor: reading === null || reading.estimated ? null : reading.powerFactor,
    apparentVA: reading === null ? null : reading.apparentVA,
    energyTotalWh: totals.totalWh,
    energyTodayWh: totals.todayWh,
    energyYesterdayWh: totals.yesterdayWh,
    fault: state.relay.fault,
    settings: state.settings,
    network: state.network,
    uptimeMs: nowMs - state.bootMs,
  };
}

const relayEffects = (effects: RelayEffect[]): DeviceEffect[] => {
  const out: DeviceEffect[] = [];
  for (const effect of effects) {
    if (effect.type === "relay") out.push({ type: "relay", on: effect.on });
  }
  return out;
};

const openRelayReading = (reading: PowerReading): PowerReading => ({
  currentA: 0,
  voltageV: reading.voltageV,
  powerW: 0,
  apparentVA: 0,
  powerFactor: 0,
  estimated: reading.estimated,
});

const applyRelay = (
  state: PlugDeviceState,
  event: RelayEvent,
  effects: DeviceEffect[],
): PlugDeviceStep => {
  const step = stepRelay(state.relay, event, state.settings);
  if (step.state === state.relay) return { state: state, effects: effects };
  const wasOn = state.relay.on;
  const next = Object.assign({}, state, { relay: step.state });
  const out = effects.concat(relayEffects(step.effects));
  if (step.state.on !== wasOn) {
    out.push({ type: "save", key: "relay", value: step.state.on ? "ON" : "OFF" });
  }
  // Opening the contacts stops the current at once: do not show the last load until the
  // next measurement.
  if (!step.state.on && next.reading !== null) next.reading = openRelayReading(next.reading);
  return { state: next, effects: out };
};

const measure = (
  state: PlugDeviceState,
  burst: SampleBurst,
  mainsHz: number | undefined,
  nowMs: number,
): PlugDeviceStep => {
  const calibration = calibrationFromSettings(state.settings, mainsHz ?? DEFAULT_MAINS_HZ);
  const measured = measurePower(burst, calibration);
  if (!measured.ok) return { state: state, effects: [] };
  // No current flows through open contacts: what the ADC sees then is noise, not a load.
  const reading = state.relay.on ? measured.value : openRelayReading(measured.value);
  // Power flowing back counts as no consumption.
  const consumedW = reading.powerW > 0 ? reading.powerW : 0;
  const energy = addPowerSample(state.energy, consumedW, nowMs, {
    tzOffsetMin: state.settings.tzOffsetMin,
    maxGapMs: PLUG_MAX_GAP_MS,
  });
  const next = Object.assign({}, state, { reading: reading, energy: energy });
  const step = applyRelay(next, { type: "power", powerW: reading.powerW, nowMs: nowMs }, []);
  // A reading alone changes only what waits for telemetry time: unless the relay or its
  // fault moved, nothing needs encoding (on an ESP8266 that code is ~1,000 variables).
  const quiet = step.state.relay.on === state.relay.on &&
    step.state.relay.fault === state.relay.fault;
  return housekeeping(step.state, nowMs, step.effects, quiet);
};

const handleMessage = (
  state: PlugDeviceState,
  event: { topic: string; payload: string | Uint8Array; retained: boolean },
  nowMs: number,
): PlugDeviceStep => {
  const parsed = parseMessage(
    { prefix: state.prefix, kind: "plugs", id: state.id },
    event.topic,
    event.payload,
    event.retained,
  );
  if (parsed.type === "ignored") return { state: state, effects: [] };
  if (parsed.type === "error") return rejected(state, parsed.param, parsed.payload, parsed.error);
  if (parsed.kind !== "plugs") return { state: state, effects: [] };
  const applied = applyCommand(state, parsed.command, nowMs);
  if (typeof applied === "string") {
    return rejected(state, parsed.param, parsed.payload, applied);
  }
  return housekeeping(applied.state, nowMs, applied.effects);
};

const applyCommand = (
  state: PlugDeviceState,
  command: PlugCommand,
  nowMs: number,
): PlugDeviceStep | string => {
  if (command.type === "power") {
    return applyRelay(state, { type: "command", action: command.action, nowMs: nowMs }, []);
  }
  if (command.type === "pulse") {
    return applyRelay(state, { type: "pulse", durationMs: command.durationMs, nowMs: nowMs }, []);
  }
  if (command.type === "energyReset") {
    const reset = resetEnergy(state.energy, command.energyWh);
    if (!reset.ok) return reset.error;
    const next = Object.assign({}, state, { energy: reset.value, lastEnergySaveMs: nowMs });
    return {
      state: next,
      effects: [{ type: "save", key: "energy", value: snapshotEnergy(reset.value) }],
    };
  }
  const checked = checkPlugCommand(state.settings, command);
  if (!checked.ok) return checked.error;
  const next = Object.assign({}, state, { settings: checked.value });
  return {
    state: next,
    effects: settingsChangeEffects(
      "plugs",
      state.connected,
      state.settings,
      checked.value,
      () => discoveryOf(next),
    ),
  };
};

const discoveryOf = (state: PlugDeviceState): DiscoveryOptions => ({
  prefix: state.prefix,
  kind: "plugs",
  id: state.id,
  name: state.id,
  swVersion: state.swVersion,
  telemetryMode: state.settings.telemetryMode,
});

const rejected = (
  state: PlugDeviceState,
  param: string,
  payload: string,
  error: string,
): PlugDeviceStep => ({
  state: state,
  effects: rejectedCommand(state.base, state.connected, { param, payload, error }),
});

/** Saves energy when due, then leaves what changed to publish (everything at telemetry time). */
const housekeeping = (
  state: PlugDeviceState,
  nowMs: number,
  effects: DeviceEffect[],
  quiet?: boolean,
): PlugDeviceStep => {
  let next = state;
  const out = effects.slice();
  if (telemetryDue(nowMs, state.lastEnergySaveMs, ENERGY_SAVE_PERIOD_MS)) {
    out.push({ type: "save", key: "energy", value: snapshotEnergy(state.energy) });
    next = Object.assign({}, next, { lastEnergySaveMs: nowMs });
  }
  const everything = telemetryDue(nowMs, state.lastTelemetryMs, state.settings.telemetryMs);
  if (quiet === true && !everything) return { state: next, effects: out };
  return leaveStatesDue(next, nowMs, out, everything);
};
