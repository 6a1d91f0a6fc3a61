/**
 * Effects a device asks its adapter to carry out, and the publishing rules plugs and
 * fans share: what goes out when the MQTT session comes up, what goes out on change,
 * and what waits for the telemetry period.
 *
 * @module
 */

import type { DiscoveryOptions } from "./discovery.ts";
import { commandErrorMessage } from "./protocol.ts";
import type { CommandError } from "./protocol.ts";
import type { StateMessage } from "./protocol_states.ts";
import { encodeSettings } from "./settings_codec.ts";
import type { SettingsByKind } from "./settings.ts";
import type { DeviceKind } from "./topics.ts";
import { availabilityTopic, snapshotTopic } from "./topics.ts";

/** Something a device's adapter must do. */
export type DeviceEffect =
  | { type: "relay"; on: boolean }
  | { type: "fan"; speed: number }
  | { type: "publish"; topic: string; payload: string; retain: boolean }
  | { type: "subscribe"; filter: string }
  | { type: "discovery"; options: DiscoveryOptions }
  | { type: "save"; key: "settings" | "energy" | "relay"; value: string };

/**
 * Payloads last published, by state parameter (not by topic: on an ESP8266 every long key
 * costs variables for as long as the device runs).
 */
export type PublishedStates = Record<string, string>;

/**
 * Tells whether a telemetry period has passed (safe across counter wrap-around).
 *
 * @param nowMs Now.
 * @param lastMs When telemetry last went out.
 * @param periodMs The telemetry period.
 * @returns `true` when a full batch is due.
 * @example
 * ```ts
 * import { telemetryDue } from "./device_effects.ts";
 * import assert from "node:assert/strict";
 * assert.equal(telemetryDue(61000, 1000, 60000), true);
 * assert.equal(telemetryDue(60999, 1000, 60000), false);
 * ```
 */
export function telemetryDue(nowMs: number, lastMs: number, periodMs: number): boolean {
  return nowMs - lastMs >= periodMs;
}

/** The publish effects of one batch and what has now been published. */
export interface PublishBatch {
  /** Publish effects, the JSON snapshot last. */
  effects: DeviceEffect[];
  /** Payloads published so far, by state parameter. */
  published: PublishedStates;
}

/**
 * Chooses which states to publish. In the `full` telemetry mode: all of them when
 * `everything` is set, otherwise those whose payload changed, leaving the `measured` ones
 * for telemetry time. In the `snapshot` mode the `measured` ones are left to the JSON
 * snapshot (their own retained topics are cleared once with an empty payload) and the
 * others go out when they change. The snapshot goes out with every batch and at every
 * telemetry time.
 *
 * @param base The device's base topic.
 * @param messages Every state message of the device now.
 * @param snapshot The JSON snapshot of all states now.
 * @param published What was published before (`null`: nothing yet).
 * @param everything Whether it is telemetry time (or a new session).
 * @param measured Parameters that wait for telemetry time.
 * @param snapshotOnly Whether the `snapshot` telemetry mode is on.
 * @returns The publish effects and the new published record, by parameter (`published` itself when
 * nothing was published).
 * @example
 * ```ts
 * import { publishBatch } from "./device_effects.ts";
 * import assert from "node:assert/strict";
 * const message = (param: string, payload: string) => ({
 *   type: "publish" as const, param, topic: "plugs/p/states/" + param, payload, retain: true as const,
 * });
 * const messages = [message("power", "ON"), message("watts", "12")];
 * const first = publishBatch("plugs/p", messages, "{}", null, true, ["watts"], false);
 * assert.equal(first.effects.length, 3);
 * const again = publishBatch("plugs/p", messages, "{}", first.published, false, ["watts"], false);
 * assert.equal(again.effects.length, 0);
 * const compact = publishBatch("plugs/p", messages, "{}", first.published, true, ["watts"], true);
 * assert.deepEqual(compact.effects.map((e) => e.type === "publish" ? e.payload : ""), ["", "{}"]);
 * ```
 */
