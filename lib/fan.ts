/**
 * The exhaust fan controller, as a pure transition `stepFan(state, event, settings)`.
 *
 * - Start-up purge: after boot the fan runs `warmMs` at speed 1 (the sensor sits in the
 *   duct and only reads room air while air moves), then decides from the sensor. A reading
 *   that already asks for the fan ends the purge early at full speed.
 * - Criteria, each with its own hysteresis, any one asking runs the fan at `maxSpeed`:
 *   humidity (`humUsing`; ON at `humOnPct`, OFF at `humOffPct`), rise (`humUsing` and
 *   `humRisePct` > 0; see `humidity_baseline.ts`) and temperature (`tempUsing`). The fan
 *   stops only when all used criteria are off. Reason `humidity` covers both humidity ones.
 * - While off with a working sensor, a check run at speed 1 every `checkPeriodMs` (counted
 *   from the last stop) samples the room; it lasts `warmMs`, or `minOnMs` if longer.
 *   `timeUsing` adds the timer cycle (`timerOnMs` on, `timerOffMs` off, from boot) at speed 1.
 * - Without a sensor (no valid reading yet, or the last one `sensorStaleMs` old) the timer
 *   cycle runs instead; `control` says `remote` or `timer`. A failed (`sensor_missing`) or
 *   implausible reading (NaN, humidity outside 0..100, temperature outside -40..85) is
 *   ignored rather than dropping the sensor at once: the last valid reading stays in force
 *   until it is stale, so one glitch of a cheap sensor cannot stop a shower run. The
 *   criteria restart from off when the sensor is lost; a valid reading brings it back.
 * - The automatic logic never starts sooner than `minOffMs` after a stop, nor stops sooner
 *   than `minOnMs` after a start; while held, the previous reason stays. Manual commands
 *   act at once; so does safety: a continuous run of `maxRunMs` (0 = no limit; manual parts
 *   included) stops the fan with reason `safety` for `cooldownMs` (at least 1 ms).
 * - Manual override: `power` ON (speed `maxSpeed`) or OFF, or `speed` N (0..maxSpeed, 0 is
 *   off), sets mode `manual`; AUTO returns to automatic. A manual command wins over the
 *   cooldown and is not cut by `maxRunMs` (a person asked for it), but back in automatic
 *   the whole run counts. When the network drops in manual mode the fan returns to
 *   automatic, since nobody could end the override any more; a command arriving while the
 *   network is down (a local button) stays in force.
 * - Events older than the last one are taken as happening now (the clock never runs back);
 *   events of unknown type or with bad fields (a speed of 7, power "toggle") change
 *   nothing. Any first event boots the controller if `boot` was not sent.
 *
 * @module
 */

import type { FanSettings } from "./settings.ts";
import type { ClimateReading } from "./ports.ts";
import { emptyBaseline, riseDemand, updateBaseline } from "./humidity_baseline.ts";
import { copyFanState, decideFan, fanTopSpeed } from "./fan_decide.ts";
import type { FanEvent, FanOutputs, FanState, FanStep } from "./fan_types.ts";

export type { FanSettings } from "./settings.ts";
export type { ClimateReading } from "./ports.ts";
export { nextFanDeadlineMs } from "./fan_decide.ts";

export type * from "./fan_types.ts";

/**
 * Returns the state of a fan that has just powered up and not yet booted.
 *
 * @param nowMs The current time.
 * @returns A stopped fan in automatic mode, without sensor or network.
 * @example
 * ```ts
 * import { fanOutputs, initialFanState } from "./fan.ts";
 * import { DEFAULT_FAN_SETTINGS } from "./settings.ts";
 * import assert from "node:assert/strict";
 * const out = fanOutputs(initialFanState(0), DEFAULT_FAN_SETTINGS);
 * assert.equal(out.on, false);
 * assert.equal(out.control, "timer");
 * ```
 */
