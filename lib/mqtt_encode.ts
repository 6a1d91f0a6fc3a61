/**
 * MQTT 3.1.1 packet encoder: a packet object in, its exact bytes out, or a clear error for
 * a bad field. The output is one right-sized `Uint8Array` (no per-byte arrays), since on the
 * ESP8266 a plain array costs a JS variable per byte.
 *
 * @module
 */

import { err, ok, type Result } from "./result.ts";
import { encodeUtf8 } from "./utf8.ts";
import type {
  MqttConnectPacket,
  MqttPacket,
  MqttPublishPacket,
  MqttSubackPacket,
  MqttSubscribePacket,
  MqttUnsubscribePacket,
} from "./mqtt_packet.ts";
import { mqttStringError, topicFilterError, topicNameError } from "./mqtt_topic.ts";

/**
 * The largest remaining length MQTT can express (four 7-bit groups).
 *
 * @example
 * ```ts
 * import { encodeRemainingLength, MAX_REMAINING_LENGTH } from "./mqtt_encode.ts";
 * import assert from "node:assert/strict";
 * assert.equal(encodeRemainingLength(MAX_REMAINING_LENGTH + 1).ok, false);
 * ```
 */
export const MAX_REMAINING_LENGTH = 268435455;

/**
 * Encodes an MQTT remaining length (a little-endian base-128 varint of 1 to 4 bytes).
 *
 * @param length Bytes after the fixed header, 0..268435455.
 * @returns The varint bytes, or an error when out of range.
 * @example
 * ```ts
 * import { encodeRemainingLength } from "./mqtt_encode.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(encodeRemainingLength(321), { ok: true, value: new Uint8Array([0xc1, 0x02]) });
 * assert.equal(encodeRemainingLength(-1).ok, false);
 * ```
 */
export function encodeRemainingLength(length: number): Result<Uint8Array> {
  if (typeof length !== "number" || !(length >= 0 && length <= MAX_REMAINING_LENGTH)) {
    return err("remaining length must be from 0 to " + MAX_REMAINING_LENGTH);
  }
  if (Math.floor(length) !== length) return err("remaining length must be an integer");
  const byteCount = length < 0x80 ? 1 : length < 0x4000 ? 2 : length < 0x200000 ? 3 : 4;
  const out = new Uint8Array(byteCount);
  let rest = length;
  for (let index = 0; index < byteCount; index++) {
    out[index] = (rest % 0x80) | (index < byteCount - 1 ? 0x80 : 0);
    rest = Math.floor(rest / 0x80);
  }
  return ok(out);
}

const isInteger = (value: unknown, min: number, max: number): boolean =>
  typeof value === "number" && value >= min && value <= max && Math.floor(value) === value;

const twoBytes = (value: number): Uint8Array => new Uint8Array([value >> 8, value & 0xff]);

const pushPrefixed = (parts: Uint8Array[], bytes: Uint8Array): void => {
  parts.push(twoBytes(bytes.length));
  parts.push(bytes);
};

const assemble = (first: number, parts: Uint8Array[]): Result<Uint8Array> => {
  let length = 0;
  for (const part of parts) length += part.length;
  const header = encodeRemainingLength(length);
  if (!header.ok) return err("packet is longer than " + MAX_REMAINING_LENGTH + " bytes");
  const out = new Uint8Array(1 + header.value.length + length);
  out[0] = first;
  out.set(header.value, 1);
  let at = 1 + header.value.length;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return ok(out);
};

const willError = (packet: MqttConnectPacket): string | null => {
  const will = packet.will;
  if (will === undefined) return null;
  if (typeof will !== "object" || will === null) return "will must be an object";
  const topicError = topicNameError(will.topic);
  if (topicError !== null) return "will " + topicError;
  if (!(will.payload instanceof Uint8Array)) return "will payload must be a Uint8Array";
  if (will.payload.length > 0xffff) return "will payload is longer than 65535 bytes";
  if (!isInteger(will.qos, 0, 2)) return "will qos must be 0, 1 or 2";
  if (typeof will.retain !== "boolean") return "will retain must be a boolean";
  return null;
};