export function publishBatch(
  base: string,
  messages: readonly StateMessage[],
  snapshot: string,
  published: PublishedStates | null,
  everything: boolean,
  measured: readonly string[],
  snapshotOnly: boolean,
): PublishBatch {
  // Copied only when something goes out: most steps publish nothing.
  let next: PublishedStates | null = null;
  const effects: DeviceEffect[] = [];
  for (const message of messages) {
    const previous = published === null ? undefined : published[message.param];
    const waits = measured.indexOf(message.param) >= 0;
    const payload = waits && snapshotOnly ? "" : message.payload;
    const due = waits && !snapshotOnly ? everything : previous !== payload ||
      (everything && !snapshotOnly);
    if (due) {
      // The message is its own effect unless its payload is blanked (see above).
      effects.push(
        payload === message.payload
          ? message
          : { type: "publish", topic: message.topic, payload: payload, retain: true },
      );
      if (next === null) next = Object.assign({}, published);
      next[message.param] = payload;
    }
  }
  if (effects.length > 0 || everything) {
    effects.push({ type: "publish", topic: snapshotTopic(base), payload: snapshot, retain: true });
  }
  return { effects: effects, published: next === null ? published ?? {} : next };
}

/** What publishing needs to know of a device's state. */
export interface PublishingState {
  /** The device's base topic. */
  base: string;
  /** Whether the MQTT session is up. */
  connected: boolean;
  /** What was last published; `null` before the first batch. */
  published: PublishedStates | null;
  /** When the last full telemetry batch went out. */
  lastTelemetryMs: number;
}

/**
 * Publishes a device's states after a step: what changed, or everything at telemetry
 * time (see {@linkcode publishBatch}); offline, only the telemetry clock moves on. A step
 * that publishes nothing returns `state` itself.
 *
 * @param state The device's state.
 * @param nowMs Now.
 * @param effects The step's effects so far.
 * @param everything Whether it is telemetry time (or a new session).
 * @param encode The device's state messages and JSON snapshot now.
 * @param measured Parameters that wait for telemetry time.
 * @param snapshotOnly Whether the `snapshot` telemetry mode is on.
 * @returns The new state and all effects.
 * @example
 * ```ts
 * import { publishStep } from "./device_effects.ts";
 * import assert from "node:assert/strict";
 * const state = { base: "plugs/p", connected: true, published: null, lastTelemetryMs: 0 };
 * const encode = () => ({
 *   messages: [{
 *     type: "publish" as const,
 *     param: "power",
 *     topic: "plugs/p/states/power",
 *     payload: "ON",
 *     retain: true as const,
 *   }],
 *   snapshot: '{"power":"ON"}',
 * });
 * const step = publishStep(state, 60000, [], true, encode, [], false);
 * assert.equal(step.effects.length, 2);
 * assert.equal(step.state.lastTelemetryMs, 60000);
 * assert.equal(publishStep(step.state, 61000, [], false, encode, [], false).state, step.state);
 * ```
 */
export function publishStep<S extends PublishingState>(
  state: S,
  nowMs: number,
  effects: DeviceEffect[],
  everything: boolean,
  encode: (state: S) => { messages: StateMessage[]; snapshot: string },
  measured: readonly string[],
  snapshotOnly: boolean,
): { state: S; effects: DeviceEffect[] } {
  if (!state.connected && !everything) return { state: state, effects: effects };
  let batch: PublishBatch | null = null;
  if (state.connected) {
    const encoded = encode(state);
    batch = publishBatch(
      state.base,
      encoded.messages,
      encoded.snapshot,
      state.published,
      everything,
      measured,
      snapshotOnly,
    );
    if (batch.effects.length === 0 && !everything) return { state: state, effects: effects };
  }
  const next: S = Object.assign({}, state);
  if (everything) next.lastTelemetryMs = nowMs;
  if (batch === null) return { state: next, effects: effects };
  next.published = batch.published;
  return {
    state: next,
    effects: effects.length === 0 ? batch.effects : effects.concat(batch.effects),
  };
}

