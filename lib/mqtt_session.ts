/**
 * The MQTT 3.1.1 client as one pure transition `(session, event) -> { session, effects }`:
 * connect with a last will, keep-alive pings, reconnect with exponential backoff, QoS 1
 * resend until PUBACK, and subscriptions sent again after every reconnect.
 *
 * Rules, and why:
 * - Clean sessions only: the broker keeps nothing for us, so after each CONNACK the client
 *   sends every subscription again and every unacknowledged QoS 1 publish (DUP set when it
 *   was sent before). Small devices cannot rely on a broker-side session surviving anyway.
 * - Keep-alive: a PINGREQ goes out when nothing was sent or nothing was received for
 *   `keepaliveMs` (so a silent broker is noticed too); no PINGRESP within `pingTimeoutMs`
 *   means a dead link: the socket is closed and a reconnect is scheduled.
 * - Reconnect: after a failure the client waits `retryDelayMs`, which starts at
 *   `reconnectMinMs`, doubles per attempt up to `reconnectMaxMs`, and resets on CONNACK.
 * - QoS 1: an unacknowledged PUBLISH is sent again `resendAfterMs` after its last send. At
 *   most `maxInflight` are kept; a further one is refused with an `error` effect. QoS 0
 *   messages published while not connected are dropped (state is republished periodically).
 * - Subscriptions are QoS 0 or 1 (the codec does not do QoS 2 flows).
 * - Anything unexpected from the broker (malformed bytes, a packet a broker never sends)
 *   closes the connection, as MQTT asks, and the client reconnects.
 * - Bad events (bad topic, bad time) change nothing but give an `error` effect.
 *
 * @module
 */

import { err, ok, type Result } from "./result.ts";
import { encodePacket } from "./mqtt_encode.ts";
import { encodePublishText } from "./mqtt_publish_text.ts";
import { encodeUtf8 } from "./utf8.ts";
import type { MqttPacket, MqttSubscription } from "./mqtt_packet.ts";
import { createParser } from "./mqtt_parser.ts";
import { topicFilterError, topicNameError } from "./mqtt_topic.ts";
import {
  allocateMessageId,
  connectPacket,
  dropConnection,
  forgetConnection,
  receiveBytes,
  sendInflight,
  sendPacket,
  sendSubscribe,
} from "./mqtt_session_link.ts";
import type {
  MqttInflight,
  MqttSession,
  MqttSessionConfig,
  MqttSessionEffect,
  MqttSessionEvent,
  MqttSessionStep,
} from "./mqtt_session_types.ts";

export * from "./mqtt_session_types.ts";

const isDuration = (value: unknown): boolean =>
  typeof value === "number" && isFinite(value) && value >= 0;

const configError = (config: MqttSessionConfig): string | null => {
  if (typeof config !== "object" || config === null) return "config must be an object";
  // Read as properties, not by name, so the firmware build may shorten these names (the
  // text below names them for the message only).
  const durations = [
    config.pingTimeoutMs,
    config.connectTimeoutMs,
    config.reconnectMinMs,
    config.reconnectMaxMs,
    config.resendAfterMs,
    config.keepaliveMs,
  ];
  const bad = durations.findIndex((value) => !isDuration(value));
  if (bad >= 0) {
    const names =
      "pingTimeoutMs connectTimeoutMs reconnectMinMs reconnectMaxMs resendAfterMs keepaliveMs";
    return names.split(" ")[bad] + " must be a finite number >= 0";
  }
  if (config.keepaliveMs % 1000 !== 0) return "keepaliveMs must be a whole number of seconds";
  if (config.reconnectMinMs > config.reconnectMaxMs) {
    return "reconnectMinMs must not exceed reconnectMaxMs";
  }
  const maxInflight = config.maxInflight;
  if (!(maxInflight >= 1 && maxInflight <= 1000 && Math.floor(maxInflight) === maxInflight)) {
    return "maxInflight must be an integer from 1 to 1000";
  }
  const parserError = createParser(config.maxPacketBytes).error;
  if (parserError !== null) return parserError;
  const connect = encodePacket(connectPacket(config));
  return connect.ok ? null : connect.error;
};

/**
 * Creates an idle session (send it a `connect` event to start).
 *
 * @param config The connection settings; checked (the CONNECT packet must encode).
 * @returns The session, or an error naming the bad setting.
 * @example
 * ```ts
 * import { createSession } from "./mqtt_session.ts";
 * import assert from "node:assert/strict";
 * const config = {
 *   clientId: "plug1", keepaliveMs: 60000, pingTimeoutMs: 10000, connectTimeoutMs: 10000,
 *   reconnectMinMs: 1000, reconnectMaxMs: 60000, resendAfterMs: 20000, maxInflight: 8, maxPacketBytes: 2048,
 * };
 * const session = createSession(config);
 * assert.equal(session.ok && session.value.phase, "idle");
 * assert.deepEqual(createSession(Object.assign({}, config, { keepaliveMs: 1500 })), {
 *   ok: false,
 *   error: "keepaliveMs must be a whole number of seconds",
 * });
 * ```
 */