export function initialFanState(nowMs: number): FanState {
  const atMs = isFinite(nowMs) ? nowMs : 0;
  return {
    nowMs: atMs,
    booted: false,
    bootMs: atMs,
    speed: 0,
    reason: "none",
    mode: "auto",
    manualSpeed: 0,
    networkUp: false,
    sensorOk: false,
    lastReadingMs: null,
    humidityPct: null,
    tempC: null,
    humidityOn: false,
    temperatureOn: false,
    riseOn: false,
    baseline: emptyBaseline(),
    switchedMs: null,
    runStartMs: null,
    cooldownStartMs: null,
    checkStartMs: null,
  };
}

const hysteresis = (wasOn: boolean, value: number, onAt: number, offAt: number): boolean => {
  if (value >= onAt) return true;
  if (value <= offAt) return false;
  return wasOn;
};

const isValidClimate = (humidityPct: unknown, tempC: unknown): boolean =>
  typeof humidityPct === "number" && typeof tempC === "number" && isFinite(humidityPct) &&
  isFinite(tempC) && humidityPct >= 0 && humidityPct <= 100 && tempC >= -40 && tempC <= 85;

/** Folds a reading into the draft the caller owns; invalid or old readings change nothing. */
const applyReading = (
  draft: FanState,
  humidityPct: number,
  tempC: number,
  atMs: number,
  settings: FanSettings,
): void => {
  if (!isValidClimate(humidityPct, tempC) || !(draft.nowMs - atMs < settings.sensorStaleMs)) {
    return;
  }
  if (draft.lastReadingMs !== null && atMs < draft.lastReadingMs) return;
  draft.humidityOn = hysteresis(
    draft.humidityOn,
    humidityPct,
    settings.humOnPct,
    settings.humOffPct,
  );
  draft.temperatureOn = hysteresis(draft.temperatureOn, tempC, settings.tempOnC, settings.tempOffC);
  draft.riseOn = riseDemand(draft.riseOn, humidityPct, draft.baseline.pct, settings.humRisePct);
  const slow = draft.humidityOn || draft.riseOn;
  draft.baseline = updateBaseline(draft.baseline, humidityPct, atMs, slow);
  draft.sensorOk = true;
  draft.lastReadingMs = atMs;
  draft.humidityPct = humidityPct;
  draft.tempC = tempC;
};

/** Drops the sensor once its last valid reading is stale; its criteria restart from off. */
const refreshSensor = (draft: FanState, settings: FanSettings): void => {
  const fresh = draft.lastReadingMs !== null &&
    draft.nowMs - draft.lastReadingMs < settings.sensorStaleMs;
  if (fresh || !draft.sensorOk) return;
  draft.sensorOk = false;
  draft.humidityOn = false;
  draft.temperatureOn = false;
  draft.riseOn = false;
};

/** Applies the event's inputs to the draft; `false` when the event is invalid. */
const applyEvent = (draft: FanState, event: FanEvent, settings: FanSettings): boolean => {
  const e = event as unknown as Record<string, unknown>;
  if (event.type === "boot" || event.type === "tick" || event.type === "sensor_missing") {
    return true;
  }
  if (event.type === "reading") {
    const atMs = typeof e.atMs === "number" && e.atMs <= draft.nowMs ? e.atMs : draft.nowMs;
    applyReading(draft, event.humidityPct, event.tempC, atMs, settings);
    return true;
  }
  if (event.type === "network") {
    if (typeof e.up !== "boolean") return false;
    if (!event.up && draft.mode === "manual") draft.mode = "auto";
    draft.networkUp = event.up;
    return true;
  }
  if (event.type === "power") {
    if (event.command === "auto") {
      draft.mode = "auto";
      return true;
    }
    if (event.command !== "on" && event.command !== "off") return false;
    draft.mode = "manual";
    draft.manualSpeed = event.command === "on" ? fanTopSpeed(settings) : 0;
    return true;
  }
  if (event.type === "speed") {
    const speed = event.speed;
    if (typeof speed !== "number" || Math.floor(speed) !== speed) return false;
    if (speed < 0 || speed > fanTopSpeed(settings)) return false;
    draft.mode = "manual";
    draft.manualSpeed = speed;
    return true;
  }
  return false;
};

