/**
 * MQTT 3.1.1 packet decoder: the bytes of one whole packet in, a packet object out, or a
 * clear error for anything malformed (reserved flag bits, bad lengths, ill-formed UTF-8,
 * U+0000, wildcards in a topic name, trailing bytes). Never throws, whatever the bytes.
 *
 * @module
 */

import { err, ok, type Result } from "./result.ts";
import { decodeUtf8Range } from "./mqtt_text.ts";
import type { MqttConnectPacket, MqttPacket, MqttSubscription } from "./mqtt_packet.ts";
import { topicFilterError, topicNameError } from "./mqtt_topic.ts";

/**
 * A decoded remaining length and how many bytes its varint took.
 *
 * @example
 * ```ts
 * import { decodeRemainingLength, type RemainingLength } from "./mqtt_decode.ts";
 * import assert from "node:assert/strict";
 * const expected: RemainingLength = { value: 128, byteCount: 2 };
 * assert.deepEqual(decodeRemainingLength(new Uint8Array([0x80, 0x01]), 0), { ok: true, value: expected });
 * ```
 */
export interface RemainingLength {
  /** Bytes after the fixed header. */
  value: number;
  /** Length of the varint itself, 1..4. */
  byteCount: number;
}

/**
 * Decodes an MQTT remaining length starting at `offset`.
 *
 * @param bytes Bytes holding the varint (possibly only its start).
 * @param offset Where the varint starts (1 in a whole packet).
 * @returns The length, `null` when more bytes are needed, or an error after 4 continued bytes.
 * @example
 * ```ts
 * import { decodeRemainingLength } from "./mqtt_decode.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(decodeRemainingLength(new Uint8Array([0x30, 0xc1, 0x02]), 1), {
 *   ok: true,
 *   value: { value: 321, byteCount: 2 },
 * });
 * assert.deepEqual(decodeRemainingLength(new Uint8Array([0x30, 0xc1]), 1), { ok: true, value: null });
 * assert.equal(decodeRemainingLength(new Uint8Array([0xff, 0xff, 0xff, 0xff]), 0).ok, false);
 * ```
 */
export function decodeRemainingLength(
  bytes: Uint8Array,
  offset: number,
): Result<RemainingLength | null> {
  let value = 0;
  let multiplier = 1;
  for (let index = 0; index < 4; index++) {
    if (offset + index >= bytes.length) return ok(null);
    const byte = bytes[offset + index] as number;
    value += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return ok({ value: value, byteCount: index + 1 });
    multiplier *= 0x80;
  }
  return err("remaining length is longer than 4 bytes");
}

// Reads fields from bytes[at..end); the first failure is kept in `error`, later reads fail too.
interface Cursor {
  bytes: Uint8Array;
  at: number;
  end: number;
  error: string | null;
}

const fail = (cursor: Cursor, message: string): null => {
  if (cursor.error === null) cursor.error = message;
  return null;
};

const readByte = (cursor: Cursor, what: string): number => {
  if (cursor.error !== null) return -1;
  if (cursor.at >= cursor.end) return fail(cursor, what + " is missing") ?? -1;
  cursor.at++;
  return cursor.bytes[cursor.at - 1] as number;
};

const readTwoBytes = (cursor: Cursor, what: string): number => {
  if (cursor.error !== null) return -1;
  if (cursor.at + 2 > cursor.end) return fail(cursor, what + " is missing") ?? -1;
  cursor.at += 2;
  return ((cursor.bytes[cursor.at - 2] as number) << 8) | (cursor.bytes[cursor.at - 1] as number);
};

const copyBytes = (bytes: Uint8Array, start: number, end: number): Uint8Array => {
  const copy = new Uint8Array(end - start);
  copy.set(bytes.subarray(start, end));
  return copy;
};

const readPrefixed = (cursor: Cursor, what: string): Uint8Array | null => {
  const length = readTwoBytes(cursor, what + " length");
  if (length < 0) return null;
  if (cursor.at + length > cursor.end) return fail(cursor, what + " runs past the packet");
  cursor.at += length;
  return copyBytes(cursor.bytes, cursor.at - length, cursor.at);
};

const readString = (cursor: Cursor, what: string): string | null => {
  const length = readTwoBytes(cursor, what + " length");
  if (length < 0) return null;
  if (cursor.at + length > cursor.end) return fail(cursor, what + " runs past the packet");
  const text = decodeUtf8Range(cursor.bytes, cursor.at, cursor.at + length);
  cursor.at += length;
  if (!text.ok) return fail(cursor, what + " is not valid UTF-8");
  if (text.value.indexOf("\u0000") >= 0) return fail(cursor, what + " contains U+0000");
  return text.value;
};

