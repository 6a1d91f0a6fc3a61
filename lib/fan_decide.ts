/**
 * The decision half of the fan controller (`fan.ts`): given the inputs already folded into
 * the state, which speed and reason hold now, and when that could next change by itself.
 *
 * @module
 */

import type { FanSettings } from "./settings.ts";
import type { FanReason, FanState } from "./fan_types.ts";
import { nextTimerChangeMs, timerCycleOn } from "./fan_timer.ts";

export type { FanSettings } from "./settings.ts";
export type * from "./fan_types.ts";

/**
 * Returns the highest usable speed step: `maxSpeed` rounded down, at least 1.
 *
 * @param settings The fan's settings.
 * @returns The speed used for humidity and temperature runs and for manual ON.
 * @example
 * ```ts
 * import { fanTopSpeed } from "./fan_decide.ts";
 * import { DEFAULT_FAN_SETTINGS } from "./settings.ts";
 * import assert from "node:assert/strict";
 * assert.equal(fanTopSpeed(DEFAULT_FAN_SETTINGS), 2);
 * assert.equal(fanTopSpeed(Object.assign({}, DEFAULT_FAN_SETTINGS, { maxSpeed: NaN })), 1);
 * ```
 */
export function fanTopSpeed(settings: FanSettings): number {
  return isFinite(settings.maxSpeed) && settings.maxSpeed >= 1 ? Math.floor(settings.maxSpeed) : 1;
}

/**
 * Copies a fan state (the baseline too), so that a step can change the copy in place.
 *
 * A literal with every field is many times faster than `Object.assign({}, state)` on V8,
 * and the controller copies its state at every step.
 *
 * @param state The state to copy.
 * @returns An equal object that shares nothing mutable with `state`.
 * @example
 * ```ts
 * import { copyFanState } from "./fan_decide.ts";
 * import { initialFanState } from "./fan.ts";
 * import assert from "node:assert/strict";
 * const state = initialFanState(0);
 * const copy = copyFanState(state);
 * assert.deepEqual(copy, state);
 * assert.notEqual(copy.baseline, state.baseline);
 * ```
 */
export function copyFanState(state: FanState): FanState {
  return {
    nowMs: state.nowMs,
    booted: state.booted,
    bootMs: state.bootMs,
    speed: state.speed,
    reason: state.reason,
    mode: state.mode,
    manualSpeed: state.manualSpeed,
    networkUp: state.networkUp,
    sensorOk: state.sensorOk,
    lastReadingMs: state.lastReadingMs,
    humidityPct: state.humidityPct,
    tempC: state.tempC,
    humidityOn: state.humidityOn,
    temperatureOn: state.temperatureOn,
    riseOn: state.riseOn,
    baseline: { pct: state.baseline.pct, atMs: state.baseline.atMs },
    switchedMs: state.switchedMs,
    runStartMs: state.runStartMs,
    cooldownStartMs: state.cooldownStartMs,
    checkStartMs: state.checkStartMs,
  };
}

/** Sets speed and reason on a draft the caller owns, keeping the run bookkeeping. */
const setSpeed = (draft: FanState, speed: number, reason: FanReason): FanState => {
  const wasOn = draft.speed > 0;
  const isOn = speed > 0;
  const continuesCheck = wasOn && draft.reason === "check" && draft.checkStartMs !== null;
  if (wasOn !== isOn) draft.switchedMs = draft.nowMs;
  draft.runStartMs = isOn ? (wasOn ? draft.runStartMs : draft.nowMs) : null;
  draft.checkStartMs = reason === "check"
    ? (continuesCheck ? draft.checkStartMs : draft.nowMs)
    : null;
  draft.speed = speed;
  draft.reason = reason;
  return draft;
};

/** A safety stop rests at least 1 ms, so that even with `cooldownMs` 0 the stop is seen. */
const cooldownLengthMs = (settings: FanSettings): number =>
  settings.cooldownMs >= 1 ? settings.cooldownMs : 1;

interface Wish {
  speed: number;
  reason: FanReason;
}

const automaticWish = (state: FanState, settings: FanSettings): Wish => {
  const nowMs = state.nowMs;
  const top = fanTopSpeed(settings);
  const timerOn = timerCycleOn(state.bootMs, nowMs, settings.timerOnMs, settings.timerOffMs);
  if (state.sensorOk) {
    if (settings.humUsing && (state.humidityOn || state.riseOn)) {
      return { speed: top, reason: "humidity" };
    }
    if (settings.tempUsing && state.temperatureOn) return { speed: top, reason: "temperature" };
  }
  if (nowMs - state.bootMs < settings.warmMs) return { speed: 1, reason: "purge" };
  if (!state.sensorOk) {
    return timerOn ? { speed: 1, reason: "timer" } : { speed: 0, reason: "none" };
  }
  if (
    state.speed > 0 && state.checkStartMs !== null && nowMs - state.checkStartMs < settings.warmMs
  ) {
    return { speed: 1, reason: "check" };
  }
  if (settings.timeUsing && timerOn) return { speed: 1, reason: "timer" };
  const offSinceMs = state.switchedMs === null ? state.bootMs : state.switchedMs;
  if (
    state.speed === 0 && settings.checkPeriodMs > 0 && settings.warmMs > 0 &&
    nowMs - offSinceMs >= settings.checkPeriodMs
  ) {
    return { speed: 1, reason: "check" };
  }
  return { speed: 0, reason: "none" };
};

