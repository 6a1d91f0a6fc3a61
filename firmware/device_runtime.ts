/**
 * What plug and fan firmware share: one pure device (`lib/plug_device.ts` or
 * `lib/fan_device.ts`) run on Espruino. Events go through {@linkcode Runtime.dispatch};
 * effects are carried out in order (publish and subscribe through the MQTT port, saves
 * through the bounded store, outputs through the driver); one timer wakes the device at
 * its next deadline (or when the store has a held write).
 *
 * Home Assistant discovery is published one message at a time, `DISCOVERY_GAP_MS`
 * apart, each built only when it is sent: the whole set (9 to 14 KB) would not fit in an
 * ESP8266's memory, nor in its socket buffer.
 *
 * The clock is the wall clock (energy days need it), and an ESP8266 learns the time by
 * SNTP only after boot: {@linkcode Runtime.every} notices such a jump and moves the
 * device's `bootMs` with it, so `uptime` stays right.
 *
 * @module
 */

import {
  type DeviceEffect,
  forEachStatePublish,
  type StatesDueEffect,
  type StatesEffect,
} from "../lib/device_effects.ts";
import { discoveryMessageAt, discoveryMessageCount } from "../lib/discovery.ts";
import type { DiscoveryOptions } from "../lib/discovery.ts";
import type { NetworkInfo } from "../lib/ports.ts";
import { storeFlush, storeNextFlushMs, storeWrite } from "./storage.ts";
import type { BoundedStore } from "./storage.ts";

/** Time between two discovery messages. */
export const DISCOVERY_GAP_MS = 250;

/** A clock that moved this much more (or less) than a timer's period was set. */
export const CLOCK_JUMP_MS = 60000;

/** The events every device understands. */
export type RuntimeEvent =
  | StatesDueEffect
  | { type: "tick"; nowMs: number }
  | { type: "connected"; nowMs: number }
  | { type: "disconnected"; nowMs: number }
  | { type: "message"; nowMs: number; topic: string; payload: Uint8Array; retained: boolean }
  | { type: "network"; nowMs: number; network: NetworkInfo }
  // MQTT sent what was written to its socket (Espruino's `drain`): the outbox goes on (no
  // step). One message at a time waits in Espruino's send buffer: messages written at once
  // would sit there, in RAM, until the network takes them.
  | { type: "sent" };

/** One pure device, as the runtime drives it. */
export interface DeviceDriver<S extends { bootMs: number }, X> {
  /**
   * Advances the device; with `deferStates`, the states to publish are left as a last
   * `statesDue` effect, which the runtime feeds back as an event in a task of its own.
   */
  step(state: S, event: RuntimeEvent | X, deferStates: boolean): {
    state: S;
    effects: DeviceEffect[];
  };
  /** When the device next needs a tick. */
  deadlineMs(state: S): number;
  /** Drives an output effect (`relay` or `fan`). */
  output(effect: DeviceEffect): void;
}

/** What the runtime uses around it. */
export interface RuntimePorts {
  /** Publishes; `false` when not connected. */
  publish(topic: string, payload: string, retain: boolean): boolean;
  /** Subscribes. */
  subscribe(filter: string): void;
  /** The bounded store. */
  store: BoundedStore;
  /** The clock in ms. */
  nowMs(): number;
  /** `setTimeout`. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** `clearTimeout`. */
  clearTimeout(id: unknown): void;
  /** `setInterval`. */
  setInterval(callback: () => void, ms: number): unknown;
  /** A console line. */
  log(text: string): void;
}