const readMessageId = (cursor: Cursor): number => {
  const messageId = readTwoBytes(cursor, "messageId");
  if (messageId === 0) return fail(cursor, "messageId is 0") ?? -1;
  return messageId;
};

// Reads a topic name (`what` names the field) or, with `what` null, a topic filter.
const readTopic = (cursor: Cursor, what: string | null): string => {
  const topic = readString(cursor, what ?? "topic filter");
  if (topic === null) return "";
  const error = what === null ? topicFilterError(topic) : topicNameError(topic);
  if (error !== null) fail(cursor, what === null ? error : what + ": " + error);
  return topic;
};

const decodeConnect = (cursor: Cursor): MqttConnectPacket => {
  const name = readString(cursor, "protocol name");
  if (name !== null && name !== "MQTT") fail(cursor, "protocol name is not MQTT");
  const level = readByte(cursor, "protocol level");
  if (level >= 0 && level !== 4) fail(cursor, "protocol level " + level + " is not 4 (3.1.1)");
  const flags = readByte(cursor, "connect flags");
  if (flags & 0x01) fail(cursor, "reserved connect flag is set");
  const hasWill = (flags & 0x04) !== 0;
  const willQos = (flags >> 3) & 3;
  if (willQos === 3) fail(cursor, "will QoS is 3");
  if (!hasWill && (flags & 0x38) !== 0) fail(cursor, "will QoS or retain set without a will");
  if ((flags & 0xc0) === 0x40) fail(cursor, "password flag set without username flag");
  const keepalive = readTwoBytes(cursor, "keepalive");
  const clientId = readString(cursor, "clientId");
  const packet: MqttConnectPacket = {
    cmd: "connect",
    clientId: clientId ?? "",
    clean: (flags & 0x02) !== 0,
    keepalive: keepalive,
  };
  if (hasWill) {
    const topic = readTopic(cursor, "will topic");
    const payload = readPrefixed(cursor, "will payload");
    const qos = willQos === 1 ? 1 : willQos === 2 ? 2 : 0;
    const retain = (flags & 0x20) !== 0;
    packet.will = { topic: topic, payload: payload ?? new Uint8Array(0), qos: qos, retain: retain };
  }
  if (flags & 0x80) packet.username = readString(cursor, "username") ?? "";
  if (flags & 0x40) packet.password = readPrefixed(cursor, "password") ?? new Uint8Array(0);
  return packet;
};

const decodePublish = (first: number, cursor: Cursor): MqttPacket | null => {
  const qos = (first >> 1) & 3;
  const topic = readTopic(cursor, "topic");
  const messageId = qos === 1 ? readMessageId(cursor) : 0;
  if (cursor.error !== null) return null;
  const payload = copyBytes(cursor.bytes, cursor.at, cursor.end);
  cursor.at = cursor.end;
  const packet: MqttPacket = {
    cmd: "publish",
    topic: topic,
    payload: payload,
    qos: qos === 1 ? 1 : 0,
    retain: (first & 1) !== 0,
    dup: (first & 8) !== 0,
  };
  if (qos === 1) packet.messageId = messageId;
  return packet;
};

const decodeSubscribe = (cursor: Cursor): MqttPacket => {
  const messageId = readMessageId(cursor);
  const subscriptions: MqttSubscription[] = [];
  if (cursor.error === null && cursor.at >= cursor.end) fail(cursor, "no topic filter");
  while (cursor.error === null && cursor.at < cursor.end) {
    const topic = readTopic(cursor, null);
    const options = readByte(cursor, "subscription options");
    if (options > 2) fail(cursor, "subscription options must be QoS 0, 1 or 2");
    const qos = options === 1 ? 1 : options === 2 ? 2 : 0;
    subscriptions.push({ topic: topic, qos: qos });
  }
  return { cmd: "subscribe", messageId: messageId, subscriptions: subscriptions };
};

const decodeSuback = (cursor: Cursor): MqttPacket => {
  const messageId = readMessageId(cursor);
  const granted: number[] = [];
  if (cursor.error === null && cursor.at >= cursor.end) fail(cursor, "no granted QoS");
  while (cursor.error === null && cursor.at < cursor.end) {
    const code = readByte(cursor, "granted QoS");
    if (code > 2 && code !== 0x80) fail(cursor, "granted code " + code + " is not 0, 1, 2 or 128");
    granted.push(code);
  }
  return { cmd: "suback", messageId: messageId, granted: granted };
};

const decodeUnsubscribe = (cursor: Cursor): MqttPacket => {
  const messageId = readMessageId(cursor);
  const filters: string[] = [];
  if (cursor.error === null && cursor.at >= cursor.end) fail(cursor, "no topic filter");
  while (cursor.error === null && cursor.at < cursor.end) {
    filters.push(readTopic(cursor, null));
  }
  return { cmd: "unsubscribe", messageId: messageId, unsubscriptions: filters };
};

