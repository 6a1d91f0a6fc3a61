/**
 * A whole exhaust fan as one pure transition: the fan controller, settings and the MQTT
 * protocol glued together, run unchanged by the simulator and the firmware.
 *
 * The network the controller sees is the MQTT session: while it is down the fan runs on
 * its sensor alone (or on the timer), as the original design's modes require.
 * Publishing follows the plug's rule: discrete states at once, readings at telemetry time.
 *
 * @module
 */

import { checkFanCommand } from "./commands.ts";
import type { FanCommand } from "./commands.ts";
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
  fanEventFromReading,
  fanOutputs,
  initialFanState,
  nextFanDeadlineMs,
  stepFan,
} from "./fan.ts";
import type { FanEvent, FanState } from "./fan_types.ts";
import type { ClimateReading, NetworkInfo } from "./ports.ts";
import { commandFilter, parseMessage } from "./protocol.ts";
import { telemetryParams } from "./protocol_states.ts";
import type { FanStates } from "./protocol_states.ts";
import { decodeSettings } from "./settings_codec.ts";
import type { FanSettings } from "./settings.ts";
import { baseTopic } from "./topics.ts";

/** Everything a fan knows. */
export interface FanDeviceState {
  /** Topic prefix, empty or ending with `/`. */
  prefix: string;
  /** Device id. */
  id: string;
  /** `<prefix>fans/<id>`. */
  base: string;
  /** Current settings. */
  settings: FanSettings;
  /** Controller state. */
  fan: FanState;
  /** Wi-Fi facts. */
  network: NetworkInfo;
  /** When the fan booted. */
  bootMs: number;
  /** Whether the MQTT session is up. */
  connected: boolean;
  /** When the last full telemetry batch went out. */
  lastTelemetryMs: number;
  /** What was last published; `null` before the first batch. */
  published: PublishedStates | null;
  /** Firmware version announced in discovery. */
  swVersion: string;
}

/** What a fan reacts to. Every event carries the time. */
export type FanDeviceEvent =
  | { type: "tick"; nowMs: number }
  | { type: "reading"; nowMs: number; reading: ClimateReading | null }
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

/** One fan transition's result. */
export interface FanDeviceStep {
  /** The new state. */
  state: FanDeviceState;
  /** What the adapter must do, in order. */
  effects: DeviceEffect[];
}

/** What a fan reads from storage at boot. */
export interface FanBoot {
  /** Topic prefix. */
  prefix: string;
  /** Device id. */
  id: string;
  /** Boot time. */
  nowMs: number;
  /** Stored settings blob, or `null`. */
  settingsText: string | null;
  /** Wi-Fi facts at boot. */
  network: NetworkInfo;
  /** Firmware version announced in discovery. */
  swVersion: string;
}

/** A boot step, with storage problems to report. */
export interface FanBootStep extends FanDeviceStep {
  /** Storage problems (corrupt settings); empty when all was well. */
  problems: string[];
}

/**
 * Boots a fan: settings from storage (defaults when missing or corrupt), then the
 * controller's start-up purge.
 *
 * @param boot What storage holds, the time and the network.
 * @returns The first state, the effects and storage problems.
 * @example
 * ```ts
 * import { bootFan } from "./fan_device.ts";
 * import assert from "node:assert/strict";
 * const network = { rssiDbm: -60, ssid: "lan", ip: "10.0.0.3", mac: "5C:CF:7F:00:00:03" };
 * const step = bootFan({ prefix: "", id: "fan1", nowMs: 0, settingsText: null, network, swVersion: "1" });
 * assert.deepEqual(step.effects, [{ type: "fan", speed: 1 }]); // the start-up purge
 * ```
 */
export function bootFan(boot: FanBoot): FanBootStep {
  const decoded = decodeSettings("fans", boot.settingsText);
  const problems = decoded.error !== null && boot.settingsText !== null ? [decoded.error] : [];
  const state: FanDeviceState = {
    prefix: boot.prefix,
    id: boot.id,
    base: baseTopic(boot.prefix, "fans", boot.id),
    settings: decoded.settings,
    fan: initialFanState(boot.nowMs),
    network: boot.network,
    bootMs: boot.nowMs,
    connected: false,
    lastTelemetryMs: boot.nowMs,
    published: null,
    swVersion: boot.swVersion,
  };
  const step = applyFan(state, { type: "boot", nowMs: boot.nowMs });
  return { state: step.state, effects: step.effects, problems: problems };
}

