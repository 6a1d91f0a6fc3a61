/**
 * MQTT 3.1.1 control packets as plain data, shaped like the npm package `mqtt-packet`'s
 * objects (`cmd` names and field names). Binary fields (payloads, password) are
 * `Uint8Array`; text fields are strings sent as UTF-8.
 *
 * @module
 */

/**
 * A quality-of-service level: 0 at most once, 1 at least once, 2 exactly once.
 *
 * @example
 * ```ts
 * import type { MqttQos } from "./mqtt_packet.ts";
 * import assert from "node:assert/strict";
 * const commandsQos: MqttQos = 1;
 * assert.equal(commandsQos, 1);
 * ```
 */
export type MqttQos = 0 | 1 | 2;

/**
 * The last will the broker publishes when the client vanishes without DISCONNECT.
 *
 * @example
 * ```ts
 * import type { MqttWill } from "./mqtt_packet.ts";
 * import assert from "node:assert/strict";
 * const will: MqttWill = { topic: "plugs/p1/availability", payload: new Uint8Array([0x6f]), qos: 1, retain: true };
 * assert.equal(will.retain, true);
 * ```
 */
export interface MqttWill {
  /** A topic name (no wildcards). */
  topic: string;
  /** The message body, at most 65535 bytes. */
  payload: Uint8Array;
  /** QoS of the will message. */
  qos: MqttQos;
  /** Whether the broker keeps the will as the topic's retained message. */
  retain: boolean;
}

/**
 * CONNECT (client to broker). Protocol name and level are always `MQTT` and 4 (3.1.1).
 *
 * @example
 * ```ts
 * import type { MqttConnectPacket } from "./mqtt_packet.ts";
 * import { encodePacket } from "./mqtt_encode.ts";
 * import assert from "node:assert/strict";
 * const connect: MqttConnectPacket = { cmd: "connect", clientId: "fan1", clean: true, keepalive: 60 };
 * assert.equal(encodePacket(connect).ok, true);
 * ```
 */
export interface MqttConnectPacket {
  /** Packet type. */
  cmd: "connect";
  /** Client identifier; may be empty only with `clean: true`. */
  clientId: string;
  /** Start a new session (drop subscriptions and queued messages). */
  clean: boolean;
  /** Keep-alive interval in seconds, 0..65535 (0 = off); the unit MQTT fixes. */
  keepalive: number;
  /** User name, absent when none. */
  username?: string;
  /** Password bytes, absent when none; needs a user name. */
  password?: Uint8Array;
  /** Last will, absent when none. */
  will?: MqttWill;
}

/**
 * CONNACK (broker to client).
 *
 * @example
 * ```ts
 * import type { MqttConnackPacket } from "./mqtt_packet.ts";
 * import { decodePacket } from "./mqtt_decode.ts";
 * import assert from "node:assert/strict";
 * const refused: MqttConnackPacket = { cmd: "connack", sessionPresent: false, returnCode: 4 };
 * assert.deepEqual(decodePacket(new Uint8Array([0x20, 2, 0, 4])), { ok: true, value: refused });
 * ```
 */
export interface MqttConnackPacket {
  /** Packet type. */
  cmd: "connack";
  /** Whether the broker resumed a stored session. */
  sessionPresent: boolean;
  /** 0 accepted; 1 bad protocol, 2 client id rejected, 3 unavailable, 4 bad credentials, 5 not authorized. */
  returnCode: number;
}

/**
 * PUBLISH (both ways). QoS 2 is not supported: it needs PUBREC/PUBREL/PUBCOMP.
 *
 * @example
 * ```ts
 * import type { MqttPublishPacket } from "./mqtt_packet.ts";
 * import { encodeUtf8 } from "./utf8.ts";
 * import assert from "node:assert/strict";
 * const state: MqttPublishPacket = {
 *   cmd: "publish", topic: "plugs/p1/states/power", payload: encodeUtf8("ON"), qos: 1, retain: true, dup: false, messageId: 1,
 * };
 * assert.equal(state.payload.length, 2);
 * ```
 */
export interface MqttPublishPacket {
  /** Packet type. */
  cmd: "publish";
  /** A topic name (no wildcards). */
  topic: string;
  /** The message body. */
  payload: Uint8Array;
  /** QoS 0 or 1. */
  qos: 0 | 1;
  /** Retained message (from the broker: a stored one, sent on subscribe). */
  retain: boolean;
  /** A QoS 1 resend of a message that may have arrived already. */
  dup: boolean;
  /** Packet identifier 1..65535; present exactly when `qos` is 1. */
  messageId?: number;
}

/**
 * PUBACK: acknowledges a QoS 1 PUBLISH.
 *
 * @example
 * ```ts
 * import type { MqttPubackPacket } from "./mqtt_packet.ts";
 * import { encodePacket } from "./mqtt_encode.ts";
 * import assert from "node:assert/strict";
 * const puback: MqttPubackPacket = { cmd: "puback", messageId: 258 };
 * assert.deepEqual(encodePacket(puback), { ok: true, value: new Uint8Array([0x40, 2, 1, 2]) });
 * ```
 */
export interface MqttPubackPacket {
  /** Packet type. */
  cmd: "puback";
  /** Identifier of the acknowledged PUBLISH. */
  messageId: number;
}

