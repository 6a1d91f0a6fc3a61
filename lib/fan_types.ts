/**
 * Types of the exhaust fan controller (`fan.ts`): its state, events, effects and outputs.
 *
 * @module
 */

import type { HumidityBaseline } from "./humidity_baseline.ts";

export type { HumidityBaseline } from "./humidity_baseline.ts";

/** Why the fan runs (or does not). */
export type FanReason =
  | "humidity"
  | "temperature"
  | "timer"
  | "purge"
  | "check"
  | "manual"
  | "safety"
  | "none";

/** Automatic control, or a manual override from a command. */
export type FanMode = "auto" | "manual";

/**
 * Which inputs the controller has: `full` (sensor and network), `sensor` (network down),
 * `remote` (sensor lost, network up) or `timer` (neither).
 */
export type FanControl = "full" | "sensor" | "remote" | "timer";

/**
 * Something that happened to the fan, at `nowMs`.
 *
 * - `boot`: the device started; begins the start-up purge.
 * - `tick`: time passed (send one at `nextFanDeadlineMs`).
 * - `reading`: a climate reading; `atMs` (default `nowMs`) is when it was taken.
 * - `sensor_missing`: the sensor did not answer.
 * - `network`: the connection went up or down.
 * - `power`: command ON, OFF (manual override) or AUTO (back to automatic).
 * - `speed`: command to run at a speed step 0..maxSpeed (manual override; 0 is off).
 */
export type FanEvent =
  | { type: "boot"; nowMs: number }
  | { type: "tick"; nowMs: number }
  | { type: "reading"; nowMs: number; humidityPct: number; tempC: number; atMs?: number }
  | { type: "sensor_missing"; nowMs: number }
  | { type: "network"; nowMs: number; up: boolean }
  | { type: "power"; nowMs: number; command: "on" | "off" | "auto" }
  | { type: "speed"; nowMs: number; speed: number };

/** The effect of a step: set the fan to this speed (0 = off). Emitted only on change. */
export interface FanEffect {
  /** Effect kind. */
  type: "fan";
  /** Speed step, 0..maxSpeed. */
  speed: number;
}

/** The controller's whole state; plain data, safe to serialize. */
export interface FanState {
  /** Time of the last event processed. */
  nowMs: number;
  /** Whether the controller has booted (first event seen). */
  booted: boolean;
  /** When it booted: start of the purge and anchor of the timer cycle. */
  bootMs: number;
  /** Current speed step, 0 = off. */
  speed: number;
  /** Why the fan is at this speed. */
  reason: FanReason;
  /** Automatic or manual. */
  mode: FanMode;
  /** Speed asked by the last manual command. */
  manualSpeed: number;
  /** Whether the network is up. */
  networkUp: boolean;
  /** Whether a valid reading younger than `sensorStaleMs` is in force. */
  sensorOk: boolean;
  /** When the last valid reading was taken. */
  lastReadingMs: number | null;
  /** Last valid relative humidity. */
  humidityPct: number | null;
  /** Last valid temperature. */
  tempC: number | null;
  /** Absolute humidity criterion (hysteresis state). */
  humidityOn: boolean;
  /** Temperature criterion (hysteresis state). */
  temperatureOn: boolean;
  /** Rise criterion (hysteresis state). */
  riseOn: boolean;
  /** Slow humidity baseline for the rise criterion. */
  baseline: HumidityBaseline;
  /** When the fan last switched between off and running; `null` if never. */
  switchedMs: number | null;
  /** When the current continuous run began; `null` while off. */
  runStartMs: number | null;
  /** When the current safety cooldown began; `null` if none. */
  cooldownStartMs: number | null;
  /** When the current check run began; `null` if none. */
  checkStartMs: number | null;
}

/** The result of one controller step. */
export interface FanStep {
  /** The new state. */
  state: FanState;
  /** What the adapter must do (empty when nothing changed). */
  effects: FanEffect[];
}

/** What the fan publishes. */
export interface FanOutputs {
  /** Whether the fan runs. */
  on: boolean;
  /** Speed step, 0 = off. */
  speed: number;
  /** Automatic or manual. */
  mode: FanMode;
  /** Which inputs are available. */
  control: FanControl;
  /** Why the fan is at this speed. */
  reason: FanReason;
  /** Relative humidity in use, `null` without a sensor. */
  humidityPct: number | null;
  /** Temperature in use, `null` without a sensor. */
  tempC: number | null;
  /** Baseline of the rise criterion, `null` when disabled or unknown. */
  baselinePct: number | null;
}