// Names are needed only for error messages, so the list is a string split on demand
// (an array of 16 strings would hold about 36 Espruino variables for good).
const typeName = (type: number): string =>
  "reserved connect connack publish puback pubrec pubrel pubcomp subscribe suback unsubscribe unsuback pingreq pingresp disconnect reserved"
    .split(" ")[type] as string;

const decodeBody = (first: number, cursor: Cursor): MqttPacket | null => {
  const type = first >> 4;
  switch (type) {
    case 1:
      return decodeConnect(cursor);
    case 2: {
      const flags = readByte(cursor, "connack flags");
      if (flags > 1) fail(cursor, "reserved connack flags are set");
      const returnCode = readByte(cursor, "return code");
      return { cmd: "connack", sessionPresent: flags === 1, returnCode: returnCode };
    }
    case 3:
      return decodePublish(first, cursor);
    case 4:
      return { cmd: "puback", messageId: readMessageId(cursor) };
    case 8:
      return decodeSubscribe(cursor);
    case 9:
      return decodeSuback(cursor);
    case 10:
      return decodeUnsubscribe(cursor);
    case 11:
      return { cmd: "unsuback", messageId: readMessageId(cursor) };
    case 12:
      return { cmd: "pingreq" };
    case 13:
      return { cmd: "pingresp" };
    case 14:
      return { cmd: "disconnect" };
  }
  return fail(cursor, "packet type " + type + " is not supported");
};

/**
 * Checks the first byte of a packet (type and flags) so a stream parser can reject garbage
 * before waiting for a length: reserved types, QoS 2 flows and wrong reserved flags.
 *
 * @param first The packet's first byte.
 * @returns `null` when a supported packet may start with it, or why not.
 * @example
 * ```ts
 * import { headerByteError } from "./mqtt_decode.ts";
 * import assert from "node:assert/strict";
 * assert.equal(headerByteError(0x32), null);
 * assert.equal(headerByteError(0x00), "reserved: packet type 0 is not supported");
 * assert.equal(headerByteError(0x80), "subscribe: reserved header flags must be 2");
 * ```
 */
export function headerByteError(first: number): string | null {
  const type = first >> 4;
  if (type === 0 || type === 15 || (type >= 5 && type <= 7)) {
    return typeName(type) + ": packet type " + type + " is not supported";
  }
  const qos = (first >> 1) & 3;
  if (type === 3 && qos === 3) return "publish: QoS bits are both set";
  if (type === 3 && qos === 2) return "publish: QoS 2 is not supported";
  const expectedFlags = type === 3 ? first & 0x0f : type === 8 || type === 10 ? 2 : 0;
  if ((first & 0x0f) !== expectedFlags) {
    return typeName(type) + ": reserved header flags must be " + expectedFlags;
  }
  return null;
}

/**
 * Decodes the bytes of exactly one MQTT 3.1.1 packet (fixed header included).
 *
 * @param bytes One whole packet, no more, no less.
 * @returns The packet, or an error saying what is malformed or unsupported.
 * @example
 * ```ts
 * import { decodePacket } from "./mqtt_decode.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(decodePacket(new Uint8Array([0x20, 2, 0, 0])), {
 *   ok: true,
 *   value: { cmd: "connack", sessionPresent: false, returnCode: 0 },
 * });
 * assert.deepEqual(decodePacket(new Uint8Array([0x40, 2, 0, 7])), { ok: true, value: { cmd: "puback", messageId: 7 } });
 * assert.deepEqual(decodePacket(new Uint8Array([0xc1, 0])), { ok: false, error: "pingreq: reserved header flags must be 0" });
 * ```
 */
export function decodePacket(bytes: Uint8Array): Result<MqttPacket> {
  if (!(bytes instanceof Uint8Array)) return err("packet bytes must be a Uint8Array");
  if (bytes.length === 0) return err("packet is empty");
  const first = bytes[0] as number;
  const type = first >> 4;
  const headerError = headerByteError(first);
  if (headerError !== null) return err(headerError);
  const length = decodeRemainingLength(bytes, 1);
  if (!length.ok) return err(typeName(type) + ": " + length.error);
  if (length.value === null) return err(typeName(type) + ": remaining length is cut short");
  const start = 1 + length.value.byteCount;
  if (start + length.value.value !== bytes.length) {
    return err(
      typeName(type) + ": remaining length " + length.value.value + " does not match the bytes",
    );
  }
  const cursor: Cursor = { bytes: bytes, at: start, end: bytes.length, error: null };
  const packet = decodeBody(first, cursor);
  if (cursor.error === null && cursor.at !== cursor.end) {
    fail(cursor, "unexpected bytes at the end");
  }
  if (cursor.error !== null || packet === null) return err(typeName(type) + ": " + cursor.error);
  return ok(packet);
}