/**
 * Advances the controller by one event.
 *
 * @param state The current state (not modified).
 * @param event What happened, and when (`nowMs`).
 * @param settings The fan's settings.
 * @returns The new state and a `{ type: "fan", speed }` effect if the speed changed.
 * @example
 * ```ts
 * import { initialFanState, stepFan } from "./fan.ts";
 * import { DEFAULT_FAN_SETTINGS } from "./settings.ts";
 * import assert from "node:assert/strict";
 * const settings = DEFAULT_FAN_SETTINGS;
 * let step = stepFan(initialFanState(0), { type: "boot", nowMs: 0 }, settings);
 * assert.deepEqual(step.effects, [{ type: "fan", speed: 1 }]); // start-up purge
 * step = stepFan(step.state, { type: "reading", nowMs: 1000, humidityPct: 90, tempC: 21 }, settings);
 * assert.deepEqual(step.effects, [{ type: "fan", speed: 2 }]);
 * assert.equal(step.state.reason, "humidity");
 * ```
 */
export function stepFan(state: FanState, event: FanEvent, settings: FanSettings): FanStep {
  const unchanged: FanStep = { state: state, effects: [] };
  if (event === null || typeof event !== "object" || typeof event.nowMs !== "number") {
    return unchanged;
  }
  if (!isFinite(event.nowMs)) return unchanged;
  const nowMs = event.nowMs < state.nowMs ? state.nowMs : event.nowMs;
  const draft = copyFanState(state);
  draft.nowMs = nowMs;
  if (!draft.booted) {
    draft.booted = true;
    draft.bootMs = nowMs;
  }
  if (!applyEvent(draft, event, settings)) return unchanged;
  refreshSensor(draft, settings);
  const next = decideFan(draft, settings);
  return {
    state: next,
    effects: next.speed === state.speed ? [] : [{ type: "fan", speed: next.speed }],
  };
}

/**
 * Turns what the climate sensor port returned into a fan event.
 *
 * @param reading The sensor's reading, or `null` when it did not answer.
 * @param nowMs The current time.
 * @returns A `reading` event (carrying the reading's own time) or a `sensor_missing` event.
 * @example
 * ```ts
 * import { fanEventFromReading } from "./fan.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(fanEventFromReading(null, 5), { type: "sensor_missing", nowMs: 5 });
 * const event = fanEventFromReading({ humidityPct: 55, tempC: 20, atMs: 4 }, 5);
 * assert.equal(event.type, "reading");
 * ```
 */
export function fanEventFromReading(reading: ClimateReading | null, nowMs: number): FanEvent {
  if (reading === null) return { type: "sensor_missing", nowMs: nowMs };
  return {
    type: "reading",
    nowMs: nowMs,
    humidityPct: reading.humidityPct,
    tempC: reading.tempC,
    atMs: reading.atMs,
  };
}

/**
 * Returns what the fan publishes: speed, mode, control, reason and the readings in use.
 *
 * @param state The controller state.
 * @param settings The fan's settings (the baseline is only reported while `humRisePct` > 0).
 * @returns The published view of the state.
 * @example
 * ```ts
 * import { fanOutputs, initialFanState, stepFan } from "./fan.ts";
 * import { DEFAULT_FAN_SETTINGS } from "./settings.ts";
 * import assert from "node:assert/strict";
 * let state = stepFan(initialFanState(0), { type: "network", nowMs: 0, up: true }, DEFAULT_FAN_SETTINGS).state;
 * state = stepFan(state, { type: "power", nowMs: 1, command: "on" }, DEFAULT_FAN_SETTINGS).state;
 * const out = fanOutputs(state, DEFAULT_FAN_SETTINGS);
 * assert.equal(out.mode, "manual");
 * assert.equal(out.speed, 2);
 * assert.equal(out.control, "remote"); // network up, no sensor reading yet
 * ```
 */
export function fanOutputs(state: FanState, settings: FanSettings): FanOutputs {
  const control = state.sensorOk
    ? (state.networkUp ? "full" : "sensor")
    : (state.networkUp ? "remote" : "timer");
  return {
    on: state.speed > 0,
    speed: state.speed,
    mode: state.mode,
    control: control,
    reason: state.reason,
    humidityPct: state.sensorOk ? state.humidityPct : null,
    tempC: state.sensorOk ? state.tempC : null,
    baselinePct: settings.humRisePct > 0 ? state.baseline.pct : null,
  };
}
