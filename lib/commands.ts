/**
 * The typed commands of plugs and fans (MQTT protocol v1): reading them from a parameter
 * and its payload text, printing them back, and checking them against the current
 * settings. Words (`ON`, `toggle`) are case-insensitive; numbers are plain decimals (no
 * exponent, hex, blanks or `NaN`); durations are seconds on the wire and milliseconds in
 * commands. `protocol.ts` wraps this in topics and bytes.
 *
 * @module
 */

import { err, ok, type Result } from "./result.ts";
import type { FanSettings, PlugSettings } from "./settings.ts";
import {
  type SettingSpec,
  settingSpecByKey,
  settingSpecByName,
  settingSpecs,
  type SettingValue,
} from "./settings_schema.ts";
import { applySettingChange } from "./settings_validate.ts";
import { formatSettingValue, parseSettingText } from "./setting_value.ts";
import type { DeviceKind } from "./topics.ts";

/** A command that changes one setting; `value` is in internal units (ms, not s). */
export type SettingCommand<S, K extends keyof S> = {
  [P in K]: { type: "set"; key: P; value: S[P] };
}[K];

/** Plug settings that MQTT commands may change. */
export type PlugCommandKey = "powerOnState" | "maxPowerW" | "telemetryMs" | "telemetryMode";

/** Fan settings that MQTT commands may change. */
export type FanCommandKey = Exclude<keyof FanSettings, "cooldownMs" | "maxSpeed" | "sensorStaleMs">;

/** A command to a plug. */
export type PlugCommand =
  | { type: "power"; action: "on" | "off" | "toggle" }
  | { type: "pulse"; durationMs: number }
  | { type: "energyReset"; energyWh: number }
  | SettingCommand<PlugSettings, PlugCommandKey>;

/** A command to a fan; `speed` is checked against `maxSpeed` by {@link checkFanCommand}. */
export type FanCommand =
  | { type: "power"; action: "on" | "off" | "auto" }
  | { type: "speed"; speed: number }
  | SettingCommand<FanSettings, FanCommandKey>;

/** Command type of each device kind. */
export interface CommandByKind {
  /** A plug's commands. */
  plugs: PlugCommand;
  /** A fan's commands. */
  fans: FanCommand;
}

/** A command as its topic's last level and its payload. */
export interface CommandText {
  /** The parameter, e.g. `power`. */
  param: string;
  /** The payload, e.g. `ON`. */
  payload: string;
}

// The commands that are not settings, described like settings so that one reader and one
// printer serve both. Built on demand, like the settings schema, to keep them out of RAM.
const commandSpec = (
  key: string,
  kind: "number" | "enum",
  values: string[],
  limits: number[],
): SettingSpec => ({
  key: key,
  field: key,
  name: key,
  access: "command",
  kind: kind,
  values: values,
  unit: key === "energy_reset" ? "Wh" : key === "pulse" ? "s" : "",
  scale: key === "pulse" ? 1000 : 1,
  min: limits[0] as number,
  max: limits[1] as number,
  decimals: key === "speed" ? 0 : 3,
});

const commandsOf = (kind: DeviceKind): SettingSpec[] =>
  kind === "plugs"
    ? [
      commandSpec("power", "enum", ["on", "off", "toggle"], [0, 0]),
      commandSpec("pulse", "number", [], [0, 86400]),
      commandSpec("energy_reset", "number", [], [0, 1e9]),
    ]
    : [
      commandSpec("power", "enum", ["on", "off", "auto"], [0, 0]),
      // Checked against the settings' maxSpeed later, by checkFanCommand.
      commandSpec("speed", "number", [], [0, 100]),
    ];

const clip = (text: string): string => text.length > 64 ? text.slice(0, 64) + "…" : text;

const kindLabel = (kind: DeviceKind): string => kind === "plugs" ? "plug" : "fan";

// The spec that reads `param`, or the message saying why there is none.
const specOfParam = (kind: DeviceKind, param: string): Result<SettingSpec> => {
  const command = commandsOf(kind).find((spec) => spec.name === param);
  if (command !== undefined) return ok(command);
  const setting = settingSpecByName(kind, param);
  if (setting !== null && setting.access === "command") return ok(setting);
  if (setting !== null) {
    return err(
      param + " is a " + kindLabel(kind) +
        " setting that MQTT cannot change; use the settings page",
    );
  }
  const names = commandsOf(kind).map((spec) => spec.name).concat(
    settingSpecs(kind).filter((spec) => spec.access === "command").map((spec) => spec.name),
  );
  return err(
    "unknown " + kindLabel(kind) + " command " + JSON.stringify(clip(param)) +
      " (expected one of " + names.join(", ") + ")",
  );
};

const buildCommand = (
  spec: SettingSpec,
  value: SettingValue,
): PlugCommand | FanCommand => {
  if (spec.key === "power") {
    return { type: "power", action: value } as PlugCommand | FanCommand;
  }
  if (spec.key === "pulse") return { type: "pulse", durationMs: value as number };
  if (spec.key === "energy_reset") return { type: "energyReset", energyWh: value as number };
  if (spec.key === "speed") return { type: "speed", speed: value as number };
  return { type: "set", key: spec.key, value: value } as PlugCommand | FanCommand;
};

