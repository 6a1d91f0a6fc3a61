/**
 * Types of the MQTT client session (`mqtt_session.ts`): its configuration, state,
 * events and effects.
 *
 * @module
 */

import type { MqttSubscription, MqttWill } from "./mqtt_packet.ts";
import type { MqttParser } from "./mqtt_parser.ts";

/**
 * How the client connects and recovers. Times are milliseconds.
 *
 * @example
 * ```ts
 * import type { MqttSessionConfig } from "./mqtt_session_types.ts";
 * import assert from "node:assert/strict";
 * const config: MqttSessionConfig = {
 *   clientId: "plug1", keepaliveMs: 60000, pingTimeoutMs: 10000, connectTimeoutMs: 10000,
 *   reconnectMinMs: 1000, reconnectMaxMs: 60000, resendAfterMs: 20000, maxInflight: 8,
 *   maxPacketBytes: 2048,
 * };
 * assert.equal(config.will, undefined);
 * ```
 */
export interface MqttSessionConfig {
  /** Client identifier (clean sessions are always used, so it may be empty). */
  clientId: string;
  /** User name, absent when none. */
  username?: string;
  /** Password bytes, absent when none. */
  password?: Uint8Array;
  /** Last will (e.g. `offline` retained on the availability topic), absent when none. */
  will?: MqttWill;
  /** Keep-alive period, a whole number of seconds in ms (0 = no pings). */
  keepaliveMs: number;
  /** How long to wait for PINGRESP before the connection counts as dead. */
  pingTimeoutMs: number;
  /** How long to wait for the socket to open and for CONNACK. */
  connectTimeoutMs: number;
  /** First delay before reconnecting; it doubles after each failure up to the maximum. */
  reconnectMinMs: number;
  /** Largest reconnect delay. */
  reconnectMaxMs: number;
  /** When an unacknowledged QoS 1 PUBLISH or SUBSCRIBE is sent again. */
  resendAfterMs: number;
  /** Most unacknowledged QoS 1 publishes kept (memory is scarce); more are refused. */
  maxInflight: number;
  /** Largest packet accepted from the broker. */
  maxPacketBytes: number;
}

/**
 * Where the session is in its connection life: `idle` (not wanted), `opening` (socket
 * asked for), `connecting` (CONNECT sent), `connected`, `waiting` (to reconnect).
 *
 * @example
 * ```ts
 * import type { MqttPhase } from "./mqtt_session_types.ts";
 * import assert from "node:assert/strict";
 * const phase: MqttPhase = "waiting";
 * assert.notEqual(phase, "connected");
 * ```
 */
export type MqttPhase = "idle" | "opening" | "connecting" | "connected" | "waiting";

/**
 * A QoS 1 PUBLISH waiting for its PUBACK.
 *
 * @example
 * ```ts
 * import type { MqttInflight } from "./mqtt_session_types.ts";
 * import assert from "node:assert/strict";
 * const unsent: MqttInflight = {
 *   messageId: 1, topic: "t", payload: new Uint8Array(0), retain: false, sentMs: null, dup: false,
 * };
 * assert.equal(unsent.sentMs, null);
 * ```
 */
export interface MqttInflight {
  /** Packet identifier. */
  messageId: number;
  /** Topic name. */
  topic: string;
  /** Message body. */
  payload: Uint8Array;
  /** Retain flag. */
  retain: boolean;
  /** When last sent, or `null` when not sent on this connection yet. */
  sentMs: number | null;
  /** Whether it was sent before (the next send is a resend, with DUP set). */
  dup: boolean;
}

/**
 * A SUBSCRIBE waiting for its SUBACK.
 *
 * @example
 * ```ts
 * import type { MqttPendingSubscribe } from "./mqtt_session_types.ts";
 * import assert from "node:assert/strict";
 * const pending: MqttPendingSubscribe = { messageId: 2, subscriptions: [{ topic: "a/#", qos: 1 }], sentMs: 0 };
 * assert.equal(pending.subscriptions.length, 1);
 * ```
 */
export interface MqttPendingSubscribe {
  /** Packet identifier. */
  messageId: number;
  /** The filters it asks for. */
  subscriptions: MqttSubscription[];
  /** When last sent. */
  sentMs: number;
}

/**
 * The whole client state; make it with `createSession`, change it only with `stepSession`.
 *
 * @example
 * ```ts
 * import type { MqttSession } from "./mqtt_session_types.ts";
 * import { createSession } from "./mqtt_session.ts";
 * import assert from "node:assert/strict";
 * const created = createSession({
 *   clientId: "fan1", keepaliveMs: 30000, pingTimeoutMs: 5000, connectTimeoutMs: 5000,
 *   reconnectMinMs: 500, reconnectMaxMs: 30000, resendAfterMs: 10000, maxInflight: 4, maxPacketBytes: 1024,
 * });
 * const session: MqttSession | null = created.ok ? created.value : null;
 * assert.equal(session?.inflight.length, 0);
 * ```
 */