// A batch of states as one outbox string: `b`, `<base>/`, a NUL, then each message as its
// topic after `<base>/`, a NUL, its payload's length, `:` and the payload. Encoded in the
// step's task, whose encoding functions are still made, and sent in the next: the encoding's
// call stack and the MQTT client's are then not in memory together.
const packStates = (effect: StatesEffect): string => {
  const prefix = effect.base + "/";
  let packed = "b" + prefix + "\u0000";
  forEachStatePublish(effect, (topic, payload) => {
    // Piece by piece: Espruino appends `+=` in place, where a sum would first copy the
    // payload (the state snapshot, some 60 variables on an ESP8266).
    packed += topic.slice(prefix.length);
    packed += "\u0000";
    packed += payload.length;
    packed += ":";
    packed += payload;
  });
  return packed;
};

// Reads the message at `at` of an outbox item: its topic (or, for a subscription, `""`),
// its payload (or the filter), whether it is retained, and where a batch's next message
// starts (0 when none is left). A batch is read in place: a copy of its rest would be the
// whole batch again (some 140 variables for a fan's states on an ESP8266).
const messageAt = (item: string, at: number): [string, string, boolean, number] => {
  if (item[0] === "s") return ["", item.slice(1), false, 0];
  const prefixEnd = item.indexOf("\u0000");
  if (item[0] !== "b") {
    return [item.slice(1, prefixEnd), item.slice(prefixEnd + 1), item[0] === "r", 0];
  }
  if (at === 0) at = prefixEnd + 1;
  const nul = item.indexOf("\u0000", at);
  const colon = item.indexOf(":", nul);
  const end = colon + 1 + parseInt(item.slice(nul + 1, colon), 10);
  return [
    item.slice(1, prefixEnd) + item.slice(at, nul),
    item.slice(colon + 1, end),
    true,
    end < item.length ? end : 0,
  ];
};

// What `dispatch` is given to publish the states a step left (a text: compared by value, it
// stays the same whenever the lazy loader makes this module's constants again).
const STATES_DUE = "statesDue";

/** A running device. */
export interface Runtime<S, X> {
  /**
   * Feeds an event; its effects are carried out before it returns them, but for the states
   * it leaves to publish, which go out from a task of their own.
   */
  dispatch(event: RuntimeEvent | X): DeviceEffect[];
  /** The device's state. */
  state(): S;
  /**
   * Whether states or messages wait to be published. Work that may wait (a command from the
   * page) runs when nothing does: a telemetry batch's text is some 60 variables on an ESP8266.
   */
  busy(): boolean;
  /** Runs `work` every `periodMs`, noticing clock jumps on the way. */
  every(periodMs: number, work: () => void): void;
}

/** What the hardware's own work (sampling, sensor reading) is given of the runtime. */
export type HardwareRuntime<S, X> = Omit<Runtime<S, X>, "busy">;

/**
 * Starts a device from its booted state and the boot step's effects.
 *
 * @param driver The pure device's functions and the output driver.
 * @param ports MQTT, store, clock and timers.
 * @param booted The boot step: first state and effects (`undefined` is refused; the type
 *   only lets the runtime drop its reference).
 * @returns The running device.
 * @example
 * ```ts
 * import { startRuntime } from "./device_runtime.ts";
 * import { createStore, DEFAULT_STORE_LIMITS } from "./storage.ts";
 * import assert from "node:assert/strict";
 * const outputs: boolean[] = [];
 * const driver = {
 *   step: (state: { bootMs: number }) => ({ state, effects: [] }),
 *   deadlineMs: () => 60000,
 *   output: (effect: { type: string; on?: boolean }) => outputs.push(effect.on === true),
 * };
 * const store = createStore({
 *   read: () => undefined, write: () => true, readJSON: () => undefined,
 *   writeJSON: () => true, erase: () => {}, getFree: () => 1e6,
 * }, () => 0, DEFAULT_STORE_LIMITS);
 * const ports = {
 *   publish: () => false, subscribe: () => {}, store, nowMs: () => 0,
 *   setTimeout: () => 0, clearTimeout: () => {}, setInterval: () => 0, log: () => {},
 * };
 * startRuntime(driver, ports, { state: { bootMs: 0 }, effects: [{ type: "relay", on: true }] });
 * assert.deepEqual(outputs, [true]);
 * ```
 */
