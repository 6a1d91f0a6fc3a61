/**
 * Internal steps of the MQTT client session (`mqtt_session.ts`): sending packets, packet
 * identifiers, dropping the connection, and handling what the broker sends. Each helper
 * updates `next`, a fresh copy of the session made by `stepSession`, and appends effects;
 * arrays and items are replaced, never changed in place, so the input state stays intact.
 * Not part of the public API.
 *
 * @module
 */

import { encodePacket } from "./mqtt_encode.ts";
import type { MqttConnectPacket, MqttPacket, MqttSubscription } from "./mqtt_packet.ts";
import { feedParser, type MqttParser } from "./mqtt_parser.ts";
import type {
  MqttInflight,
  MqttSession,
  MqttSessionConfig,
  MqttSessionEffect,
} from "./mqtt_session_types.ts";

/**
 * Builds the CONNECT packet of a configuration (clean session, keep-alive in seconds).
 *
 * @param config The session configuration.
 * @returns The CONNECT packet.
 */
export function connectPacket(config: MqttSessionConfig): MqttConnectPacket {
  const packet: MqttConnectPacket = {
    cmd: "connect",
    clientId: config.clientId,
    clean: true,
    keepalive: config.keepaliveMs / 1000,
  };
  if (config.username !== undefined) packet.username = config.username;
  if (config.password !== undefined) packet.password = config.password;
  if (config.will !== undefined) packet.will = config.will;
  return packet;
}

/**
 * Encodes and sends a packet, noting the time for keep-alive.
 *
 * @param next The session being built.
 * @param effects The effects being built.
 * @param packet The packet to send.
 * @param nowMs The current time.
 */
export function sendPacket(
  next: MqttSession,
  effects: MqttSessionEffect[],
  packet: MqttPacket,
  nowMs: number,
): void {
  const bytes = encodePacket(packet);
  if (!bytes.ok) {
    effects.push({ type: "error", error: bytes.error });
    return;
  }
  effects.push({ type: "send", bytes: bytes.value });
  next.lastSentMs = nowMs;
}

/**
 * Takes the next packet identifier not used by an unacknowledged PUBLISH or SUBSCRIBE.
 *
 * @param next The session being built.
 * @returns An identifier from 1 to 65535.
 */
export function allocateMessageId(next: MqttSession): number {
  let id = next.nextMessageId;
  const inUse = (candidate: number): boolean =>
    next.inflight.some((item) => item.messageId === candidate) ||
    next.pendingSubscribes.some((item) => item.messageId === candidate);
  while (inUse(id)) id = id >= 0xffff ? 1 : id + 1;
  next.nextMessageId = id >= 0xffff ? 1 : id + 1;
  return id;
}

/**
 * Sends an unacknowledged QoS 1 PUBLISH (DUP set when it was sent before).
 *
 * @param next The session being built.
 * @param effects The effects being built.
 * @param item The message.
 * @param nowMs The current time.
 * @returns The item as sent (new object).
 */
export function sendInflight(
  next: MqttSession,
  effects: MqttSessionEffect[],
  item: MqttInflight,
  nowMs: number,
): MqttInflight {
  sendPacket(next, effects, {
    cmd: "publish",
    topic: item.topic,
    payload: item.payload,
    qos: 1,
    retain: item.retain,
    dup: item.dup,
    messageId: item.messageId,
  }, nowMs);
  return Object.assign({}, item, { sentMs: nowMs, dup: true });
}

/**
 * Sends a SUBSCRIBE and remembers it until its SUBACK.
 *
 * @param next The session being built.
 * @param effects The effects being built.
 * @param subscriptions The filters.
 * @param nowMs The current time.
 */
export function sendSubscribe(
  next: MqttSession,
  effects: MqttSessionEffect[],
  subscriptions: MqttSubscription[],
  nowMs: number,
): void {
  const messageId = allocateMessageId(next);
  const packet: MqttPacket = { cmd: "subscribe", messageId: messageId, subscriptions };
  sendPacket(next, effects, packet, nowMs);
  const pending = { messageId: messageId, subscriptions: subscriptions, sentMs: nowMs };
  next.pendingSubscribes = next.pendingSubscribes.concat([pending]);
}

/**
 * Forgets the connection: no parser, no ping or SUBSCRIBE outstanding, every
 * unacknowledged PUBLISH to be sent again on the next connection.
 *
 * @param next The session being built.
 */
export function forgetConnection(next: MqttSession): void {
  next.parser = null;
  next.pingSentMs = null;
  next.pendingSubscribes = [];
  next.inflight = next.inflight.map((item) => Object.assign({}, item, { sentMs: null }));
}

