/**
 * Typed settings of a plug and a fan, with their defaults, grouped by device kind.
 * The schema of every field is in `settings_schema.ts`, validation in
 * `settings_validate.ts`, storage in `settings_codec.ts`.
 *
 * Durations are milliseconds in code; the MQTT protocol speaks seconds.
 *
 * @module
 */

import type { DeviceKind } from "./topics.ts";

/** What the relay does when power comes back. */
export type PowerOnState = "off" | "on" | "last";

/**
 * What a telemetry period publishes. `full`: every state on its own topic and the JSON
 * snapshot. `snapshot`: only the JSON snapshot carries the readings (their own topics are
 * cleared); the other states still go out on change. One message per period instead of
 * about twenty, for large fleets and slow links.
 */
export type TelemetryMode = "full" | "snapshot";

/** Settings of a smart plug. */
export interface PlugSettings {
  /** Relay state after power-up. */
  powerOnState: PowerOnState;
  /** Over-power limit in watts; 0 means no limit. */
  maxPowerW: number;
  /** How long power must stay above `maxPowerW` before the relay opens. */
  overPowerHoldMs: number;
  /** Shortest time between two relay changes, to protect the contacts. */
  minSwitchIntervalMs: number;
  /** Telemetry period. */
  telemetryMs: number;
  /** What each telemetry period publishes. */
  telemetryMode: TelemetryMode;
  /** Mains voltage assumed when only current is measured. */
  nominalVoltageV: number;
  /** Amperes per ADC unit of the current channel. */
  currentGainA: number;
  /** Volts per ADC unit of the voltage channel. */
  voltageGainV: number;
  /** Phase correction between the voltage and current channels, in degrees. */
  phaseCorrectionDeg: number;
  /** Local time offset from UTC in minutes, for the midnight rollover of energy. */
  tzOffsetMin: number;
}

/** Settings of an exhaust fan. */
export interface FanSettings {
  /** Automatic ON at or above this relative humidity. */
  humOnPct: number;
  /** Automatic OFF at or below this relative humidity (below `humOnPct`). */
  humOffPct: number;
  /** ON when humidity rises this much above its slow baseline; 0 disables. */
  humRisePct: number;
  /** Automatic ON at or above this temperature. */
  tempOnC: number;
  /** Automatic OFF at or below this temperature (below `tempOnC`). */
  tempOffC: number;
  /** Whether humidity drives the fan. */
  humUsing: boolean;
  /** Whether temperature drives the fan. */
  tempUsing: boolean;
  /** Whether the timer cycle runs even while the sensor is available. */
  timeUsing: boolean;
  /** Timer cycle: on period. */
  timerOnMs: number;
  /** Timer cycle: off period. */
  timerOffMs: number;
  /** Purge run at start-up and for each periodic check. */
  warmMs: number;
  /** Period of the checks while off; 0 disables them. */
  checkPeriodMs: number;
  /** Shortest run once started (except for safety). */
  minOnMs: number;
  /** Shortest rest once stopped (except for safety). */
  minOffMs: number;
  /** Longest continuous run before a safety stop; 0 means no limit. */
  maxRunMs: number;
  /** Rest enforced after a safety stop. */
  cooldownMs: number;
  /** Highest speed step (1 = single-speed fan). */
  maxSpeed: number;
  /** A reading older than this counts as missing. */
  sensorStaleMs: number;
  /** Telemetry period. */
  telemetryMs: number;
  /** What each telemetry period publishes. */
  telemetryMode: TelemetryMode;
}

/** Default plug settings. */
export const DEFAULT_PLUG_SETTINGS: PlugSettings = {
  powerOnState: "off",
  maxPowerW: 0,
  overPowerHoldMs: 2000,
  minSwitchIntervalMs: 500,
  telemetryMs: 60000,
  telemetryMode: "full",
  nominalVoltageV: 230,
  currentGainA: 0.05,
  voltageGainV: 0.8,
  phaseCorrectionDeg: 0,
  tzOffsetMin: 0,
};

/** Default fan settings. */
export const DEFAULT_FAN_SETTINGS: FanSettings = {
  // The rise criterion catches showers, so the absolute thresholds are only a backstop. In
  // the real-data replay (bench/FAN_REPLAY.md) 80/70 caught the same 96/98 showers as 70/60
  // with ~47 fewer fan-hours outside any shower: a damp room idles at 60-70 %RH for hours.
  humOnPct: 80,
  humOffPct: 70,
  humRisePct: 10,
  tempOnC: 30,
  tempOffC: 27,
  humUsing: true,
  tempUsing: false,
  timeUsing: false,
  timerOnMs: 10 * 60000,
  timerOffMs: 50 * 60000,
  warmMs: 60000,
  checkPeriodMs: 30 * 60000,
  minOnMs: 120000,
  minOffMs: 60000,
  maxRunMs: 2 * 3600000,
  cooldownMs: 10 * 60000,
  maxSpeed: 2,
  sensorStaleMs: 5 * 60000,
  telemetryMs: 60000,
  telemetryMode: "full",
};

/** Settings type of each device kind. */
export interface SettingsByKind {
  /** A smart plug's settings. */
  plugs: PlugSettings;
  /** An exhaust fan's settings. */
  fans: FanSettings;
}

/** A field name of the settings of kind `K`. */
export type SettingKey<K extends DeviceKind> = Extract<keyof SettingsByKind[K], string>;

/**
 * Returns a fresh copy of a device kind's default settings.
 *
 * @param kind `plugs` or `fans`.
 * @returns The defaults, safe to change.
 * @example
 * ```ts
 * import { defaultSettings } from "./settings.ts";
 * import assert from "node:assert/strict";
 * assert.equal(defaultSettings("fans").humOnPct, 80);
 * ```
 */
export function defaultSettings<K extends DeviceKind>(kind: K): SettingsByKind[K] {
  const defaults = kind === "plugs" ? DEFAULT_PLUG_SETTINGS : DEFAULT_FAN_SETTINGS;
  return Object.assign({}, defaults) as SettingsByKind[K];
}
