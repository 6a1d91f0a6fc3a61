/**
 * What the device page's action forms send (relay, fan, Wi-Fi, firmware tag), checked and
 * turned into the device's own MQTT commands (`{param, payload}`), so that the page and a
 * controller go through one command path with the same rules; plus the signal bars the
 * page shows. Nothing is applied here.
 *
 * @module
 */

import { checkFanCommand, type CommandText, parseCommandText } from "./commands.ts";
import { err, ok, type Result } from "./result.ts";
import type { FanSettings } from "./settings.ts";
import { formText } from "./web_settings.ts";

/** A checked Wi-Fi provisioning request. */
export interface WifiRequest {
  /** Network name. */
  ssid: string;
  /** Passphrase (`""` for an open network). */
  password: string;
}

/**
 * Turns a signal strength into the 0..4 bars a phone shows.
 *
 * @param rssiDbm Signal strength, or `null`/0 when there is no link.
 * @returns 4 at -55 dBm or better, then one bar less per 10 dB, 0 below -85 dBm.
 * @example
 * ```ts
 * import { signalBars } from "./web_forms.ts";
 * import assert from "node:assert/strict";
 * assert.equal(signalBars(-50), 4);
 * assert.equal(signalBars(-72), 2);
 * assert.equal(signalBars(null), 0);
 * ```
 */
export function signalBars(rssiDbm: number | null): number {
  if (typeof rssiDbm !== "number" || !isFinite(rssiDbm) || rssiDbm >= 0) return 0;
  if (rssiDbm >= -55) return 4;
  if (rssiDbm >= -65) return 3;
  if (rssiDbm >= -75) return 2;
  return rssiDbm >= -85 ? 1 : 0;
}

const onlyFields = (body: Record<string, unknown>, allowed: string[]): Result<true> => {
  for (const name of Object.keys(body)) {
    if (allowed.indexOf(name) < 0) {
      return err(
        "unknown field " + JSON.stringify(name) + " (expected " + allowed.join(", ") + ")",
      );
    }
  }
  return ok(true);
};

/**
 * Checks a relay action from the plug page: `{action: "on"|"off"|"toggle"}` or
 * `{action: "pulse", seconds}` (on, then off after that long; 0 cancels).
 *
 * @param body The request's object.
 * @returns The plug command to send, or why the request is refused.
 * @example
 * ```ts
 * import { relayCommands } from "./web_forms.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(relayCommands({ action: "toggle" }), { ok: true, value: [{ param: "power", payload: "TOGGLE" }] });
 * assert.deepEqual(relayCommands({ action: "pulse", seconds: 2.5 }), {
 *   ok: true,
 *   value: [{ param: "pulse", payload: "2.5" }],
 * });
 * assert.equal(relayCommands({ action: "explode" }).ok, false);
 * ```
 */
export function relayCommands(body: Record<string, unknown>): Result<CommandText[]> {
  const fields = onlyFields(body, ["action", "seconds"]);
  if (!fields.ok) return err(fields.error);
  const action = typeof body.action === "string" ? body.action.toLowerCase() : body.action;
  if (action === "on" || action === "off" || action === "toggle") {
    if (body.seconds !== undefined) return err("seconds goes only with action pulse");
    return ok([{ param: "power", payload: action.toUpperCase() }]);
  }
  if (action !== "pulse") return err("action must be on, off, toggle or pulse");
  const text = formText(body.seconds);
  if (text === null || typeof body.seconds === "boolean") {
    return err("pulse needs seconds: a number from 0 to 86400");
  }
  const parsed = parseCommandText("plugs", "pulse", text);
  if (!parsed.ok) return err(parsed.error);
  return ok([{ param: "pulse", payload: text }]);
}

/**
 * Checks a fan action from the fan page: `{power: "on"|"off"|"auto"}` and/or
 * `{speed: n}` (a manual speed, 0 to the fan's `max_speed`).
 *
 * @param body The request's object.
 * @param settings The fan's current settings (for `max_speed`).
 * @returns The fan commands to send in order, or why the request is refused.
 * @example
 * ```ts
 * import { fanCommands } from "./web_forms.ts";
 * import { DEFAULT_FAN_SETTINGS } from "./settings.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(fanCommands({ power: "auto" }, DEFAULT_FAN_SETTINGS), {
 *   ok: true,
 *   value: [{ param: "power", payload: "AUTO" }],
 * });
 * assert.deepEqual(fanCommands({ speed: 3 }, DEFAULT_FAN_SETTINGS), {
 *   ok: false,
 *   error: "speed must be between 0 and 2, got 3",
 * });
 * ```
 */
