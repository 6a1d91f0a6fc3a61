/**
 * The smart plug's relay controller as one pure transition: commands, pulses, the power-on
 * state, the minimum switching interval and the over-power cut-off.
 *
 * Rules, and why:
 * - Minimum switching interval (protects the contacts): a change asked for sooner than
 *   `minSwitchIntervalMs` after the last change is not dropped, so a quick ON then OFF still
 *   ends where the user asked. It becomes `pendingOn` and is applied by the first event (a
 *   tick, usually) at or after `lastChangeMs + minSwitchIntervalMs`. The last request wins;
 *   a request for the state the relay is already in cancels the pending change.
 * - `toggle` flips the state last asked for (the pending one if any): two quick toggles cancel.
 * - A pulse closes the relay and opens it `durationMs` after it actually closed (the clock
 *   starts late when the close was pending). `on`, `off` and `toggle` cancel a running pulse
 *   (`on` keeps the relay closed). A pulse of 0 ends a running pulse now, so a pulse always
 *   ends off; with no pulse running it changes nothing.
 * - Over-power: counted from power samples taken while the relay is closed. When samples stay
 *   above `maxPowerW` for `overPowerHoldMs`, the relay opens at once (bypassing the interval)
 *   and `fault` says why. Only samples trip it: a tick carries no measurement, and tripping on
 *   a stale one could cut a load that already dropped. Any command that closes the relay
 *   (`on`, a `toggle` to on, a pulse) clears the fault.
 * - Boot resets everything (a reboot has opened the relay) and always emits the power-on state,
 *   so the adapter drives its output to a known level; it is not rate limited, since nothing
 *   knows when the relay last moved before the power cut. An unknown power-on state means off.
 * - An event with a bad number (NaN, infinite, negative duration) or an unknown type or action
 *   is ignored: the same state comes back with no effects.
 *
 * @module
 */

import type { PlugSettings } from "./settings.ts";

/**
 * State of the relay controller; build the first one with {@link initialRelayState}.
 *
 * @example
 * ```ts
 * import { initialRelayState, type RelayState } from "./relay.ts";
 * import assert from "node:assert/strict";
 * const pulse = { startMs: 1000, durationMs: 5000 };
 * const pulsing: RelayState = Object.assign(initialRelayState(), { on: true, pulse: pulse });
 * assert.equal(pulsing.pendingOn, null);
 * ```
 */
export interface RelayState {
  /** Whether the relay is closed (the load is powered). */
  on: boolean;
  /** When the relay last moved; `null` before the first move. */
  lastChangeMs: number | null;
  /** A change waiting for the minimum switching interval; `null` when none. */
  pendingOn: boolean | null;
  /**
   * The running pulse, or `null`: the relay opens once `durationMs` has passed since
   * `startMs` (when the relay closed; the command time while the close is pending).
   */
  pulse: { startMs: number; durationMs: number } | null;
  /** Since when power samples have stayed above the limit with the relay closed, or `null`. */
  overPowerSinceMs: number | null;
  /** Why the relay was cut off (e.g. `over_power: 2412 W > 2000 W for 2 s`), or `null`. */
  fault: string | null;
}

/**
 * An input of the relay controller; every event carries the current time `nowMs`.
 * `boot` passes the last persisted relay state, used by `powerOnState: "last"`.
 *
 * @example
 * ```ts
 * import type { RelayEvent } from "./relay.ts";
 * import assert from "node:assert/strict";
 * const events: RelayEvent[] = [
 *   { type: "boot", nowMs: 0, lastOn: true },
 *   { type: "command", action: "toggle", nowMs: 900 },
 *   { type: "pulse", durationMs: 2000, nowMs: 1900 },
 *   { type: "power", powerW: 41.5, nowMs: 2000 },
 *   { type: "tick", nowMs: 3900 },
 * ];
 * assert.equal(events.length, 5);
 * ```
 */
export type RelayEvent =
  | { type: "boot"; nowMs: number; lastOn: boolean }
  | { type: "command"; action: "on" | "off" | "toggle"; nowMs: number }
  | { type: "pulse"; durationMs: number; nowMs: number }
  | { type: "power"; powerW: number; nowMs: number }
  | { type: "tick"; nowMs: number };

/**
 * An output for the adapter: drive the relay, or publish the new fault (`null` = cleared).
 *
 * @example
 * ```ts
 * import type { RelayEffect } from "./relay.ts";
 * import assert from "node:assert/strict";
 * const cutOff: RelayEffect[] = [
 *   { type: "relay", on: false },
 *   { type: "fault", fault: "over_power: 2412 W > 2000 W for 2 s" },
 * ];
 * assert.equal(cutOff[0]?.type, "relay");
 * ```
 */