export function createSession(config: MqttSessionConfig): Result<MqttSession> {
  const error = configError(config);
  if (error !== null) return err(error);
  return ok({
    config: config,
    phase: "idle",
    phaseSinceMs: 0,
    retryDelayMs: config.reconnectMinMs,
    lastSentMs: 0,
    lastReceivedMs: 0,
    pingSentMs: null,
    nextMessageId: 1,
    inflight: [],
    subscriptions: [],
    pendingSubscribes: [],
    parser: null,
  });
}

const onTick = (next: MqttSession, effects: MqttSessionEffect[], nowMs: number) => {
  const config = next.config;
  if (next.phase === "opening" || next.phase === "connecting") {
    if (nowMs - next.phaseSinceMs >= config.connectTimeoutMs) {
      const reason = "no connection within " + config.connectTimeoutMs + " ms";
      dropConnection(next, effects, reason, nowMs, true);
    }
    return;
  }
  if (next.phase === "waiting") {
    if (nowMs - next.phaseSinceMs < next.retryDelayMs) return;
    next.phase = "opening";
    next.phaseSinceMs = nowMs;
    next.retryDelayMs = Math.min(next.retryDelayMs * 2, config.reconnectMaxMs);
    effects.push({ type: "open" });
    return;
  }
  if (next.phase !== "connected") return;
  if (next.pingSentMs !== null && nowMs - next.pingSentMs >= config.pingTimeoutMs) {
    const reason = "no PINGRESP within " + config.pingTimeoutMs + " ms";
    dropConnection(next, effects, reason, nowMs, true);
    return;
  }
  const due = (sentMs: number | null): boolean =>
    sentMs === null || nowMs - sentMs >= config.resendAfterMs;
  next.inflight = next.inflight.map((item) =>
    due(item.sentMs) ? sendInflight(next, effects, item, nowMs) : item
  );
  next.pendingSubscribes = next.pendingSubscribes.map((item) => {
    if (!due(item.sentMs)) return item;
    sendPacket(next, effects, {
      cmd: "subscribe",
      messageId: item.messageId,
      subscriptions: item.subscriptions,
    }, nowMs);
    return Object.assign({}, item, { sentMs: nowMs });
  });
  const quietMs = Math.max(nowMs - next.lastSentMs, nowMs - next.lastReceivedMs);
  if (config.keepaliveMs > 0 && next.pingSentMs === null && quietMs >= config.keepaliveMs) {
    sendPacket(next, effects, { cmd: "pingreq" }, nowMs);
    next.pingSentMs = nowMs;
  }
};

const refuse = (effects: MqttSessionEffect[], error: string): void => {
  effects.push({ type: "error", error: error });
};

const onPublish = (
  next: MqttSession,
  effects: MqttSessionEffect[],
  event: Extract<MqttSessionEvent, { type: "publish" }>,
) => {
  const topicError = topicNameError(event.topic);
  if (topicError !== null) return refuse(effects, "publish: " + topicError);
  const payload = event.payload;
  if (
    !(payload instanceof Uint8Array || typeof payload === "string") ||
    typeof event.retain !== "boolean"
  ) {
    return refuse(effects, "publish: payload or retain is invalid");
  }
  if (event.qos === 0) {
    if (next.phase !== "connected") return;
    if (typeof payload === "string") {
      // Text goes out as its packet's text: no copies of the payload as bytes.
      const packet = encodePublishText(event.topic, payload, event.retain);
      if (!packet.ok) return refuse(effects, packet.error);
      effects.push({ type: "sendText", text: packet.value });
      next.lastSentMs = event.nowMs;
      return;
    }
    const packet: MqttPacket = {
      cmd: "publish",
      topic: event.topic,
      payload: payload,
      qos: 0,
      retain: event.retain,
      dup: false,
    };
    return sendPacket(next, effects, packet, event.nowMs);
  }
  if (event.qos !== 1) return refuse(effects, "publish: qos must be 0 or 1");
  if (next.inflight.length >= next.config.maxInflight) {
    return refuse(effects, "publish: too many unacknowledged messages");
  }
  let item: MqttInflight = {
    messageId: allocateMessageId(next),
    topic: event.topic,
    payload: typeof payload === "string" ? encodeUtf8(payload) : payload,
    retain: event.retain,
    sentMs: null,
    dup: false,
  };
  if (next.phase === "connected") item = sendInflight(next, effects, item, event.nowMs);
  next.inflight = next.inflight.concat([item]);
};