export function fanCommands(
  body: Record<string, unknown>,
  settings: FanSettings,
): Result<CommandText[]> {
  const fields = onlyFields(body, ["power", "speed"]);
  if (!fields.ok) return err(fields.error);
  if (body.power === undefined && body.speed === undefined) {
    return err("send power (on, off or auto) or speed");
  }
  const commands: CommandText[] = [];
  if (body.power !== undefined) {
    const power = typeof body.power === "string" ? body.power.toLowerCase() : body.power;
    if (power !== "on" && power !== "off" && power !== "auto") {
      return err("power must be on, off or auto");
    }
    commands.push({ param: "power", payload: power.toUpperCase() });
  }
  if (body.speed !== undefined) {
    const text = typeof body.speed === "boolean" ? null : formText(body.speed);
    if (text === null) return err("speed must be a whole number from 0 to " + settings.maxSpeed);
    const parsed = parseCommandText("fans", "speed", text);
    if (!parsed.ok) return err(parsed.error);
    const checked = checkFanCommand(settings, parsed.value);
    if (!checked.ok) return err(checked.error);
    commands.push({ param: "speed", payload: text });
  }
  return ok(commands);
}

/**
 * Checks a Wi-Fi provisioning request: `{ssid, password}`. The password is never echoed.
 *
 * @param body The request's object.
 * @returns The network to join, or why the request is refused.
 * @example
 * ```ts
 * import { checkWifiRequest } from "./web_forms.ts";
 * import assert from "node:assert/strict";
 * assert.equal(checkWifiRequest({ ssid: "home", password: "12345678" }).ok, true);
 * assert.deepEqual(checkWifiRequest({ ssid: "home", password: "short" }), {
 *   ok: false,
 *   error: "password must be empty (open network) or 8 to 63 characters",
 * });
 * ```
 */
export function checkWifiRequest(body: Record<string, unknown>): Result<WifiRequest> {
  const fields = onlyFields(body, ["ssid", "password"]);
  if (!fields.ok) return err(fields.error);
  const ssid = body.ssid;
  const password = body.password === undefined ? "" : body.password;
  if (typeof ssid !== "string" || ssid.length < 1 || ssid.length > 32) {
    return err("ssid must be 1 to 32 characters");
  }
  if (typeof password !== "string") return err("password must be text");
  if (password.length !== 0 && (password.length < 8 || password.length > 63)) {
    return err("password must be empty (open network) or 8 to 63 characters");
  }
  return ok({ ssid: ssid, password: password });
}

const VERSION_TAG = "// housegrid-version:";
const NUMBER_PATTERN = /^[0-9]+$/;
const SUFFIX_PATTERN = /^[0-9A-Za-z.-]+$/;

const isVersion = (text: string): boolean => {
  const dash = text.indexOf("-");
  const core = dash < 0 ? text : text.slice(0, dash);
  const parts = core.split(".");
  if (parts.length !== 3 || text.length > 32) return false;
  for (const part of parts) if (!NUMBER_PATTERN.test(part)) return false;
  return dash < 0 || SUFFIX_PATTERN.test(text.slice(dash + 1));
};

/**
 * Reads the version tag of a firmware bundle: a first line `// housegrid-version: x.y.z`
 * (an optional `-suffix` allowed).
 *
 * @param code The bundle's text.
 * @returns The version, `null` when the bundle has no tag, or an error for a bad tag.
 * @example
 * ```ts
 * import { firmwareVersionTag } from "./web_forms.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(firmwareVersionTag("// housegrid-version: 1.2.3\nvar a;"), { ok: true, value: "1.2.3" });
 * assert.deepEqual(firmwareVersionTag("var a;"), { ok: true, value: null });
 * assert.equal(firmwareVersionTag("// housegrid-version: soon\n").ok, false);
 * ```
 */
export function firmwareVersionTag(code: string): Result<string | null> {
  const end = code.indexOf("\n");
  const first = (end < 0 ? code : code.slice(0, end)).trim();
  if (first.indexOf(VERSION_TAG) !== 0) return ok(null);
  const version = first.slice(VERSION_TAG.length).trim();
  if (!isVersion(version)) {
    return err(
      "the version tag must read // housegrid-version: x.y.z (digits), got " +
        JSON.stringify(version.slice(0, 40)),
    );
  }
  return ok(version);
}