export type RelayEffect = { type: "relay"; on: boolean } | { type: "fault"; fault: string | null };

const isTime = (value: unknown): boolean => typeof value === "number" && isFinite(value);

// Settings are parsed elsewhere, but a NaN that slipped through must not freeze the timers.
const positiveOrZero = (value: number): number => (isTime(value) && value > 0 ? value : 0);

const formatNumber = (value: number): string => String(Math.round(value * 10) / 10);

const isValidEvent = (event: RelayEvent): boolean => {
  if (typeof event !== "object" || event === null || !isTime(event.nowMs)) return false;
  if (event.type === "boot") return typeof event.lastOn === "boolean";
  if (event.type === "command") {
    return event.action === "on" || event.action === "off" || event.action === "toggle";
  }
  if (event.type === "pulse") return isTime(event.durationMs) && event.durationMs >= 0;
  if (event.type === "power") return isTime(event.powerW);
  return event.type === "tick";
};

const canSwitch = (state: RelayState, nowMs: number, settings: PlugSettings): boolean =>
  state.lastChangeMs === null ||
  nowMs - state.lastChangeMs >= positiveOrZero(settings.minSwitchIntervalMs);

const moveRelay = (next: RelayState, on: boolean, nowMs: number, effects: RelayEffect[]) => {
  next.on = on;
  next.lastChangeMs = nowMs;
  next.pendingOn = null;
  next.overPowerSinceMs = null;
  if (on && next.pulse !== null) {
    next.pulse = { startMs: nowMs, durationMs: next.pulse.durationMs };
  }
  effects.push({ type: "relay", on: on });
};

const requestRelay = (
  next: RelayState,
  on: boolean,
  nowMs: number,
  settings: PlugSettings,
  effects: RelayEffect[],
) => {
  if (on === next.on) next.pendingOn = null;
  else if (canSwitch(next, nowMs, settings)) moveRelay(next, on, nowMs, effects);
  else next.pendingOn = on;
};

const setFault = (next: RelayState, fault: string | null, effects: RelayEffect[]) => {
  if (next.fault === fault) return;
  next.fault = fault;
  effects.push({ type: "fault", fault: fault });
};

const advanceTimers = (
  next: RelayState,
  nowMs: number,
  settings: PlugSettings,
  effects: RelayEffect[],
) => {
  if (next.pendingOn !== null && canSwitch(next, nowMs, settings)) {
    moveRelay(next, next.pendingOn, nowMs, effects);
  }
  const pulse = next.pulse;
  if (pulse !== null && next.on && nowMs - pulse.startMs >= pulse.durationMs) {
    next.pulse = null;
    requestRelay(next, false, nowMs, settings, effects);
  }
};

const checkOverPower = (
  next: RelayState,
  powerW: number,
  nowMs: number,
  settings: PlugSettings,
  effects: RelayEffect[],
) => {
  const limitW = positiveOrZero(settings.maxPowerW);
  if (limitW === 0 || !next.on || !(powerW > limitW)) {
    next.overPowerSinceMs = null;
    return;
  }
  const sinceMs = next.overPowerSinceMs ?? nowMs;
  next.overPowerSinceMs = sinceMs;
  const heldMs = nowMs - sinceMs;
  if (heldMs < positiveOrZero(settings.overPowerHoldMs)) return;
  next.pulse = null;
  moveRelay(next, false, nowMs, effects);
  setFault(
    next,
    `over_power: ${formatNumber(powerW)} W > ${formatNumber(limitW)} W for ${
      formatNumber(heldMs / 1000)
    } s`,
    effects,
  );
};

/**
 * Returns the state of a relay that has not booted yet: open, no timers, no fault.
 *
 * @returns A fresh state.
 * @example
 * ```ts
 * import { initialRelayState } from "./relay.ts";
 * import assert from "node:assert/strict";
 * const state = initialRelayState();
 * assert.equal(state.on, false);
 * assert.equal(state.fault, null);
 * ```
 */
export function initialRelayState(): RelayState {
  return {
    on: false,
    lastChangeMs: null,
    pendingOn: null,
    pulse: null,
    overPowerSinceMs: null,
    fault: null,
  };
}