/**
 * Advances a fan by one event.
 *
 * @param state The fan's state.
 * @param event What happened.
 * @param deferStates Leave the states to publish as a last `statesDue` effect, to be fed back
 *   as an event in a later task (the firmware does, to hold less at once).
 * @returns The new state and the effects to carry out, in order.
 * @example
 * ```ts
 * import { bootFan, stepFanDevice } from "./fan_device.ts";
 * import assert from "node:assert/strict";
 * const network = { rssiDbm: -60, ssid: "lan", ip: "10.0.0.3", mac: "5C:CF:7F:00:00:03" };
 * const booted = bootFan({ prefix: "", id: "f1", nowMs: 0, settingsText: null, network, swVersion: "1" });
 * const step = stepFanDevice(booted.state, {
 *   type: "message", nowMs: 1000, topic: "fans/f1/commands/power", payload: "OFF", retained: false,
 * });
 * assert.deepEqual(step.effects[0], { type: "fan", speed: 0 });
 * ```
 */
export function stepFanDevice(
  state: FanDeviceState,
  event: FanDeviceEvent,
  deferStates?: boolean,
): FanDeviceStep {
  // The states are encoded here, once the step's own calls are over.
  return settleStates(stepUnpublished(state, event), deferStates === true, publishFanStates);
}

// Publishes the states after a step: what changed, or everything at telemetry time.
function publishFanStates(
  state: FanDeviceState,
  nowMs: number,
  effects: DeviceEffect[],
  everything: boolean,
): FanDeviceStep {
  return publishStep(
    "fans",
    state,
    nowMs,
    effects,
    everything,
    (current) => fanStates(current, nowMs),
    telemetryParams("fans"),
    state.settings.telemetryMode === "snapshot",
  );
}

const stepUnpublished = (state: FanDeviceState, event: FanDeviceEvent): FanDeviceStep => {
  if (event === null || typeof event !== "object" || !isFinite(event.nowMs)) {
    return { state: state, effects: [] };
  }
  const nowMs = event.nowMs;
  // What a deferred step left, fed back: its states go out now.
  if (event.type === "statesDue") return publishFanStates(state, nowMs, [], event.everything);
  if (event.type === "connected") {
    const online = applyFan(withField(state, "connected", true), {
      type: "network",
      nowMs,
      up: true,
    });
    const effects = sessionEffects(state.base, commandFilter(state.base), discoveryOf(state));
    return leaveStatesDue(online.state, nowMs, effects.concat(online.effects), true);
  }
  if (event.type === "disconnected") {
    return applyFan(withField(state, "connected", false), { type: "network", nowMs, up: false });
  }
  if (event.type === "network") {
    return { state: withField(state, "network", event.network), effects: [] };
  }
  if (event.type === "reading") {
    return settleQuietly(state, applyFan(state, fanEventFromReading(event.reading, nowMs)), nowMs);
  }
  if (event.type === "tick") {
    return settleQuietly(state, applyFan(state, { type: "tick", nowMs }), nowMs);
  }
  if (event.type === "message") return handleMessage(state, event, nowMs);
  return { state: state, effects: [] };
};

/**
 * The earliest time at which a tick would change something (controller timers,
 * telemetry).
 *
 * @param state The fan's state.
 * @returns A time in ms.
 * @example
 * ```ts
 * import { bootFan, nextFanDeviceDeadlineMs } from "./fan_device.ts";
 * import assert from "node:assert/strict";
 * const network = { rssiDbm: -60, ssid: "lan", ip: "10.0.0.3", mac: "5C:CF:7F:00:00:03" };
 * const booted = bootFan({ prefix: "", id: "f1", nowMs: 0, settingsText: null, network, swVersion: "1" });
 * assert.equal(nextFanDeviceDeadlineMs(booted.state), 60000); // the purge ends
 * ```
 */
export function nextFanDeviceDeadlineMs(state: FanDeviceState): number {
  const telemetry = state.lastTelemetryMs + state.settings.telemetryMs;
  const controller = nextFanDeadlineMs(state.fan, state.settings);
  return controller !== null && controller < telemetry ? controller : telemetry;
}

/**
 * The fan's states as the protocol publishes them.
 *
 * @param state The fan's state.
 * @param nowMs Now (for the uptime).
 * @returns Every published state.
 * @example
 * ```ts
 * import { bootFan, fanStates } from "./fan_device.ts";
 * import assert from "node:assert/strict";
 * const network = { rssiDbm: -60, ssid: "lan", ip: "10.0.0.3", mac: "5C:CF:7F:00:00:03" };
 * const booted = bootFan({ prefix: "", id: "f1", nowMs: 0, settingsText: null, network, swVersion: "1" });
 * assert.equal(fanStates(booted.state, 0).reason, "purge");
 * ```
 */