const connectError = (packet: MqttConnectPacket): string | null => {
  const clientIdError = mqttStringError(packet.clientId, "clientId");
  if (clientIdError !== null) return clientIdError;
  if (typeof packet.clean !== "boolean") return "clean must be a boolean";
  if (packet.clientId === "" && !packet.clean) return "an empty clientId needs clean: true";
  if (!isInteger(packet.keepalive, 0, 0xffff)) {
    return "keepalive must be an integer number of seconds from 0 to 65535";
  }
  if (packet.username !== undefined) {
    const usernameError = mqttStringError(packet.username, "username");
    if (usernameError !== null) return usernameError;
  }
  if (packet.password !== undefined) {
    if (packet.username === undefined) return "a password needs a username";
    if (!(packet.password instanceof Uint8Array)) return "password must be a Uint8Array";
    if (packet.password.length > 0xffff) return "password is longer than 65535 bytes";
  }
  return willError(packet);
};

const encodeConnect = (packet: MqttConnectPacket): Result<Uint8Array> => {
  const error = connectError(packet);
  if (error !== null) return err("connect: " + error);
  const will = packet.will;
  let flags = packet.clean ? 0x02 : 0;
  if (will !== undefined) flags |= 0x04 | (will.qos << 3) | (will.retain ? 0x20 : 0);
  if (packet.password !== undefined) flags |= 0x40;
  if (packet.username !== undefined) flags |= 0x80;
  const parts: Uint8Array[] = [
    new Uint8Array([0, 4, 0x4d, 0x51, 0x54, 0x54, 4]),
    new Uint8Array([flags]),
  ];
  parts.push(twoBytes(packet.keepalive));
  pushPrefixed(parts, encodeUtf8(packet.clientId));
  if (will !== undefined) {
    pushPrefixed(parts, encodeUtf8(will.topic));
    pushPrefixed(parts, will.payload);
  }
  if (packet.username !== undefined) pushPrefixed(parts, encodeUtf8(packet.username));
  if (packet.password !== undefined) pushPrefixed(parts, packet.password);
  return assemble(0x10, parts);
};

const publishError = (packet: MqttPublishPacket): string | null => {
  const topicError = topicNameError(packet.topic);
  if (topicError !== null) return topicError;
  if (!(packet.payload instanceof Uint8Array)) return "payload must be a Uint8Array";
  if ((packet.qos as number) === 2) return "QoS 2 is not supported";
  if (packet.qos !== 0 && packet.qos !== 1) return "qos must be 0 or 1";
  if (typeof packet.retain !== "boolean") return "retain must be a boolean";
  if (typeof packet.dup !== "boolean") return "dup must be a boolean";
  if (packet.dup && packet.qos === 0) return "dup must be false at QoS 0";
  if (packet.qos === 1 && !isInteger(packet.messageId, 1, 0xffff)) {
    return "messageId must be an integer from 1 to 65535 at QoS 1";
  }
  return null;
};

// A messageId given with QoS 0 is ignored, as in mqtt-packet: no identifier is sent then.
const encodePublish = (packet: MqttPublishPacket): Result<Uint8Array> => {
  const error = publishError(packet);
  if (error !== null) return err("publish: " + error);
  const first = 0x30 | (packet.dup ? 0x08 : 0) | (packet.qos << 1) | (packet.retain ? 1 : 0);
  const parts: Uint8Array[] = [];
  pushPrefixed(parts, encodeUtf8(packet.topic));
  if (packet.qos === 1) parts.push(twoBytes(packet.messageId as number));
  parts.push(packet.payload);
  return assemble(first, parts);
};

const encodeSubscribe = (packet: MqttSubscribePacket): Result<Uint8Array> => {
  if (!isInteger(packet.messageId, 1, 0xffff)) {
    return err("subscribe: messageId must be an integer from 1 to 65535");
  }
  const subscriptions = packet.subscriptions;
  if (!Array.isArray(subscriptions) || subscriptions.length === 0) {
    return err("subscribe: subscriptions must be a non-empty array");
  }
  const parts: Uint8Array[] = [twoBytes(packet.messageId)];
  for (const subscription of subscriptions) {
    if (typeof subscription !== "object" || subscription === null) {
      return err("subscribe: each subscription must be an object");
    }
    const filterError = topicFilterError(subscription.topic);
    if (filterError !== null) return err("subscribe: " + filterError);
    if (!isInteger(subscription.qos, 0, 2)) return err("subscribe: qos must be 0, 1 or 2");
    pushPrefixed(parts, encodeUtf8(subscription.topic));
    parts.push(new Uint8Array([subscription.qos]));
  }
  return assemble(0x82, parts);
};

