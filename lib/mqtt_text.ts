/**
 * Strict UTF-8 decoding that gives the same string on Deno and on Espruino 2v29.
 *
 * Why not `String.fromCharCode`: on Espruino it keeps only the low 8 bits of a code
 * (`String.fromCharCode(0x20ac)` is `"\u00ac"`), and its strings hold code points, not
 * UTF-16 units. `JSON.parse` of `\uXXXX` escapes builds the right string on both (on
 * Espruino a surrogate-pair escape becomes one astral character), so non-ASCII text is
 * decoded into an ASCII JSON string literal and parsed. Pure ASCII takes a direct path.
 * Validity follows the WHATWG Encoding Standard: overlong forms, UTF-16 surrogates and code
 * points above U+10FFFF are invalid.
 *
 * @module
 */

import { err, type Result } from "./result.ts";
import { decodeUtf8 } from "./utf8.ts";
import type { MqttPublishPacket } from "./mqtt_packet.ts";

/**
 * Decodes strict UTF-8 from `bytes[start..end)` (U+0000 is allowed here).
 *
 * @param bytes The bytes.
 * @param start First byte of the text.
 * @param end One past the last byte of the text.
 * @returns The text, or an error at the first invalid sequence.
 * @example
 * ```ts
 * import { decodeUtf8Range } from "./mqtt_text.ts";
 * import assert from "node:assert/strict";
 * const bytes = new Uint8Array([0x00, 0x32, 0x30, 0xc2, 0xb0, 0xf0, 0x9f, 0x98, 0x80]);
 * assert.deepEqual(decodeUtf8Range(bytes, 1, 9), { ok: true, value: "20°😀" });
 * assert.equal(decodeUtf8Range(new Uint8Array([0xc0, 0xaf]), 0, 2).ok, false);
 * ```
 */
export function decodeUtf8Range(bytes: Uint8Array, start: number, end: number): Result<string> {
  const text = decodeUtf8(bytes.subarray(start, end));
  return text.ok ? text : err("text is not valid UTF-8");
}

/**
 * Reads a PUBLISH payload as strict UTF-8 text (commands are plain text).
 *
 * @param packet The received PUBLISH.
 * @returns The text, or an error when the payload is not valid UTF-8.
 * @example
 * ```ts
 * import { publishText } from "./mqtt_text.ts";
 * import assert from "node:assert/strict";
 * const packet = {
 *   cmd: "publish" as const, topic: "t", payload: new Uint8Array([0x4f, 0x4e]), qos: 0 as const, retain: false, dup: false,
 * };
 * assert.deepEqual(publishText(packet), { ok: true, value: "ON" });
 * ```
 */
export function publishText(packet: MqttPublishPacket): Result<string> {
  const text = decodeUtf8Range(packet.payload, 0, packet.payload.length);
  return text.ok ? text : err("payload is not valid UTF-8");
}