/**
 * Ends the connection after a failure and schedules a reconnect after `retryDelayMs`.
 *
 * @param next The session being built.
 * @param effects The effects being built.
 * @param reason Why, for the `disconnected` or `error` effect.
 * @param nowMs The current time.
 * @param closeSocket Whether the socket is still open and must be closed.
 */
export function dropConnection(
  next: MqttSession,
  effects: MqttSessionEffect[],
  reason: string,
  nowMs: number,
  closeSocket: boolean,
): void {
  if (closeSocket) effects.push({ type: "close" });
  if (next.phase === "connected") effects.push({ type: "disconnected", reason: reason });
  else effects.push({ type: "error", error: reason });
  next.phase = "waiting";
  next.phaseSinceMs = nowMs;
  forgetConnection(next);
}

const connackReason = (code: number): string =>
  ("|unacceptable protocol version|client identifier rejected|server unavailable" +
    "|bad user name or password|not authorized").split("|")[code] ?? "return code " + code;

const onConnack = (
  next: MqttSession,
  effects: MqttSessionEffect[],
  packet: MqttPacket,
  nowMs: number,
): void => {
  if (packet.cmd !== "connack") {
    return dropConnection(next, effects, "expected CONNACK, got " + packet.cmd, nowMs, true);
  }
  if (packet.returnCode !== 0) {
    const reason = "connection refused: " + connackReason(packet.returnCode);
    return dropConnection(next, effects, reason, nowMs, true);
  }
  next.phase = "connected";
  next.phaseSinceMs = nowMs;
  next.retryDelayMs = next.config.reconnectMinMs;
  effects.push({ type: "connected", sessionPresent: packet.sessionPresent });
  if (next.subscriptions.length > 0) sendSubscribe(next, effects, next.subscriptions, nowMs);
  next.inflight = next.inflight.map((item) => sendInflight(next, effects, item, nowMs));
};

const onPacket = (
  next: MqttSession,
  effects: MqttSessionEffect[],
  packet: MqttPacket,
  nowMs: number,
): void => {
  if (next.phase === "connecting") return onConnack(next, effects, packet, nowMs);
  if (packet.cmd === "publish") {
    const message = { topic: packet.topic, payload: packet.payload, retain: packet.retain };
    effects.push(Object.assign({ type: "message" as const, qos: packet.qos }, message));
    if (packet.qos === 1) {
      sendPacket(next, effects, { cmd: "puback", messageId: packet.messageId as number }, nowMs);
    }
  } else if (packet.cmd === "puback") {
    next.inflight = next.inflight.filter((item) => item.messageId !== packet.messageId);
  } else if (packet.cmd === "suback") {
    const pending = next.pendingSubscribes.find((item) => item.messageId === packet.messageId);
    if (pending === undefined) return;
    next.pendingSubscribes = next.pendingSubscribes.filter((item) => item !== pending);
    packet.granted.forEach((code, index) => {
      const subscription = pending.subscriptions[index];
      if (code === 0x80 && subscription !== undefined) {
        effects.push({ type: "error", error: "subscription refused: " + subscription.topic });
      }
    });
  } else if (packet.cmd === "pingresp") {
    next.pingSentMs = null;
  } else if (packet.cmd !== "unsuback") {
    dropConnection(next, effects, "unexpected " + packet.cmd + " from the broker", nowMs, true);
  }
};

/**
 * Parses bytes from the broker and handles each packet; bad data drops the connection.
 *
 * @param next The session being built.
 * @param effects The effects being built.
 * @param bytes The bytes received.
 * @param nowMs The current time.
 */
export function receiveBytes(
  next: MqttSession,
  effects: MqttSessionEffect[],
  bytes: Uint8Array,
  nowMs: number,
): void {
  if (next.parser === null || !(bytes instanceof Uint8Array)) return;
  // The parser fills its buffers in place, so feed a copy: the input state stays unchanged.
  const parser: MqttParser = Object.assign({}, next.parser, {
    header: new Uint8Array(next.parser.header),
    packet: next.parser.packet === null ? null : new Uint8Array(next.parser.packet),
  });
  next.parser = parser;
  const result = feedParser(parser, bytes);
  // Only whole packets count as signs of life: bytes of a stream out of step do not.
  if (result.packets.length > 0) next.lastReceivedMs = nowMs;
  for (const packet of result.packets) {
    if (next.parser !== parser) return;
    onPacket(next, effects, packet, nowMs);
  }
  if (result.error !== null && next.parser === parser) {
    dropConnection(next, effects, "bad data from the broker: " + result.error, nowMs, true);
  }
}
