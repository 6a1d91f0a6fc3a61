/**
 * MQTT protocol v1, the envelope of commands: turns any inbound message (topic, text or
 * bytes, retained flag) into a typed command, a typed error for `<base>/errors`, or a
 * reason to ignore it. The commands themselves are in `commands.ts`, what a device
 * publishes in `protocol_states.ts`.
 *
 * Parsing never throws, whatever the topic or bytes; bytes must be valid UTF-8. Retained
 * commands are ignored: a stale retained `ON` must not switch a relay at every reconnect.
 * Simulator knobs (`<prefix>sim/<id>/<knob>`) are not commands and are ignored here.
 *
 * @module
 */

import { type FanCommand, parseCommandText, type PlugCommand } from "./commands.ts";
import { err, ok, type Result } from "./result.ts";
import { baseTopic, commandTopic, type DeviceKind, errorsTopic } from "./topics.ts";
import { decodeUtf8, decodeUtf8Lossy } from "./utf8.ts";

/** Where a device lives in the topic tree: `<prefix><kind>/<id>`. */
export interface DeviceAddress {
  /** Topic prefix, empty or ending with `/`. */
  prefix: string;
  /** `plugs` or `fans`. */
  kind: DeviceKind;
  /** The device id. */
  id: string;
}

/** A rejected command, as published on `<base>/errors`. */
export interface CommandError {
  /** The command parameter (last topic level). */
  param: string;
  /** The payload as received (invalid UTF-8 shown as U+FFFD, long payloads clipped). */
  payload: string;
  /** Why it was rejected. */
  error: string;
}

/** What an inbound message means to a device. */
export type ParsedMessage =
  | { type: "command"; kind: "plugs"; param: string; payload: string; command: PlugCommand }
  | { type: "command"; kind: "fans"; param: string; payload: string; command: FanCommand }
  | { type: "error"; param: string; payload: string; error: string }
  | { type: "ignored"; why: string };

/** A message for `<base>/errors`. */
export interface ErrorMessage {
  /** `<base>/errors`. */
  topic: string;
  /** JSON `{param,payload,error}`. */
  payload: string;
  /** Always `false`: errors are events, not state. */
  retain: false;
}

// Nothing valid is longer; the cap also bounds the work on a tiny device.
const MAX_PAYLOAD_LENGTH = 256;
const ECHO_LENGTH = 64;

const clip = (text: string): string =>
  text.length > ECHO_LENGTH ? text.slice(0, ECHO_LENGTH) + "…" : text;

const payloadText = (payload: unknown): Result<string> => {
  if (typeof payload === "string") {
    if (payload.length > MAX_PAYLOAD_LENGTH) {
      return err(
        "payload too long (" + payload.length + " characters, at most " + MAX_PAYLOAD_LENGTH + ")",
      );
    }
    return ok(payload);
  }
  if (!(payload instanceof Uint8Array)) return err("payload must be text or bytes");
  if (payload.length > MAX_PAYLOAD_LENGTH) {
    return err(
      "payload too long (" + payload.length + " bytes, at most " + MAX_PAYLOAD_LENGTH + ")",
    );
  }
  return decodeUtf8(payload);
};

const echoOf = (payload: unknown): string => {
  if (typeof payload === "string") return clip(payload);
  if (!(payload instanceof Uint8Array)) return "";
  // Copied by index rather than with `subarray`, whose support on Espruino is unverified.
  const head = new Uint8Array(Math.min(payload.length, ECHO_LENGTH * 4));
  for (let index = 0; index < head.length; index++) head[index] = payload[index] as number;
  return clip(decodeUtf8Lossy(head));
};

/**
 * Parses an inbound MQTT message for one device; never throws.
 *
 * @param device The device's address (prefix, kind, id).
 * @param topic The message's topic.
 * @param payload The payload as text, or as raw bytes (decoded as strict UTF-8).
 * @param retained Whether the broker delivered it as retained (then it is ignored).
 * @returns A typed command, a typed error for `<base>/errors`, or why it was ignored
 * (another device's topic, a non-command topic, a retained message).
 * @example
 * ```ts
 * import { parseMessage } from "./protocol.ts";
 * import assert from "node:assert/strict";
 * const fan = { prefix: "", kind: "fans" as const, id: "fan1" };
 * const parsed = parseMessage(fan, "fans/fan1/commands/timer_on", "90", false);
 * assert.deepEqual(parsed, {
 *   type: "command",
 *   kind: "fans",
 *   param: "timer_on",
 *   payload: "90",
 *   command: { type: "set", key: "timerOnMs", value: 90000 },
 * });
 * const bad = parseMessage(fan, "fans/fan1/commands/hum_on", "150", false);
 * assert.equal(bad.type === "error" && bad.error, "hum_on must be between 1 and 100 %RH, got 150");
 * assert.equal(parseMessage(fan, "fans/fan1/commands/power", "ON", true).type, "ignored");
 * ```
 */
