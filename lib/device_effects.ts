/**
 * Effects a device asks its adapter to carry out, and the publishing rules plugs and
 * fans share: what goes out when the MQTT session comes up, what goes out on change,
 * and what waits for the telemetry period.
 *
 * @module
 */

import type { DiscoveryOptions } from "./discovery.ts";
import { commandErrorMessage, commandErrorReason } from "./protocol.ts";
import type { CommandError } from "./protocol.ts";
import {
  type FanStates,
  forEachState,
  type PlugStates,
  type StatesByKind,
} from "./protocol_states.ts";
import { encodeSettings } from "./settings_codec.ts";
import type { SettingsByKind } from "./settings.ts";
import type { DeviceKind } from "./topics.ts";
import { availabilityTopic, errorsTopic, snapshotTopic, stateTopic } from "./topics.ts";

/** Something a device's adapter must do. */
export type DeviceEffect =
  | { type: "relay"; on: boolean }
  | { type: "fan"; speed: number }
  | { type: "publish"; topic: string; payload: string; retain: boolean }
  | StatesEffect
  | StatesDueEffect
  | { type: "subscribe"; filter: string }
  | { type: "discovery"; options: DiscoveryOptions }
  | { type: "save"; key: "settings" | "energy" | "relay"; value: string };

/**
 * Payloads last published of the states whose next publish depends on them: a reading in
 * the `full` telemetry mode goes out at telemetry time whatever it was, so it is left out.
 * Text, one entry per state in protocol order (`forEachState`): a newline, then the
 * payload as a JSON string, or nothing when none is kept. The states are known by their
 * place, not their names, which would be most of the text (on an ESP8266 the fan's
 * payloads held some 80 variables as an object's entries, 28 as text with the names, about
 * 15 without). Read it with {@linkcode publishedPayload}.
 */
export type PublishedStates = string;

/**
 * Reads the payload last published for the state at one place in protocol order.
 *
 * @param published The published record (`null`: nothing published yet).
 * @param position The state's place in protocol order (`power` is 0).
 * @returns The payload, or `undefined` when the record holds none for it.
 * @example
 * ```ts
 * import { publishedPayload } from "./device_effects.ts";
 * import assert from "node:assert/strict";
 * const published = '\n"ON"\n\n"none"';
 * assert.equal(publishedPayload(published, 0), "ON");
 * assert.equal(publishedPayload(published, 1), undefined);
 * assert.equal(publishedPayload(published, 2), "none");
 * assert.equal(publishedPayload(published, 3), undefined);
 * assert.equal(publishedPayload(null, 0), undefined);
 * ```
 */
export function publishedPayload(
  published: PublishedStates | null,
  position: number,
): string | undefined {
  if (published === null) return undefined;
  let at = -1;
  for (let place = 0; place <= position; place++) {
    at = published.indexOf("\n", at + 1);
    if (at < 0) return undefined;
  }
  const end = published.indexOf("\n", at + 1);
  return entryPayload(published.slice(at + 1, end < 0 ? published.length : end));
}

// One entry's payload: `undefined` for an empty entry (none kept).
const entryPayload = (entry: string): string | undefined =>
  entry === "" ? undefined : String(JSON.parse(entry));

/** What a {@linkcode StatesEffect} does with one state, by its letter in `marks`. */
export const STATE_MARK = {
  /** Publish the state's payload. */
  publish: "p",
  /** Publish an empty payload, clearing the retained topic (a reading in the snapshot mode). */
  clear: "c",
  /** Leave it out. */
  skip: "-",
} as const;

/**
 * Publishes a batch of states: those `marks` names, each retained on
 * `<base>/states/<param>` in protocol order, then the JSON snapshot of all of them retained
 * on `<base>/state`. It holds the states themselves, not their messages: they are encoded
 * again, one at a time, as they are sent (see {@linkcode forEachStatePublish}). On an
 * ESP8266 a telemetry batch of some 30 messages, or even their payloads and the snapshot
 * text together, does not fit in memory beside the step that made it.
 */
export interface StatesEffect {
  /** Always `states`. */
  type: "states";
  /** The device kind. */
  kind: DeviceKind;
  /** The device's base topic. */
  base: string;
  /** Everything the device reports, as the step saw it. */
  states: PlugStates | FanStates;
  /** One {@linkcode STATE_MARK} letter per state, in protocol order. */
  marks: string;
}