/**
 * One topic filter of a SUBSCRIBE with the highest QoS wanted for it.
 *
 * @example
 * ```ts
 * import type { MqttSubscription } from "./mqtt_packet.ts";
 * import { topicFilterError } from "./mqtt_topic.ts";
 * import assert from "node:assert/strict";
 * const commands: MqttSubscription = { topic: "plugs/p1/commands/+", qos: 1 };
 * assert.equal(topicFilterError(commands.topic), null);
 * ```
 */
export interface MqttSubscription {
  /** A topic filter (`+` and `#` wildcards allowed as whole levels). */
  topic: string;
  /** Highest QoS the broker may use for matching messages. */
  qos: MqttQos;
}

/**
 * SUBSCRIBE (client to broker).
 *
 * @example
 * ```ts
 * import type { MqttSubscribePacket } from "./mqtt_packet.ts";
 * import { encodePacket } from "./mqtt_encode.ts";
 * import assert from "node:assert/strict";
 * const subscribe: MqttSubscribePacket = { cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "a", qos: 0 }] };
 * assert.deepEqual(encodePacket(subscribe), { ok: true, value: new Uint8Array([0x82, 6, 0, 1, 0, 1, 0x61, 0]) });
 * ```
 */
export interface MqttSubscribePacket {
  /** Packet type. */
  cmd: "subscribe";
  /** Packet identifier 1..65535. */
  messageId: number;
  /** At least one filter. */
  subscriptions: MqttSubscription[];
}

/**
 * SUBACK (broker to client).
 *
 * @example
 * ```ts
 * import type { MqttSubackPacket } from "./mqtt_packet.ts";
 * import { decodePacket } from "./mqtt_decode.ts";
 * import assert from "node:assert/strict";
 * const suback: MqttSubackPacket = { cmd: "suback", messageId: 1, granted: [1, 128] };
 * assert.deepEqual(decodePacket(new Uint8Array([0x90, 4, 0, 1, 1, 128])), { ok: true, value: suback });
 * ```
 */
export interface MqttSubackPacket {
  /** Packet type. */
  cmd: "suback";
  /** Identifier of the acknowledged SUBSCRIBE. */
  messageId: number;
  /** Granted QoS per filter, in order: 0, 1, 2, or 128 for failure. */
  granted: number[];
}

/**
 * UNSUBSCRIBE (client to broker).
 *
 * @example
 * ```ts
 * import type { MqttUnsubscribePacket } from "./mqtt_packet.ts";
 * import { encodePacket } from "./mqtt_encode.ts";
 * import assert from "node:assert/strict";
 * const unsubscribe: MqttUnsubscribePacket = { cmd: "unsubscribe", messageId: 2, unsubscriptions: ["a"] };
 * assert.deepEqual(encodePacket(unsubscribe), { ok: true, value: new Uint8Array([0xa2, 5, 0, 2, 0, 1, 0x61]) });
 * ```
 */
export interface MqttUnsubscribePacket {
  /** Packet type. */
  cmd: "unsubscribe";
  /** Packet identifier 1..65535. */
  messageId: number;
  /** At least one topic filter. */
  unsubscriptions: string[];
}

/**
 * UNSUBACK (broker to client).
 *
 * @example
 * ```ts
 * import type { MqttUnsubackPacket } from "./mqtt_packet.ts";
 * import { decodePacket } from "./mqtt_decode.ts";
 * import assert from "node:assert/strict";
 * const unsuback: MqttUnsubackPacket = { cmd: "unsuback", messageId: 2 };
 * assert.deepEqual(decodePacket(new Uint8Array([0xb0, 2, 0, 2])), { ok: true, value: unsuback });
 * ```
 */
export interface MqttUnsubackPacket {
  /** Packet type. */
  cmd: "unsuback";
  /** Identifier of the acknowledged UNSUBSCRIBE. */
  messageId: number;
}

/**
 * PINGREQ, PINGRESP or DISCONNECT: packets with no fields.
 *
 * @example
 * ```ts
 * import type { MqttEmptyPacket } from "./mqtt_packet.ts";
 * import { encodePacket } from "./mqtt_encode.ts";
 * import assert from "node:assert/strict";
 * const disconnect: MqttEmptyPacket = { cmd: "disconnect" };
 * assert.deepEqual(encodePacket(disconnect), { ok: true, value: new Uint8Array([0xe0, 0]) });
 * ```
 */
export interface MqttEmptyPacket {
  /** Packet type. */
  cmd: "pingreq" | "pingresp" | "disconnect";
}

/**
 * Any packet the codec encodes and decodes; `cmd` tells which.
 *
 * @example
 * ```ts
 * import type { MqttPacket } from "./mqtt_packet.ts";
 * import assert from "node:assert/strict";
 * const packets: MqttPacket[] = [
 *   { cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "fans/fan1/commands/+", qos: 1 }] },
 *   { cmd: "puback", messageId: 7 },
 *   { cmd: "pingreq" },
 * ];
 * assert.equal(packets[2]?.cmd, "pingreq");
 * ```
 */
export type MqttPacket =
  | MqttConnectPacket
  | MqttConnackPacket
  | MqttPublishPacket
  | MqttPubackPacket
  | MqttSubscribePacket
  | MqttSubackPacket
  | MqttUnsubscribePacket
  | MqttUnsubackPacket
  | MqttEmptyPacket;