/**
 * Settles the fan's speed and reason at `state.nowMs`, in this order: manual override;
 * safety stop after `maxRunMs` and the cooldown after it; the automatic wish (humidity or
 * temperature, purge, timer without sensor, check, timer with `timeUsing`); and finally the
 * `minOnMs`/`minOffMs` holds on that wish. `stepFan` calls it after every event.
 *
 * @param state The state with its inputs (readings, mode, sensor) already updated.
 * @param settings The fan's settings.
 * @returns The state with `speed`, `reason` and the run bookkeeping settled.
 * @example
 * ```ts
 * import { decideFan } from "./fan_decide.ts";
 * import { initialFanState } from "./fan.ts";
 * import { DEFAULT_FAN_SETTINGS } from "./settings.ts";
 * import assert from "node:assert/strict";
 * const booted = Object.assign(initialFanState(0), { booted: true });
 * assert.equal(decideFan(booted, DEFAULT_FAN_SETTINGS).reason, "purge");
 * const later = Object.assign({}, booted, { nowMs: 120000 }); // purge over, no sensor
 * assert.equal(decideFan(later, DEFAULT_FAN_SETTINGS).reason, "timer");
 * ```
 */
export function decideFan(state: FanState, settings: FanSettings): FanState {
  if (!state.booted) return state;
  const draft = copyFanState(state);
  const nowMs = draft.nowMs;
  if (draft.mode === "manual") {
    return setSpeed(draft, Math.min(draft.manualSpeed, fanTopSpeed(settings)), "manual");
  }
  const running = draft.speed > 0;
  if (
    running && settings.maxRunMs > 0 && draft.runStartMs !== null &&
    nowMs - draft.runStartMs >= settings.maxRunMs
  ) {
    draft.cooldownStartMs = nowMs;
    return setSpeed(draft, 0, "safety");
  }
  if (draft.cooldownStartMs !== null) {
    if (nowMs - draft.cooldownStartMs < cooldownLengthMs(settings)) {
      return setSpeed(draft, 0, "safety");
    }
    draft.cooldownStartMs = null;
  }
  const wish = automaticWish(draft, settings);
  const sinceSwitchMs = draft.switchedMs === null ? Infinity : nowMs - draft.switchedMs;
  if (running && wish.speed === 0 && sinceSwitchMs < settings.minOnMs) return draft;
  if (!running && wish.speed > 0 && sinceSwitchMs < settings.minOffMs) {
    return setSpeed(draft, 0, "none");
  }
  return setSpeed(draft, wish.speed, wish.reason);
}

/**
 * Returns the next moment a `tick` could change the fan, so an adapter can sleep until then.
 *
 * Events (readings, commands) may change it sooner; ask again after each step.
 *
 * @param state The controller state.
 * @param settings The fan's settings.
 * @returns A time strictly after `state.nowMs`, or `null` when nothing is pending.
 * @example
 * ```ts
 * import { nextFanDeadlineMs } from "./fan_decide.ts";
 * import { initialFanState, stepFan } from "./fan.ts";
 * import { DEFAULT_FAN_SETTINGS } from "./settings.ts";
 * import assert from "node:assert/strict";
 * const state = stepFan(initialFanState(0), { type: "boot", nowMs: 0 }, DEFAULT_FAN_SETTINGS).state;
 * assert.equal(nextFanDeadlineMs(state, DEFAULT_FAN_SETTINGS), 60000); // end of the purge
 * ```
 */
export function nextFanDeadlineMs(state: FanState, settings: FanSettings): number | null {
  if (!state.booted) return null;
  const candidates: number[] = [
    state.bootMs + settings.warmMs,
    state.lastReadingMs === null ? NaN : state.lastReadingMs + settings.sensorStaleMs,
    state.checkStartMs === null ? NaN : state.checkStartMs + settings.warmMs,
    state.switchedMs === null
      ? NaN
      : state.switchedMs + (state.speed > 0 ? settings.minOnMs : settings.minOffMs),
    state.cooldownStartMs === null ? NaN : state.cooldownStartMs + cooldownLengthMs(settings),
    state.runStartMs === null || !(settings.maxRunMs > 0)
      ? NaN
      : state.runStartMs + settings.maxRunMs,
    state.speed > 0 || !(settings.checkPeriodMs > 0)
      ? NaN
      : (state.switchedMs === null ? state.bootMs : state.switchedMs) + settings.checkPeriodMs,
  ];
  const timerMs = nextTimerChangeMs(
    state.bootMs,
    state.nowMs,
    settings.timerOnMs,
    settings.timerOffMs,
  );
  if (timerMs !== null && (!state.sensorOk || settings.timeUsing)) candidates.push(timerMs);
  let earliestMs: number | null = null;
  for (const atMs of candidates) {
    if (isFinite(atMs) && atMs > state.nowMs && (earliestMs === null || atMs < earliestMs)) {
      earliestMs = atMs;
    }
  }
  return earliestMs;
}