/**
 * States a step left to publish: only a step asked to defer its publishing ends with one
 * (`stepPlug(state, event, true)`), and the adapter feeds it back to the step as an event,
 * in a task of its own. On an ESP8266 the step's calls are then over, and its old state
 * gone, when the states are encoded.
 */
export interface StatesDueEffect {
  /** Always `statesDue`. */
  type: "statesDue";
  /** The step's time. */
  nowMs: number;
  /** Whether it was telemetry time (or a new session): everything goes out. */
  everything: boolean;
}

/**
 * Ends a step with its states still to publish: its effects, then a
 * {@linkcode StatesDueEffect} (see {@linkcode settleStates}).
 *
 * @param state The state after the step.
 * @param nowMs The step's time.
 * @param effects The step's effects so far.
 * @param everything Whether everything goes out (telemetry time, a new session).
 * @returns The step, its last effect the states due.
 * @example
 * ```ts
 * import { leaveStatesDue } from "./device_effects.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(leaveStatesDue(1, 5, [], true).effects, [
 *   { type: "statesDue", nowMs: 5, everything: true },
 * ]);
 * ```
 */
export function leaveStatesDue<S>(
  state: S,
  nowMs: number,
  effects: DeviceEffect[],
  everything: boolean,
): { state: S; effects: DeviceEffect[] } {
  return {
    state: state,
    effects: effects.concat([{ type: "statesDue", nowMs: nowMs, everything: everything }]),
  };
}

/**
 * Finishes a step that may end with a {@linkcode StatesDueEffect}: publishes those states
 * now, unless the caller defers them.
 *
 * @param step The step.
 * @param defer Whether to leave the effect for the adapter.
 * @param publish The device's publish function, with `publishStep`'s first parameters.
 * @returns The step, published or deferred.
 * @example
 * ```ts
 * import { leaveStatesDue, settleStates } from "./device_effects.ts";
 * import assert from "node:assert/strict";
 * const step = leaveStatesDue(1, 5, [], true);
 * const publish = (state: number, nowMs: number) => ({ state: state + nowMs, effects: [] });
 * assert.deepEqual(settleStates(step, false, publish), { state: 6, effects: [] });
 * assert.equal(settleStates(step, true, publish), step);
 * ```
 */
export function settleStates<S>(
  step: { state: S; effects: DeviceEffect[] },
  defer: boolean,
  publish: (
    state: S,
    nowMs: number,
    effects: DeviceEffect[],
    everything: boolean,
  ) => { state: S; effects: DeviceEffect[] },
): { state: S; effects: DeviceEffect[] } {
  const last = step.effects[step.effects.length - 1];
  if (defer || last === undefined || last.type !== "statesDue") return step;
  return publish(step.state, last.nowMs, step.effects.slice(0, -1), last.everything);
}

/**
 * Carries out a {@linkcode StatesEffect}: one call per retained message, the snapshot last.
 *
 * @param effect The batch.
 * @param publish Called with each topic and payload, in order.
 * @example
 * ```ts
 * import { forEachStatePublish } from "./device_effects.ts";
 * import { DEFAULT_PLUG_SETTINGS } from "./settings.ts";
 * import assert from "node:assert/strict";
 * const states = {
 *   on: true, powerW: 12, voltageV: null, currentA: null, powerFactor: null, apparentVA: null,
 *   energyTotalWh: 0, energyTodayWh: 0, energyYesterdayWh: 0, fault: null,
 *   settings: DEFAULT_PLUG_SETTINGS, uptimeMs: 0,
 *   network: { rssiDbm: -61, ssid: "home", ip: "192.168.1.20", mac: "aa:bb:cc:dd:ee:ff" },
 * };
 * const sent: string[] = [];
 * forEachStatePublish(
 *   { type: "states", kind: "plugs", base: "plugs/p", states, marks: "pc" },
 *   (topic, payload) => sent.push(topic + " " + payload),
 * );
 * assert.deepEqual(sent.slice(0, 2), ["plugs/p/states/power ON", "plugs/p/states/watts "]);
 * assert.equal(JSON.parse(sent[2]!.slice("plugs/p/state ".length)).watts, 12);
 * ```
 */
