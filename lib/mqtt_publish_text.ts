/**
 * A QoS 0 PUBLISH packet made straight from text, as a binary string (one character per
 * byte): what a socket on Espruino writes. Made through {@linkcode encodePacket}, the
 * payload would exist three more times while it is sent (its UTF-8 bytes, the packet's
 * bytes, and their text for the socket); for ASCII text, the common case, the packet here is
 * the header, the topic and the payload joined, and nothing else is made.
 *
 * @module
 */

import { err, ok, type Result } from "./result.ts";
import { forEachUtf8Byte } from "./utf8.ts";
import { topicNameError } from "./mqtt_topic.ts";
import { encodeRemainingLength, MAX_REMAINING_LENGTH } from "./mqtt_encode.ts";

// The text's UTF-8 bytes as a binary string: the text itself when it is ASCII.
const utf8Binary = (text: string): string => {
  let index = 0;
  while (index < text.length && text.charCodeAt(index) < 0x80) index++;
  if (index === text.length) return text;
  let binary = "";
  forEachUtf8Byte(text, (byte) => {
    binary += String.fromCharCode(byte);
  });
  return binary;
};

/**
 * Encodes a QoS 0 PUBLISH (no DUP, no packet identifier) with a text payload sent as UTF-8.
 *
 * @param topic The topic name.
 * @param payload The payload text.
 * @param retain The RETAIN flag.
 * @returns The packet, one character per byte, or why the topic or size is refused.
 * @example
 * ```ts
 * import { encodePublishText } from "./mqtt_publish_text.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(encodePublishText("a/b", "ON", true), { ok: true, value: "\x31\x07\x00\x03a/bON" });
 * assert.deepEqual(encodePublishText("t", "°", false), { ok: true, value: "\x30\x05\x00\x01t\xc2\xb0" });
 * assert.equal(encodePublishText("a/+", "x", false).ok, false);
 * ```
 */
export function encodePublishText(topic: string, payload: string, retain: boolean): Result<string> {
  const topicError = topicNameError(topic);
  if (topicError !== null) return err("publish: " + topicError);
  const topicBytes = utf8Binary(topic);
  const payloadBytes = utf8Binary(payload);
  const length = encodeRemainingLength(2 + topicBytes.length + payloadBytes.length);
  if (!length.ok) {
    return err("publish: packet is longer than " + MAX_REMAINING_LENGTH + " bytes");
  }
  let header = String.fromCharCode(retain ? 0x31 : 0x30);
  for (let index = 0; index < length.value.length; index++) {
    header += String.fromCharCode(length.value[index] as number);
  }
  header += String.fromCharCode(topicBytes.length >> 8, topicBytes.length & 0xff);
  return ok(header + topicBytes + payloadBytes);
}