/**
 * The effects of changed settings: save them, and, when the telemetry mode changed while
 * connected, announce discovery again so Home Assistant learns where the readings now are.
 *
 * @param kind `plugs` or `fans`.
 * @param connected Whether the MQTT session is up.
 * @param before The settings until now.
 * @param after The new settings.
 * @param discovery The device's discovery options with the new settings.
 * @returns The save effect, then the discovery effect if needed.
 * @example
 * ```ts
 * import { settingsChangeEffects } from "./device_effects.ts";
 * import { DEFAULT_PLUG_SETTINGS } from "./settings.ts";
 * import assert from "node:assert/strict";
 * const after = Object.assign({}, DEFAULT_PLUG_SETTINGS, { telemetryMode: "snapshot" as const });
 * const options = { prefix: "", kind: "plugs" as const, id: "p", name: "p", swVersion: "1" };
 * const effects = settingsChangeEffects("plugs", true, DEFAULT_PLUG_SETTINGS, after, options);
 * assert.deepEqual(effects.map((e) => e.type), ["save", "discovery"]);
 * assert.equal(settingsChangeEffects("plugs", false, DEFAULT_PLUG_SETTINGS, after, options).length, 1);
 * ```
 */
export function settingsChangeEffects<K extends DeviceKind>(
  kind: K,
  connected: boolean,
  before: SettingsByKind[K],
  after: SettingsByKind[K],
  discovery: DiscoveryOptions,
): DeviceEffect[] {
  const effects: DeviceEffect[] = [
    { type: "save", key: "settings", value: encodeSettings(kind, after) },
  ];
  if (connected && after.telemetryMode !== before.telemetryMode) {
    effects.push({ type: "discovery", options: discovery });
  }
  return effects;
}

/**
 * The effects of a new MQTT session: availability online, discovery, the command
 * subscription. The caller then publishes every state.
 *
 * @param base The device's base topic.
 * @param commandFilter The subscription filter of the device's commands.
 * @param discovery Home Assistant discovery options.
 * @returns The effects, in order.
 * @example
 * ```ts
 * import { sessionEffects } from "./device_effects.ts";
 * import assert from "node:assert/strict";
 * const effects = sessionEffects("plugs/p", "plugs/p/commands/+", {
 *   prefix: "", kind: "plugs", id: "p", name: "p", swVersion: "1",
 * });
 * assert.deepEqual(effects[0], {
 *   type: "publish", topic: "plugs/p/availability", payload: "online", retain: true,
 * });
 * ```
 */
export function sessionEffects(
  base: string,
  commandFilter: string,
  discovery: DiscoveryOptions,
): DeviceEffect[] {
  return [
    { type: "publish", topic: availabilityTopic(base), payload: "online", retain: true },
    { type: "subscribe", filter: commandFilter },
    { type: "discovery", options: discovery },
  ];
}

/**
 * The effects of a rejected command: one message on `<base>/errors` while connected.
 *
 * @param base The device's base topic.
 * @param connected Whether the MQTT session is up.
 * @param error What was rejected and why.
 * @returns The publish effect, or nothing while offline.
 * @example
 * ```ts
 * import { rejectedCommand } from "./device_effects.ts";
 * import assert from "node:assert/strict";
 * const effects = rejectedCommand("fans/f", true, { param: "speed", payload: "9", error: "too fast" });
 * assert.equal(effects.length, 1);
 * assert.deepEqual(rejectedCommand("fans/f", false, { param: "speed", payload: "9", error: "x" }), []);
 * ```
 */
export function rejectedCommand(
  base: string,
  connected: boolean,
  error: CommandError,
): DeviceEffect[] {
  if (!connected) return [];
  const message = commandErrorMessage(base, {
    param: error.param,
    payload: error.payload,
    error: error.error,
  });
  return [{ type: "publish", topic: message.topic, payload: message.payload, retain: false }];
}