export function forEachStatePublish(
  effect: StatesEffect,
  publish: (topic: string, payload: string) => void,
): void {
  let index = 0;
  let snapshot = "{";
  forEachState(effect.kind, effect.states, (param, payload, json) => {
    if (snapshot !== "{") snapshot += ",";
    snapshot += JSON.stringify(param) + ":" + json;
    const mark = effect.marks[index++];
    if (mark === STATE_MARK.publish) publish(stateTopic(effect.base, param), payload);
    else if (mark === STATE_MARK.clear) publish(stateTopic(effect.base, param), "");
  });
  // Appended, not added: on Espruino `+=` extends the text in place, `+` copies it.
  snapshot += "}";
  publish(snapshotTopic(effect.base), snapshot);
}

/** One MQTT message an effect sends. */
export interface EffectPublish {
  /** The topic. */
  topic: string;
  /** The payload. */
  payload: string;
  /** Whether the broker keeps it. */
  retain: boolean;
}

/**
 * Lists the MQTT messages a step's effects send, in order: each `publish` effect, and each
 * state of a `states` batch (discovery is left out).
 *
 * @param effects A step's effects.
 * @returns The messages.
 * @example
 * ```ts
 * import { effectPublishes } from "./device_effects.ts";
 * import assert from "node:assert/strict";
 * import { DEFAULT_FAN_SETTINGS } from "./settings.ts";
 * const states = {
 *   on: false, speed: 0, mode: "auto" as const, control: "full" as const,
 *   reason: "none" as const, tempC: 21, humidityPct: 55, settings: DEFAULT_FAN_SETTINGS,
 *   uptimeMs: 0, network: { rssiDbm: -70, ssid: "home", ip: "192.168.1.21", mac: "m" },
 * };
 * const sent = effectPublishes([
 *   { type: "publish", topic: "fans/f/availability", payload: "online", retain: true },
 *   { type: "states", kind: "fans", base: "fans/f", states, marks: "p" },
 * ]);
 * assert.deepEqual(sent.map((message) => message.topic), [
 *   "fans/f/availability", "fans/f/states/power", "fans/f/state",
 * ]);
 * ```
 */
export function effectPublishes(effects: readonly DeviceEffect[]): EffectPublish[] {
  const sent: EffectPublish[] = [];
  for (const effect of effects) {
    if (effect.type === "publish") {
      sent.push({ topic: effect.topic, payload: effect.payload, retain: effect.retain });
    } else if (effect.type === "states") {
      forEachStatePublish(effect, (topic, payload) => {
        sent.push({ topic: topic, payload: payload, retain: true });
      });
    }
  }
  return sent;
}

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

/** The states of one batch and what has now been published. */
export interface PublishBatch {
  /** The batch, or `null` when nothing goes out. */
  effect: StatesEffect | null;
  /** Payloads published so far that the next batch depends on, by state parameter. */
  published: PublishedStates;
}

/**
 * Chooses which states to publish. In the `full` telemetry mode: all of them when
 * `everything` is set, otherwise those whose payload changed, leaving the `measured` ones
 * for telemetry time. In the `snapshot` mode the `measured` ones are left to the JSON
 * snapshot (their own retained topics are cleared once with an empty payload) and the
 * others go out when they change. The snapshot goes out with every batch and at every
 * telemetry time. The states are encoded one at a time, never all held as messages, and
 * the batch holds the states themselves (see {@linkcode StatesEffect}).
 *
 * @param kind `plugs` or `fans`.
 * @param base The device's base topic.
 * @param states Everything the device reports now.
 * @param published What was published before (`null`: nothing yet).
 * @param everything Whether it is telemetry time (or a new session).
 * @param measured Parameters that wait for telemetry time.
 * @param snapshotOnly Whether the `snapshot` telemetry mode is on.
 * @returns The batch and the new published record, by parameter (`published` itself when
 * nothing was published).
 * @example
 * ```ts
 * import { publishBatch } from "./device_effects.ts";
 * import { DEFAULT_PLUG_SETTINGS } from "./settings.ts";
 * import assert from "node:assert/strict";
 * const states = {
 *   on: true, powerW: 12, voltageV: null, currentA: null, powerFactor: null, apparentVA: null,
 *   energyTotalWh: 0, energyTodayWh: 0, energyYesterdayWh: 0, fault: null,
 *   settings: DEFAULT_PLUG_SETTINGS, uptimeMs: 0,
 *   network: { rssiDbm: -61, ssid: "home", ip: "192.168.1.20", mac: "aa:bb:cc:dd:ee:ff" },
 * };
 * const first = publishBatch("plugs", "plugs/p", states, null, true, ["watts"], false);
 * assert.equal(first.effect?.marks.slice(0, 2), "pp");
 * const again = publishBatch("plugs", "plugs/p", states, first.published, false, ["watts"], false);
 * assert.equal(again.effect, null);
 * const on = Object.assign({}, states, { on: false });
 * const changed = publishBatch("plugs", "plugs/p", on, first.published, false, ["watts"], false);
 * assert.equal(changed.effect?.marks.slice(0, 2), "p-");
 * ```
 */