/**
 * Applies one event to the relay state (see the module rules). Never throws; an invalid
 * event returns the same state and no effects.
 *
 * @param state The current state (not changed).
 * @param event What happened, with the current time `nowMs`.
 * @param settings The plug settings (`powerOnState`, `maxPowerW`, `overPowerHoldMs`,
 *   `minSwitchIntervalMs` are used).
 * @returns The new state (a new object) and the effects to carry out, in order.
 * @example
 * ```ts
 * import { initialRelayState, stepRelay } from "./relay.ts";
 * import { DEFAULT_PLUG_SETTINGS } from "./settings.ts";
 * import assert from "node:assert/strict";
 * const settings = DEFAULT_PLUG_SETTINGS; // minSwitchIntervalMs: 500
 * let step = stepRelay(initialRelayState(), { type: "boot", nowMs: 0, lastOn: false }, settings);
 * step = stepRelay(step.state, { type: "command", action: "on", nowMs: 1000 }, settings);
 * assert.deepEqual(step.effects, [{ type: "relay", on: true }]);
 * // Too soon after the last change: held, then applied by a tick.
 * step = stepRelay(step.state, { type: "command", action: "off", nowMs: 1200 }, settings);
 * assert.deepEqual(step.effects, []);
 * step = stepRelay(step.state, { type: "tick", nowMs: 1500 }, settings);
 * assert.deepEqual(step.effects, [{ type: "relay", on: false }]);
 * ```
 */
export function stepRelay(
  state: RelayState,
  event: RelayEvent,
  settings: PlugSettings,
): { state: RelayState; effects: RelayEffect[] } {
  if (!isValidEvent(event)) return { state: state, effects: [] };
  const effects: RelayEffect[] = [];
  const nowMs = event.nowMs;
  if (event.type === "boot") {
    const mode = settings.powerOnState;
    const on = mode === "on" || (mode === "last" && event.lastOn);
    const booted = initialRelayState();
    booted.on = on;
    booted.lastChangeMs = on ? nowMs : null;
    effects.push({ type: "relay", on: on });
    if (state.fault !== null) effects.push({ type: "fault", fault: null });
    return { state: booted, effects: effects };
  }
  const next: RelayState = Object.assign({}, state);
  advanceTimers(next, nowMs, settings, effects);
  if (event.type === "command") {
    const on = event.action === "toggle" ? !(next.pendingOn ?? next.on) : event.action === "on";
    next.pulse = null;
    if (on) setFault(next, null, effects);
    requestRelay(next, on, nowMs, settings, effects);
  } else if (event.type === "pulse") {
    if (event.durationMs > 0) {
      next.pulse = { startMs: nowMs, durationMs: event.durationMs };
      setFault(next, null, effects);
      requestRelay(next, true, nowMs, settings, effects);
    } else if (next.pulse !== null) {
      next.pulse = null;
      requestRelay(next, false, nowMs, settings, effects);
    }
  } else if (event.type === "power") {
    checkOverPower(next, event.powerW, nowMs, settings, effects);
  }
  return { state: next, effects: effects };
}

/**
 * Returns the earliest time at which a tick would change the state, so an adapter can
 * schedule one timer; `null` when nothing is waiting. Over-power needs no timer: it trips on
 * power samples.
 *
 * @param state The current state.
 * @param settings The plug settings (`minSwitchIntervalMs` is used).
 * @returns The deadline in the same clock as `nowMs`, or `null`.
 * @example
 * ```ts
 * import { initialRelayState, nextRelayDeadlineMs, stepRelay } from "./relay.ts";
 * import { DEFAULT_PLUG_SETTINGS } from "./settings.ts";
 * import assert from "node:assert/strict";
 * const settings = DEFAULT_PLUG_SETTINGS;
 * assert.equal(nextRelayDeadlineMs(initialRelayState(), settings), null);
 * const step = stepRelay(initialRelayState(), { type: "pulse", durationMs: 3000, nowMs: 100 }, settings);
 * assert.equal(nextRelayDeadlineMs(step.state, settings), 3100);
 * ```
 */
export function nextRelayDeadlineMs(state: RelayState, settings: PlugSettings): number | null {
  let deadlineMs: number | null = null;
  if (state.pendingOn !== null && state.lastChangeMs !== null) {
    deadlineMs = state.lastChangeMs + positiveOrZero(settings.minSwitchIntervalMs);
  }
  const pulse = state.pulse;
  if (pulse !== null && state.on) {
    const pulseEndMs = pulse.startMs + pulse.durationMs;
    if (deadlineMs === null || pulseEndMs < deadlineMs) deadlineMs = pulseEndMs;
  }
  return deadlineMs;
}