const onSubscribe = (
  next: MqttSession,
  effects: MqttSessionEffect[],
  subscriptions: MqttSubscription[],
  nowMs: number,
) => {
  if (!Array.isArray(subscriptions) || subscriptions.length === 0) {
    return refuse(effects, "subscribe: no subscriptions");
  }
  for (const subscription of subscriptions) {
    const error = topicFilterError(subscription.topic);
    if (error !== null) return refuse(effects, "subscribe: " + error);
    if (subscription.qos !== 0 && subscription.qos !== 1) {
      return refuse(effects, "subscribe: qos must be 0 or 1");
    }
  }
  const added = subscriptions.map((item) => ({ topic: item.topic, qos: item.qos }));
  next.subscriptions = next.subscriptions
    .filter((old) => !added.some((item) => item.topic === old.topic))
    .concat(added);
  if (next.phase === "connected") sendSubscribe(next, effects, added, nowMs);
};

/**
 * Advances the session by one event.
 *
 * @param session The current state (not modified).
 * @param event What happened: a request, socket news, received bytes or a clock tick.
 * @returns The next state and the effects to carry out, in order.
 * @example
 * ```ts
 * import { createSession, stepSession } from "./mqtt_session.ts";
 * import assert from "node:assert/strict";
 * const created = createSession({
 *   clientId: "plug1", keepaliveMs: 60000, pingTimeoutMs: 10000, connectTimeoutMs: 10000,
 *   reconnectMinMs: 1000, reconnectMaxMs: 60000, resendAfterMs: 20000, maxInflight: 8, maxPacketBytes: 2048,
 * });
 * assert.ok(created.ok);
 * const opening = stepSession(created.value, { type: "connect", nowMs: 0 });
 * assert.deepEqual(opening.effects, [{ type: "open" }]);
 * const connecting = stepSession(opening.session, { type: "opened", nowMs: 50 });
 * assert.equal(connecting.effects[0]?.type, "send");
 * const connack = new Uint8Array([0x20, 2, 0, 0]);
 * const connected = stepSession(connecting.session, { type: "bytes", bytes: connack, nowMs: 80 });
 * assert.deepEqual(connected.effects, [{ type: "connected", sessionPresent: false }]);
 * const ping = stepSession(connected.session, { type: "tick", nowMs: 60050 });
 * assert.deepEqual(ping.effects, [{ type: "send", bytes: new Uint8Array([0xc0, 0]) }]);
 * ```
 */
export function stepSession(session: MqttSession, event: MqttSessionEvent): MqttSessionStep {
  const effects: MqttSessionEffect[] = [];
  if (typeof event !== "object" || event === null || !isFinite(event.nowMs)) {
    effects.push({ type: "error", error: "event must be an object with a finite nowMs" });
    return { session: session, effects: effects };
  }
  const next: MqttSession = Object.assign({}, session);
  const nowMs = event.nowMs;
  switch (event.type) {
    case "connect":
      if (next.phase !== "idle") break;
      next.phase = "opening";
      next.phaseSinceMs = nowMs;
      next.retryDelayMs = next.config.reconnectMinMs;
      effects.push({ type: "open" });
      break;
    case "opened":
      if (next.phase !== "opening") {
        effects.push({ type: "close" });
        break;
      }
      next.phase = "connecting";
      next.phaseSinceMs = nowMs;
      next.lastReceivedMs = nowMs;
      next.parser = createParser(next.config.maxPacketBytes);
      sendPacket(next, effects, connectPacket(next.config), nowMs);
      break;
    case "bytes":
      receiveBytes(next, effects, event.bytes, nowMs);
      break;
    case "tick":
      onTick(next, effects, nowMs);
      break;
    case "publish":
      onPublish(next, effects, event);
      break;
    case "subscribe":
      onSubscribe(next, effects, event.subscriptions, nowMs);
      break;
    case "closed":
      if (next.phase === "idle" || next.phase === "waiting") break;
      dropConnection(next, effects, "connection closed", nowMs, false);
      break;
    case "disconnect":
      if (next.phase === "connected") sendPacket(next, effects, { cmd: "disconnect" }, nowMs);
      if (next.phase !== "idle" && next.phase !== "waiting") effects.push({ type: "close" });
      if (next.phase === "connected") {
        effects.push({ type: "disconnected", reason: "disconnect requested" });
      }
      next.phase = "idle";
      forgetConnection(next);
      break;
    default:
      effects.push({ type: "error", error: "unknown event type" });
  }
  return { session: next, effects: effects };
}