const encodeSuback = (packet: MqttSubackPacket): Result<Uint8Array> => {
  if (!isInteger(packet.messageId, 1, 0xffff)) {
    return err("suback: messageId must be an integer from 1 to 65535");
  }
  const granted = packet.granted;
  if (!Array.isArray(granted) || granted.length === 0) {
    return err("suback: granted must be a non-empty array");
  }
  for (const code of granted) {
    if (code !== 0 && code !== 1 && code !== 2 && code !== 0x80) {
      return err("suback: each granted code must be 0, 1, 2 or 128");
    }
  }
  return assemble(0x90, [twoBytes(packet.messageId), new Uint8Array(granted)]);
};

const encodeUnsubscribe = (packet: MqttUnsubscribePacket): Result<Uint8Array> => {
  if (!isInteger(packet.messageId, 1, 0xffff)) {
    return err("unsubscribe: messageId must be an integer from 1 to 65535");
  }
  const filters = packet.unsubscriptions;
  if (!Array.isArray(filters) || filters.length === 0) {
    return err("unsubscribe: unsubscriptions must be a non-empty array");
  }
  const parts: Uint8Array[] = [twoBytes(packet.messageId)];
  for (const filter of filters) {
    const filterError = topicFilterError(filter);
    if (filterError !== null) return err("unsubscribe: " + filterError);
    pushPrefixed(parts, encodeUtf8(filter));
  }
  return assemble(0xa2, parts);
};

const encodeAck = (cmd: string, first: number, messageId: number): Result<Uint8Array> => {
  if (!isInteger(messageId, 1, 0xffff)) {
    return err(cmd + ": messageId must be an integer from 1 to 65535");
  }
  return ok(new Uint8Array([first, 2, messageId >> 8, messageId & 0xff]));
};

/**
 * Encodes one MQTT 3.1.1 packet.
 *
 * @param packet The packet; every field is checked (types, ranges, topic syntax, UTF-8).
 * @returns The packet's bytes, or an error naming the bad field.
 * @example
 * ```ts
 * import { encodePacket } from "./mqtt_encode.ts";
 * import assert from "node:assert/strict";
 * const publish = encodePacket({
 *   cmd: "publish", topic: "a/b", payload: new Uint8Array([0x31]), qos: 1, retain: false, dup: false, messageId: 10,
 * });
 * assert.deepEqual(publish, { ok: true, value: new Uint8Array([0x32, 8, 0, 3, 0x61, 0x2f, 0x62, 0, 10, 0x31]) });
 * assert.deepEqual(encodePacket({ cmd: "pingreq" }), { ok: true, value: new Uint8Array([0xc0, 0]) });
 * assert.deepEqual(encodePacket({ cmd: "puback", messageId: 0 }), {
 *   ok: false,
 *   error: "puback: messageId must be an integer from 1 to 65535",
 * });
 * ```
 */
export function encodePacket(packet: MqttPacket): Result<Uint8Array> {
  if (typeof packet !== "object" || packet === null) return err("packet must be an object");
  switch (packet.cmd) {
    case "connect":
      return encodeConnect(packet);
    case "connack": {
      if (typeof packet.sessionPresent !== "boolean") {
        return err("connack: sessionPresent must be a boolean");
      }
      if (!isInteger(packet.returnCode, 0, 5)) return err("connack: returnCode must be 0..5");
      if (packet.sessionPresent && packet.returnCode !== 0) {
        return err("connack: sessionPresent needs returnCode 0");
      }
      return ok(new Uint8Array([0x20, 2, packet.sessionPresent ? 1 : 0, packet.returnCode]));
    }
    case "publish":
      return encodePublish(packet);
    case "puback":
      return encodeAck("puback", 0x40, packet.messageId);
    case "subscribe":
      return encodeSubscribe(packet);
    case "suback":
      return encodeSuback(packet);
    case "unsubscribe":
      return encodeUnsubscribe(packet);
    case "unsuback":
      return encodeAck("unsuback", 0xb0, packet.messageId);
    case "pingreq":
      return ok(new Uint8Array([0xc0, 0]));
    case "pingresp":
      return ok(new Uint8Array([0xd0, 0]));
    case "disconnect":
      return ok(new Uint8Array([0xe0, 0]));
  }
  return err("unknown packet cmd: " + String((packet as { cmd: unknown }).cmd));
}