/**
 * Reads a command from its parameter (the last topic level) and payload text.
 *
 * @param kind `plugs` or `fans`.
 * @param param The parameter, e.g. `pulse`.
 * @param text The payload, taken as is (an empty `energy_reset` means 0 Wh).
 * @returns The typed command, or why it is rejected (the text for `<base>/errors`).
 * @example
 * ```ts
 * import { parseCommandText } from "./commands.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseCommandText("plugs", "pulse", "2.5"), {
 *   ok: true,
 *   value: { type: "pulse", durationMs: 2500 },
 * });
 * assert.deepEqual(parseCommandText("plugs", "power", "Toggle"), {
 *   ok: true,
 *   value: { type: "power", action: "toggle" },
 * });
 * assert.equal(parseCommandText("fans", "speed", "0x10").ok, false);
 * ```
 */
export function parseCommandText<K extends DeviceKind>(
  kind: K,
  param: string,
  text: string,
): Result<CommandByKind[K]> {
  const spec = specOfParam(kind, param);
  if (!spec.ok) return err(spec.error);
  const source = spec.value.key === "energy_reset" && text === "" ? "0" : text;
  const value = parseSettingText(spec.value, source);
  if (!value.ok) return err(value.error);
  return ok(buildCommand(spec.value, value.value) as CommandByKind[K]);
}

const formatCommand = (kind: DeviceKind, command: PlugCommand | FanCommand): CommandText => {
  if (command.type === "power") return { param: "power", payload: command.action.toUpperCase() };
  if (command.type === "set") {
    const spec = settingSpecByKey(kind, command.key);
    if (spec === null) return { param: String(command.key), payload: String(command.value) };
    return { param: spec.name, payload: formatSettingValue(spec, command.value) };
  }
  const name = command.type === "energyReset" ? "energy_reset" : command.type;
  const value = command.type === "pulse"
    ? command.durationMs
    : command.type === "energyReset"
    ? command.energyWh
    : command.speed;
  const spec = commandsOf(kind).find((candidate) => candidate.key === name) as SettingSpec;
  return { param: name, payload: formatSettingValue(spec, value) };
};

/**
 * Prints a plug command as a controller sends it (to `<base>/commands/<param>`).
 *
 * @param command The command.
 * @returns Its parameter and payload, which {@link parseCommandText} reads back as the same
 * command.
 * @example
 * ```ts
 * import { formatPlugCommand } from "./commands.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(formatPlugCommand({ type: "pulse", durationMs: 1500 }), { param: "pulse", payload: "1.5" });
 * assert.deepEqual(formatPlugCommand({ type: "set", key: "powerOnState", value: "last" }), {
 *   param: "power_on_state",
 *   payload: "LAST",
 * });
 * ```
 */
export function formatPlugCommand(command: PlugCommand): CommandText {
  return formatCommand("plugs", command);
}

/**
 * Prints a fan command as a controller sends it (to `<base>/commands/<param>`).
 *
 * @param command The command.
 * @returns Its parameter and payload, which {@link parseCommandText} reads back as the same
 * command.
 * @example
 * ```ts
 * import { formatFanCommand } from "./commands.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(formatFanCommand({ type: "power", action: "auto" }), { param: "power", payload: "AUTO" });
 * assert.deepEqual(formatFanCommand({ type: "set", key: "humUsing", value: false }), {
 *   param: "hum_using",
 *   payload: "OFF",
 * });
 * ```
 */
export function formatFanCommand(command: FanCommand): CommandText {
  return formatCommand("fans", command);
}

/**
 * Checks a parsed plug command against the current settings and applies a setting change.
 *
 * @param settings The current settings (not modified).
 * @param command A parsed command.
 * @returns The settings after the command (unchanged unless it is a `set`), or the error
 * text for `<base>/errors`.
 * @example
 * ```ts
 * import { checkPlugCommand } from "./commands.ts";
 * import { DEFAULT_PLUG_SETTINGS } from "./settings.ts";
 * import assert from "node:assert/strict";
 * const result = checkPlugCommand(DEFAULT_PLUG_SETTINGS, { type: "set", key: "maxPowerW", value: 2000 });
 * assert.equal(result.ok && result.value.maxPowerW, 2000);
 * ```
 */
export function checkPlugCommand(
  settings: PlugSettings,
  command: PlugCommand,
): Result<PlugSettings> {
  if (command.type !== "set") return ok(settings);
  return applySettingChange("plugs", settings, command.key, command.value);
}

/**
 * Checks a parsed fan command against the current settings (speed within `maxSpeed`,
 * `_off` below `_on`) and applies a setting change.
 *
 * @param settings The current settings (not modified).
 * @param command A parsed command.
 * @returns The settings after the command (unchanged unless it is a `set`), or the error
 * text for `<base>/errors`.
 * @example
 * ```ts
 * import { checkFanCommand } from "./commands.ts";
 * import { DEFAULT_FAN_SETTINGS } from "./settings.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(checkFanCommand(DEFAULT_FAN_SETTINGS, { type: "speed", speed: 3 }), {
 *   ok: false,
 *   error: "speed must be between 0 and 2, got 3",
 * });
 * const lowered = checkFanCommand(DEFAULT_FAN_SETTINGS, { type: "set", key: "humOnPct", value: 50 });
 * assert.deepEqual(lowered, { ok: false, error: "hum_on must be above hum_off (70 %RH), got 50" });
 * ```
 */
export function checkFanCommand(settings: FanSettings, command: FanCommand): Result<FanSettings> {
  if (command.type === "speed") {
    if (command.speed > settings.maxSpeed) {
      return err("speed must be between 0 and " + settings.maxSpeed + ", got " + command.speed);
    }
    return ok(settings);
  }
  if (command.type !== "set") return ok(settings);
  return applySettingChange("fans", settings, command.key, command.value);
}