export function startRuntime<S extends { bootMs: number }, X>(
  driver: DeviceDriver<S, X>,
  ports: RuntimePorts,
  booted: { state: S; effects: DeviceEffect[] } | undefined,
): Runtime<S, X> {
  if (booted === undefined) throw new Error("startRuntime: no boot step");
  let state = booted.state;
  let bootEffects: DeviceEffect[] | undefined = booted.effects;
  // Closures keep this whole scope: let the first state go, and keep each port alone
  // rather than the object, whose long names cost the chip a variable more each. What is
  // let go becomes `undefined`, not `null`: on Espruino each `null` is a variable.
  booted = undefined;
  const publish = ports.publish;
  const subscribe = ports.subscribe;
  const store = ports.store;
  const nowMs = ports.nowMs;
  const later = ports.setTimeout;
  const cancel = ports.clearTimeout;
  const repeat = ports.setInterval;
  const log = ports.log;
  ports = undefined as unknown as RuntimePorts;
  let timer: unknown;
  let discovery: DiscoveryOptions | undefined;
  let discoveryIndex = 0;
  let discoveryTimer: unknown;

  // Publishes and subscriptions wait for a task of their own, in order: the MQTT code
  // they load is then not in memory together with the device (or discovery) code that
  // made them.
  // Each as one string, `r` (retained) or `n` + topic + NUL + payload, or `s` + filter (a
  // topic never holds a NUL), or a batch of states (`packStates`).
  const outbox: string[] = [];
  // Where the next message of the batch first in the outbox starts (0: at its start).
  let batchAt = 0;
  let pumpTimer: unknown;
  // A message was written and MQTT has not said it went yet (the `sent` event).
  let writing = false;
  // The states the last step left to publish (see the `statesDue` effect).
  let statesDue: StatesDueEffect | undefined;
  // The discovery message built last, for the pump, and the options it belongs to.
  let discoveryOut: { topic: string; payload: string } | undefined;
  let discoveryOf: DiscoveryOptions | undefined;
  const pump = (): void => {
    pumpTimer = undefined;
    // The states a step left go out first, encoded in this task: the step is over, and the
    // MQTT code that sends them runs in the next one.
    if (statesDue !== undefined) {
      dispatch(STATES_DUE);
      if (pumpTimer === undefined && outbox.length > 0) pumpTimer = later(pump, 0);
      return;
    }
    if (writing) return;
    // The discovery message first: the next discovery message would take its place.
    const message = discoveryOut;
    const owner = discoveryOf;
    // Neither stays once sent: the options would outlive the discovery they belong to.
    discoveryOut = undefined;
    discoveryOf = undefined;
    if (message !== undefined) {
      writing = publish(message.topic, message.payload, true);
      // Disconnected: stop; the next session's `discovery` effect starts over.
      if (!writing && discovery === owner) discovery = undefined;
      if (!writing && outbox.length > 0) pumpTimer = later(pump, 0);
      return;
    }
    // Disconnected, every message is dropped at once (as MQTT drops a QoS 0 message then).
    while (outbox.length > 0 && !writing) {
      const first = messageAt(outbox[0] as string, batchAt);
      // The rest of a batch stays ahead of anything queued since.
      batchAt = first[3];
      if (batchAt === 0) outbox.shift();
      if (first[0] === "") subscribe(first[1]);
      else writing = publish(first[0], first[1], first[2]);
    }
  };
  const publishDiscovery = (): void => {
    discoveryTimer = undefined;
    if (discovery === undefined) return;
    // The last one still waits for the pump (MQTT is slow to send): it keeps its place.
    if (discoveryOut !== undefined) {
      discoveryTimer = later(publishDiscovery, DISCOVERY_GAP_MS);
      return;
    }
    if (discoveryIndex >= discoveryMessageCount(discovery.kind)) {
      discovery = undefined;
      return;
    }
    const message = discoveryMessageAt(discovery, discoveryIndex++);
    if (!message.ok) {
      log("discovery: " + message.error);
      discovery = undefined;
      return;
    }
    discoveryOut = message.value;
    discoveryOf = discovery;
    if (pumpTimer === undefined) pumpTimer = later(pump, 0);
    discoveryTimer = later(publishDiscovery, DISCOVERY_GAP_MS);
  };
  // `null` carries out the boot's effects, nothing (the device timer) flushes the store and
  // ticks; each step sets the device timer again: one function instead of four.
  const dispatch = (event?: RuntimeEvent | X | typeof STATES_DUE | null): DeviceEffect[] => {
    const type = event === null || typeof event !== "object" ? "" : (event as RuntimeEvent).type;
    // A lost connection says nothing more of what it was sending.
    if (type === "sent" || type === "disconnected") writing = false;
    if (type === "sent") {
      if (pumpTimer === undefined) pumpTimer = later(pump, 0);
      return [];
    }
    // Whatever comes next sees the states of the step before it published, as the device
    // would publish them without the deferral.
    if (statesDue !== undefined && event !== STATES_DUE) dispatch(STATES_DUE);
    let effects = bootEffects as DeviceEffect[];
    // Let the boot's effects go once carried out.
    bootEffects = undefined;
    if (event === undefined) {
      timer = undefined;
      storeFlush(store);
      event = { type: "tick", nowMs: nowMs() };
    }
    if (event === STATES_DUE) {
      if (statesDue === undefined) return [];
      event = statesDue;
      statesDue = undefined;
    }
    if (event !== null) {
      const step = driver.step(state, event, true);
      state = step.state;
      effects = step.effects;
    }
    for (const effect of effects) {
      if (effect.type === "publish" || effect.type === "subscribe" || effect.type === "states") {
        outbox.push(
          effect.type === "publish"
            ? (effect.retain ? "r" : "n") + effect.topic + "\u0000" + effect.payload
            : effect.type === "states"
            ? packStates(effect)
            : "s" + effect.filter,
        );
        if (pumpTimer === undefined) pumpTimer = later(pump, 0);
      } else if (effect.type === "statesDue") {
        // One at most: the states of a step before were published before this one ran.
        statesDue = effect;
        if (pumpTimer === undefined) pumpTimer = later(pump, 0);
      } else if (effect.type === "save") storeWrite(store, effect.key, effect.value);
      else if (effect.type === "discovery") {
        discovery = effect.options;
        discoveryIndex = 0;
        if (discoveryTimer === undefined) {
          discoveryTimer = later(publishDiscovery, DISCOVERY_GAP_MS);
        }
      } else driver.output(effect);
    }
    if (timer !== undefined) cancel(timer);
    let deadline = driver.deadlineMs(state);
    const flush = storeNextFlushMs(store);
    if (flush !== null && flush < deadline) deadline = flush;
    // `dispatch` itself is the timer's function: no closure (which would also keep this
    // scope), no function of its own.
    timer = later(dispatch, Math.max(0, deadline - nowMs()));
    return effects;
  };
  dispatch(null);
  return {
    dispatch: dispatch,
    state: () => state,
    busy: () => outbox.length > 0 || statesDue !== undefined,
    every: (periodMs, work) => {
      let lastMs = nowMs();
      repeat(() => {
        const now = nowMs();
        const jumpMs = now - lastMs - periodMs;
        lastMs = now;
        if (jumpMs > CLOCK_JUMP_MS || jumpMs < -CLOCK_JUMP_MS) {
          log("clock moved by " + Math.round(jumpMs / 1000) + " s");
          state = Object.assign({}, state, { bootMs: state.bootMs + jumpMs });
          // The device's deadlines moved: a tick now, which sets the timer again.
          if (timer !== undefined) cancel(timer);
          timer = undefined;
          dispatch();
        }
        work();
      }, periodMs);
    },
  };
}