export function parseMessage(
  device: DeviceAddress,
  topic: string,
  payload: string | Uint8Array,
  retained: boolean,
): ParsedMessage {
  if (typeof device !== "object" || device === null || typeof device.prefix !== "string") {
    return { type: "ignored", why: "no device address" };
  }
  const kind = device.kind === "plugs" ? "plugs" : "fans";
  const head = commandTopic(baseTopic(device.prefix, kind, String(device.id)), "");
  if (
    typeof topic !== "string" || topic.indexOf(head) !== 0 || topic.indexOf("/", head.length) >= 0
  ) {
    return { type: "ignored", why: "not a command topic of this device" };
  }
  if (retained) return { type: "ignored", why: "retained command (a stale command must not act)" };
  const param = topic.slice(head.length);
  const text = payloadText(payload);
  if (!text.ok) {
    return { type: "error", param: clip(param), payload: echoOf(payload), error: text.error };
  }
  const command = kind === "plugs"
    ? parseCommandText("plugs", param, text.value)
    : parseCommandText("fans", param, text.value);
  if (!command.ok) {
    return { type: "error", param: clip(param), payload: clip(text.value), error: command.error };
  }
  if (kind === "plugs") {
    const plugCommand = command.value as PlugCommand;
    return {
      type: "command",
      kind: "plugs",
      param: param,
      payload: text.value,
      command: plugCommand,
    };
  }
  const fanCommand = command.value as FanCommand;
  return { type: "command", kind: "fans", param: param, payload: text.value, command: fanCommand };
}

/**
 * Encodes a rejected command as the JSON published on `<base>/errors`.
 *
 * @param error The parameter, payload and reason.
 * @returns JSON `{"param":...,"payload":...,"error":...}`.
 * @example
 * ```ts
 * import { encodeCommandError } from "./protocol.ts";
 * import assert from "node:assert/strict";
 * assert.equal(
 *   encodeCommandError({ param: "hum_on", payload: "150", error: "too high" }),
 *   '{"param":"hum_on","payload":"150","error":"too high"}',
 * );
 * ```
 */
export function encodeCommandError(error: CommandError): string {
  return JSON.stringify({
    param: String(error.param),
    payload: String(error.payload),
    error: String(error.error),
  });
}

/**
 * Reads the reason out of a `<base>/errors` payload (see {@linkcode encodeCommandError}).
 *
 * @param payload The payload as published.
 * @returns Its `error`, or the payload itself when it is not such JSON.
 * @example
 * ```ts
 * import { commandErrorReason, encodeCommandError } from "./protocol.ts";
 * import assert from "node:assert/strict";
 * const payload = encodeCommandError({ param: "speed", payload: "9", error: "too fast" });
 * assert.equal(commandErrorReason(payload), "too fast");
 * assert.equal(commandErrorReason("oops"), "oops");
 * ```
 */
export function commandErrorReason(payload: string): string {
  try {
    return String(JSON.parse(payload).error);
  } catch (_error) {
    return payload;
  }
}

/**
 * Builds the `<base>/errors` message for a rejected command.
 *
 * @param base The device's base topic.
 * @param error The parameter, payload and reason.
 * @returns The message to publish, not retained.
 * @example
 * ```ts
 * import { commandErrorMessage } from "./protocol.ts";
 * import assert from "node:assert/strict";
 * const message = commandErrorMessage("fans/f1", { param: "speed", payload: "9", error: "too fast" });
 * assert.equal(message.topic, "fans/f1/errors");
 * assert.equal(message.retain, false);
 * ```
 */
export function commandErrorMessage(base: string, error: CommandError): ErrorMessage {
  return { topic: errorsTopic(base), payload: encodeCommandError(error), retain: false };
}

/**
 * Builds the subscription filter for a device's commands.
 *
 * @param base The device's base topic.
 * @returns `<base>/commands/+`.
 * @example
 * ```ts
 * import { commandFilter } from "./protocol.ts";
 * import assert from "node:assert/strict";
 * assert.equal(commandFilter("plugs/p1"), "plugs/p1/commands/+");
 * ```
 */
export function commandFilter(base: string): string {
  return commandTopic(base, "+");
}