export function publishBatch<K extends DeviceKind>(
  kind: K,
  base: string,
  states: StatesByKind[K],
  published: PublishedStates | null,
  everything: boolean,
  measured: readonly string[],
  snapshotOnly: boolean,
): PublishBatch {
  const old = published ?? "";
  // Made only when an entry changes (most steps publish nothing): the old record up to it,
  // then every entry from there on.
  let next: PublishedStates | null = null;
  // Where the next state's entry starts in the old record, and how many entries it had.
  let at = 0;
  let entries = 0;
  let marks = "";
  let due = false;
  forEachState(kind, states, (param, current) => {
    const place = marks.length;
    const start = at;
    let entry = "";
    if (at < old.length) {
      const end = old.indexOf("\n", at + 1);
      at = end < 0 ? old.length : end;
      entry = old.slice(start + 1, at);
      entries++;
    }
    const previous = entryPayload(entry);
    const waits = measured.indexOf(param) >= 0;
    const payload = waits && snapshotOnly ? "" : current;
    let kept = entry;
    if (
      waits && !snapshotOnly ? !everything : previous === payload && !(everything && !snapshotOnly)
    ) {
      marks += STATE_MARK.skip;
    } else {
      marks += waits && snapshotOnly ? STATE_MARK.clear : STATE_MARK.publish;
      due = true;
      // In the full mode a reading goes out at telemetry time whatever it was before: only
      // its cleared topic in the snapshot mode needs remembering.
      kept = !waits || snapshotOnly ? JSON.stringify(payload) : "";
    }
    if (next === null && kept !== entry) {
      // An old record too short for this state gets empty entries up to it.
      next = old.slice(0, start) + "\n".repeat(start < old.length ? 0 : place - entries);
    }
    if (next !== null) next += "\n" + kept;
  });
  const effect: StatesEffect | null = due || everything
    ? { type: "states", kind: kind, base: base, states: states, marks: marks }
    : null;
  return { effect: effect, published: next ?? published ?? "" };
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
 * @param kind `plugs` or `fans`.
 * @param state The device's state.
 * @param nowMs Now.
 * @param effects The step's effects so far.
 * @param everything Whether it is telemetry time (or a new session).
 * @param statesOf Everything the device reports in a state.
 * @param measured Parameters that wait for telemetry time.
 * @param snapshotOnly Whether the `snapshot` telemetry mode is on.
 * @returns The new state and all effects.
 * @example
 * ```ts
 * import { publishStep } from "./device_effects.ts";
 * import { DEFAULT_FAN_SETTINGS } from "./settings.ts";
 * import assert from "node:assert/strict";
 * const state = { base: "fans/f", connected: true, published: null, lastTelemetryMs: 0 };
 * const statesOf = () => ({
 *   on: false, speed: 0, mode: "auto" as const, control: "full" as const,
 *   reason: "none" as const, tempC: 21, humidityPct: 55, settings: DEFAULT_FAN_SETTINGS,
 *   uptimeMs: 0, network: { rssiDbm: -70, ssid: "home", ip: "192.168.1.21", mac: "m" },
 * });
 * const step = publishStep("fans", state, 60000, [], true, statesOf, [], false);
 * assert.deepEqual(step.effects.map((effect) => effect.type), ["states"]);
 * assert.equal(step.state.lastTelemetryMs, 60000);
 * assert.equal(publishStep("fans", step.state, 61000, [], false, statesOf, [], false).state, step.state);
 * ```
 */
export function publishStep<K extends DeviceKind, S extends PublishingState>(
  kind: K,
  state: S,
  nowMs: number,
  effects: DeviceEffect[],
  everything: boolean,
  statesOf: (state: S) => StatesByKind[K],
  measured: readonly string[],
  snapshotOnly: boolean,
): { state: S; effects: DeviceEffect[] } {
  if (!state.connected && !everything) return { state: state, effects: effects };
  let batch: PublishBatch | null = null;
  if (state.connected) {
    batch = publishBatch(
      kind,
      state.base,
      statesOf(state),
      state.published,
      everything,
      measured,
      snapshotOnly,
    );
    if (batch.effect === null && !everything) return { state: state, effects: effects };
  }
  const next: S = Object.assign({}, state);
  if (everything) next.lastTelemetryMs = nowMs;
  if (batch === null) return { state: next, effects: effects };
  next.published = batch.published;
  if (batch.effect !== null) effects = effects.concat([batch.effect]);
  return { state: next, effects: effects };
}

/**
 * The effects of changed settings: save them, and, when the telemetry mode changed while
 * connected, announce discovery again so Home Assistant learns where the readings now are.
 *
 * @param kind `plugs` or `fans`.
 * @param connected Whether the MQTT session is up.
 * @param before The settings until now.
 * @param after The new settings.
 * @param discovery The device's discovery options with the new settings, made only when
 *   needed (on an ESP8266 an object made for nothing is some 15 variables).
 * @returns The save effect, then the discovery effect if needed.
 * @example
 * ```ts
 * import { settingsChangeEffects } from "./device_effects.ts";
 * import { DEFAULT_PLUG_SETTINGS } from "./settings.ts";
 * import assert from "node:assert/strict";
 * const after = Object.assign({}, DEFAULT_PLUG_SETTINGS, { telemetryMode: "snapshot" as const });
 * const options = { prefix: "", kind: "plugs" as const, id: "p", name: "p", swVersion: "1" };
 * const effects = settingsChangeEffects("plugs", true, DEFAULT_PLUG_SETTINGS, after, () => options);
 * assert.deepEqual(effects.map((e) => e.type), ["save", "discovery"]);
 * assert.equal(
 *   settingsChangeEffects("plugs", false, DEFAULT_PLUG_SETTINGS, after, () => options).length,
 *   1,
 * );
 * ```
 */
export function settingsChangeEffects<K extends DeviceKind>(
  kind: K,
  connected: boolean,
  before: SettingsByKind[K],
  after: SettingsByKind[K],
  discovery: () => DiscoveryOptions,
): DeviceEffect[] {
  const effects: DeviceEffect[] = [
    { type: "save", key: "settings", value: encodeSettings(kind, after) },
  ];
  if (connected && after.telemetryMode !== before.telemetryMode) {
    effects.push({ type: "discovery", options: discovery() });
  }
  return effects;
}

/**
 * The effects of a new MQTT session: the command subscription, availability online,
 * discovery. The caller then publishes every state.
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
 * assert.deepEqual(effects[0], { type: "subscribe", filter: "plugs/p/commands/+" });
 * assert.deepEqual(effects[1], {
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
    // Subscribed before it says online: a command sent once it is online is heard.
    { type: "subscribe", filter: commandFilter },
    { type: "publish", topic: availabilityTopic(base), payload: "online", retain: true },
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

/**
 * Finds a device's refusal of a command among a step's effects: the reason of its message
 * on `<base>/errors` (a device publishes one only while connected).
 *
 * @param base The device's base topic.
 * @param effects A step's effects.
 * @returns The reason, or `null` when the step refused nothing.
 * @example
 * ```ts
 * import { rejectedCommand, rejectionIn } from "./device_effects.ts";
 * import assert from "node:assert/strict";
 * const effects = rejectedCommand("fans/f", true, { param: "speed", payload: "9", error: "too fast" });
 * assert.equal(rejectionIn("fans/f", effects), "too fast");
 * assert.equal(rejectionIn("fans/f", []), null);
 * ```
 */
export function rejectionIn(base: string, effects: readonly DeviceEffect[]): string | null {
  const topic = errorsTopic(base);
  for (const effect of effects) {
    if (effect.type === "publish" && effect.topic === topic) {
      return commandErrorReason(effect.payload);
    }
  }
  return null;
}