export function fanStates(state: FanDeviceState, nowMs: number): FanStates {
  const outputs = fanOutputs(state.fan, state.settings);
  return {
    on: outputs.on,
    speed: outputs.speed,
    mode: outputs.mode,
    control: outputs.control,
    reason: outputs.reason,
    tempC: outputs.tempC,
    humidityPct: outputs.humidityPct,
    settings: state.settings,
    network: state.network,
    uptimeMs: nowMs - state.bootMs,
  };
}

const withField = <K extends keyof FanDeviceState>(
  state: FanDeviceState,
  key: K,
  value: FanDeviceState[K],
): FanDeviceState => {
  const next = Object.assign({}, state);
  next[key] = value;
  return next;
};

const applyFan = (state: FanDeviceState, event: FanEvent): FanDeviceStep => {
  const step = stepFan(state.fan, event, state.settings);
  const effects: DeviceEffect[] = [];
  for (const effect of step.effects) effects.push({ type: "fan", speed: effect.speed });
  return { state: withField(state, "fan", step.state), effects: effects };
};

const handleMessage = (
  state: FanDeviceState,
  event: { topic: string; payload: string | Uint8Array; retained: boolean },
  nowMs: number,
): FanDeviceStep => {
  const address = { prefix: state.prefix, kind: "fans" as const, id: state.id };
  const parsed = parseMessage(address, event.topic, event.payload, event.retained);
  if (parsed.type === "ignored" || (parsed.type === "command" && parsed.kind !== "fans")) {
    return { state: state, effects: [] };
  }
  if (parsed.type === "error") {
    return { state: state, effects: rejectedCommand(state.base, state.connected, parsed) };
  }
  const command = parsed.command as FanCommand;
  const checked = checkFanCommand(state.settings, command);
  if (!checked.ok) {
    const error = { param: parsed.param, payload: parsed.payload, error: checked.error };
    return { state: state, effects: rejectedCommand(state.base, state.connected, error) };
  }
  if (command.type === "power") {
    return settle(applyFan(state, { type: "power", nowMs, command: command.action }), nowMs);
  }
  if (command.type === "speed") {
    return settle(applyFan(state, { type: "speed", nowMs, speed: command.speed }), nowMs);
  }
  const updated = withField(state, "settings", checked.value);
  // The settings' record is made before the fan is judged again: on an ESP8266 its text and
  // the new step do not fit in memory side by side with the rest.
  const saved = settingsChangeEffects(
    "fans",
    state.connected,
    state.settings,
    checked.value,
    () => discoveryOf(updated),
  );
  // New thresholds take effect at once: the last valid reading is judged again by them.
  const fan = updated.fan;
  const again: FanEvent = fan.sensorOk && fan.humidityPct !== null && fan.tempC !== null &&
      fan.lastReadingMs !== null
    ? {
      type: "reading",
      nowMs: nowMs,
      humidityPct: fan.humidityPct,
      tempC: fan.tempC,
      atMs: fan.lastReadingMs,
    }
    : { type: "tick", nowMs: nowMs };
  const step = applyFan(updated, again);
  return settle({ state: step.state, effects: saved.concat(step.effects) }, nowMs);
};

const discoveryOf = (state: FanDeviceState): DiscoveryOptions => ({
  prefix: state.prefix,
  kind: "fans",
  id: state.id,
  name: state.id,
  swVersion: state.swVersion,
  maxSpeed: state.settings.maxSpeed,
  telemetryMode: state.settings.telemetryMode,
});

/**
 * Like `settle` for a reading or a tick: when the fan's outputs did not move, only what
 * waits for telemetry time changed, so nothing needs encoding before then (on an ESP8266
 * that code is ~1,000 variables).
 */
const settleQuietly = (
  before: FanDeviceState,
  step: FanDeviceStep,
  nowMs: number,
): FanDeviceStep => {
  const was = fanOutputs(before.fan, before.settings);
  const now = fanOutputs(step.state.fan, step.state.settings);
  const quiet = was.on === now.on && was.speed === now.speed && was.mode === now.mode &&
    was.control === now.control && was.reason === now.reason;
  if (quiet && !telemetryDue(nowMs, step.state.lastTelemetryMs, step.state.settings.telemetryMs)) {
    return step;
  }
  return settle(step, nowMs);
};

/** Leaves what changed after a step to publish (everything at telemetry time). */
const settle = (step: FanDeviceStep, nowMs: number): FanDeviceStep => {
  const everything = telemetryDue(
    nowMs,
    step.state.lastTelemetryMs,
    step.state.settings.telemetryMs,
  );
  return leaveStatesDue(step.state, nowMs, step.effects, everything);
};