export interface MqttSession {
  /** The configuration. */
  config: MqttSessionConfig;
  /** Connection phase. */
  phase: MqttPhase;
  /** When the current phase began (connect timeout, reconnect delay). */
  phaseSinceMs: number;
  /** Delay before the next reconnect attempt. */
  retryDelayMs: number;
  /** When a packet was last sent (keep-alive). */
  lastSentMs: number;
  /** When a packet was last received (keep-alive). */
  lastReceivedMs: number;
  /** When the outstanding PINGREQ was sent, or `null`. */
  pingSentMs: number | null;
  /** The next packet identifier to try. */
  nextMessageId: number;
  /** Unacknowledged QoS 1 publishes, oldest first. */
  inflight: MqttInflight[];
  /** Every filter asked for, sent again after each reconnect. */
  subscriptions: MqttSubscription[];
  /** SUBSCRIBEs without SUBACK yet. */
  pendingSubscribes: MqttPendingSubscribe[];
  /** Stream parser of the current connection; `null` when none. */
  parser: MqttParser | null;
}

/**
 * An input of the session; every event carries the current time `nowMs`.
 *
 * @example
 * ```ts
 * import type { MqttSessionEvent } from "./mqtt_session_types.ts";
 * import assert from "node:assert/strict";
 * const events: MqttSessionEvent[] = [
 *   { type: "connect", nowMs: 0 },
 *   { type: "opened", nowMs: 40 },
 *   { type: "bytes", bytes: new Uint8Array([0x20, 2, 0, 0]), nowMs: 90 },
 *   { type: "publish", topic: "t", payload: new Uint8Array([0x31]), qos: 1, retain: true, nowMs: 100 },
 *   { type: "tick", nowMs: 1000 },
 * ];
 * assert.equal(events.length, 5);
 * ```
 */
export type MqttSessionEvent =
  | { type: "connect"; nowMs: number }
  | { type: "opened"; nowMs: number }
  | { type: "bytes"; bytes: Uint8Array; nowMs: number }
  | { type: "tick"; nowMs: number }
  | {
    type: "publish";
    topic: string;
    /** Bytes, or text sent as UTF-8 (a QoS 0 one then goes out as a `sendText`). */
    payload: Uint8Array | string;
    qos: 0 | 1;
    retain: boolean;
    nowMs: number;
  }
  | { type: "subscribe"; subscriptions: MqttSubscription[]; nowMs: number }
  | { type: "closed"; nowMs: number }
  | { type: "disconnect"; nowMs: number };

/**
 * An output for the adapter: socket actions, received messages and notices.
 *
 * @example
 * ```ts
 * import type { MqttSessionEffect } from "./mqtt_session_types.ts";
 * import assert from "node:assert/strict";
 * const effects: MqttSessionEffect[] = [{ type: "open" }, { type: "send", bytes: new Uint8Array([0xc0, 0]) }];
 * assert.equal(effects[0]?.type, "open");
 * ```
 */
export type MqttSessionEffect =
  | { type: "open" }
  | { type: "send"; bytes: Uint8Array }
  // A packet as a binary string, one character per byte (a QoS 0 publish of text).
  | { type: "sendText"; text: string }
  | { type: "close" }
  | { type: "message"; topic: string; payload: Uint8Array; qos: 0 | 1; retain: boolean }
  | { type: "connected"; sessionPresent: boolean }
  | { type: "disconnected"; reason: string }
  | { type: "error"; error: string };

/**
 * The result of one step: the next state and what to do.
 *
 * @example
 * ```ts
 * import type { MqttSessionStep } from "./mqtt_session_types.ts";
 * import { createSession, stepSession } from "./mqtt_session.ts";
 * import assert from "node:assert/strict";
 * const created = createSession({
 *   clientId: "fan1", keepaliveMs: 30000, pingTimeoutMs: 5000, connectTimeoutMs: 5000,
 *   reconnectMinMs: 500, reconnectMaxMs: 30000, resendAfterMs: 10000, maxInflight: 4, maxPacketBytes: 1024,
 * });
 * assert.ok(created.ok);
 * const step: MqttSessionStep = stepSession(created.value, { type: "connect", nowMs: 0 });
 * assert.deepEqual(step.effects, [{ type: "open" }]);
 * ```
 */
export interface MqttSessionStep {
  /** The next state. */
  session: MqttSession;
  /** Effects to carry out, in order. */
  effects: MqttSessionEffect[];
}
