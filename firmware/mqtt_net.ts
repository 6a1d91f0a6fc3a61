/**
 * Drives the pure MQTT client (`lib/mqtt_session.ts`) over Espruino's `net` sockets:
 * the session's `open`/`send`/`close` effects become `net.connect`/`socket.write`/
 * `socket.end`, socket data and closes become `bytes`/`opened`/`closed` events, and one
 * timer sends `tick` events at the session's next deadline
 * ({@linkcode nextSessionDeadlineMs}). The session brings the last will, keep-alive,
 * reconnection with backoff and resubscription; this file only moves bytes.
 *
 * Events raised while effects are being carried out (a handler that publishes, say) are
 * queued and run after, so the session always sees them one at a time, in order.
 *
 * @module
 */

import { createSession, stepSession } from "../lib/mqtt_session.ts";
import type {
  MqttSession,
  MqttSessionConfig,
  MqttSessionEffect,
  MqttSessionEvent,
} from "../lib/mqtt_session.ts";
import type { Result } from "../lib/result.ts";
import { err, ok } from "../lib/result.ts";
import type { EspruinoNet, EspruinoSocket } from "./espruino_types.ts";

/** Longest sleep between two ticks, whatever the deadline says (a safety net). */
export const MAX_TICK_MS = 30000;

/** What the driver needs from the platform. */
export interface MqttNetPlatform {
  /** `require("net")`, or a fake. */
  net: EspruinoNet;
  /** A binary string as bytes (`E.toUint8Array`). */
  toBytes(data: string): Uint8Array;
  /** Bytes as a binary string (`E.toString`). */
  toText(bytes: Uint8Array): string;
  /** The clock in ms. */
  nowMs(): number;
  /** `setTimeout`. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** `clearTimeout`. */
  clearTimeout(id: unknown): void;
}

/** What the session tells its owner: up (after every CONNACK), down, or a message. */
export type MqttNetEvent =
  | { type: "connected"; nowMs: number }
  | { type: "disconnected"; nowMs: number; reason: string }
  | { type: "message"; nowMs: number; topic: string; payload: Uint8Array; retained: boolean }
  // The socket sent everything written to it (its `drain`).
  | { type: "sent" };

/** What the driver tells its owner. */
export interface MqttNetHandlers {
  /** The session's events; one function, since each resident function costs memory. */
  event(event: MqttNetEvent): void;
  /** Something worth a console line. */
  log(text: string): void;
}

/** The broker connection. */
export interface MqttNet {
  /**
   * Starts connecting (and keeps reconnecting); while waiting to reconnect, connects again
   * now, skipping the backoff (e.g. when Wi-Fi came back); otherwise does nothing.
   */
  start(): void;
  /** Publishes at QoS 0; `false` when not connected (the message is dropped). */
  publish(topic: string, payload: string, retain: boolean): boolean;
  /** Subscribes at QoS 0 (kept and sent again after each reconnection). */
  subscribe(filter: string): void;
}

/**
 * When the session next needs a `tick`: the connect timeout, the reconnect delay, the
 * ping timeout, the keep-alive, or a QoS 1 resend, whichever is first.
 *
 * @param session The session.
 * @returns A time in ms, or `null` when nothing is pending (idle).
 * @example
 * ```ts
 * import { nextSessionDeadlineMs } from "./mqtt_net.ts";
 * import { createSession, stepSession } from "../lib/mqtt_session.ts";
 * import assert from "node:assert/strict";
 * const created = createSession({
 *   clientId: "p", keepaliveMs: 60000, pingTimeoutMs: 10000, connectTimeoutMs: 15000,
 *   reconnectMinMs: 1000, reconnectMaxMs: 60000, resendAfterMs: 20000, maxInflight: 2, maxPacketBytes: 1024,
 * });
 * assert.ok(created.ok);
 * assert.equal(nextSessionDeadlineMs(created.value), null);
 * const opening = stepSession(created.value, { type: "connect", nowMs: 500 }).session;
 * assert.equal(nextSessionDeadlineMs(opening), 15500);
 * ```
 */
export function nextSessionDeadlineMs(session: MqttSession): number | null {
  const config = session.config;
  if (session.phase === "idle") return null;
  if (session.phase === "opening" || session.phase === "connecting") {
    return session.phaseSinceMs + config.connectTimeoutMs;
  }
  if (session.phase === "waiting") return session.phaseSinceMs + session.retryDelayMs;
  let next: number | null = null;
  const consider = (ms: number): void => {
    if (next === null || ms < next) next = ms;
  };
  if (session.pingSentMs !== null) consider(session.pingSentMs + config.pingTimeoutMs);
  else if (config.keepaliveMs > 0) {
    consider(Math.min(session.lastSentMs, session.lastReceivedMs) + config.keepaliveMs);
  }
  for (const item of session.inflight) {
    consider(item.sentMs === null ? session.phaseSinceMs : item.sentMs + config.resendAfterMs);
  }
  for (const item of session.pendingSubscribes) consider(item.sentMs + config.resendAfterMs);
  return next;
}

/**
 * Makes the broker connection; nothing happens until `start`.
 *
 * @param config The session configuration (client id, will, keep-alive, ...).
 * @param host Broker host.
 * @param port Broker port.
 * @param platform Sockets, clock and timers.
 * @param handlers Where news goes.
 * @returns The connection, or the configuration's error.
 * @example
 * ```ts
 * import { createMqttNet } from "./mqtt_net.ts";
 * import assert from "node:assert/strict";
 * const config = {
 *   clientId: "p", keepaliveMs: 1500, pingTimeoutMs: 10000, connectTimeoutMs: 15000,
 *   reconnectMinMs: 1000, reconnectMaxMs: 60000, resendAfterMs: 20000, maxInflight: 2, maxPacketBytes: 1024,
 * };
 * const platform = {
 *   net: { connect: () => { throw new Error("no network"); } },
 *   toBytes: (text: string) => new Uint8Array(0), toText: () => "", nowMs: () => 0,
 *   setTimeout: () => 0, clearTimeout: () => {},
 * };
 * const handlers = { event() {}, log() {} };
 * const made = createMqttNet(config, "127.0.0.1", 1883, platform, handlers);
 * assert.deepEqual(made, { ok: false, error: "keepaliveMs must be a whole number of seconds" });
 * ```
 */
export function createMqttNet(
  config: MqttSessionConfig,
  host: string,
  port: number,
  platform: MqttNetPlatform,
  handlers: MqttNetHandlers,
): Result<MqttNet> {
  let created: Result<MqttSession> | undefined = createSession(config);
  if (!created.ok) return err(created.error);
  let session = created.value;
  // The closures below keep this scope: let the first session go, and keep each port alone
  // rather than the object, whose long names cost the chip a variable more each. What is
  // let go becomes `undefined`, not `null`: on Espruino each `null` is a variable.
  created = undefined;
  const net = platform.net;
  const toText = platform.toText;
  const toBytes = platform.toBytes;
  const nowMs = platform.nowMs;
  const later = platform.setTimeout;
  const cancel = platform.clearTimeout;
  platform = undefined as unknown as MqttNetPlatform;
  let socket: EspruinoSocket | undefined;
  let timer: unknown;
  const queue: MqttSessionEvent[] = [];
  let running = false;

  const carryOut = (effect: MqttSessionEffect): void => {
    if (effect.type === "send" || effect.type === "sendText") {
      if (socket !== undefined) {
        socket.write(effect.type === "send" ? toText(effect.bytes) : effect.text);
      }
    } else if (effect.type === "open" || effect.type === "close") {
      // Inline, not helper functions: each resident function costs memory. The socket's
      // listeners keep this scope, so `closing` must not keep the old socket.
      let closing = socket;
      socket = undefined;
      if (closing !== undefined) closing.end();
      closing = undefined;
      if (effect.type === "close") return;
      try {
        // One listener for the connection and each `drain` (Espruino passes the socket to
        // both), `data` (a string), `error` (an object) and `close` (a boolean, or
        // nothing): each resident function costs memory.
        const heard = (arg?: unknown): void => {
          if (arg === opened) {
            if (socket !== opened) return;
            if (session.phase === "opening") step({ type: "opened", nowMs: nowMs() });
            else handlers.event({ type: "sent" });
          } else if (typeof arg === "object" && arg !== null) {
            handlers.log("mqtt socket: " + String(arg));
          } else if (socket !== opened) return;
          else if (typeof arg === "string") {
            step({ type: "bytes", bytes: toBytes(arg), nowMs: nowMs() });
          } else {
            socket = undefined;
            step({ type: "closed", nowMs: nowMs() });
          }
        };
        const opened = net.connect({ host: host, port: port }, heard);
        socket = opened;
        opened.on("data", heard);
        opened.on("drain", heard);
        opened.on("close", heard);
        opened.on("error", heard);
      } catch (error) {
        // Espruino's Linux build throws at once for a refused connection or unknown host.
        handlers.log("mqtt connect: " + String(error));
        later(() => step({ type: "closed", nowMs: nowMs() }), 0);
      }
    } else if (effect.type === "message") {
      handlers.event({
        type: "message",
        nowMs: nowMs(),
        topic: effect.topic,
        payload: effect.payload,
        retained: effect.retain,
      });
    } else if (effect.type === "connected") {
      handlers.event({ type: "connected", nowMs: nowMs() });
    } else if (effect.type === "disconnected") {
      handlers.event({ type: "disconnected", nowMs: nowMs(), reason: effect.reason });
    } else handlers.log("mqtt: " + effect.error);
  };
  // Nothing (the timer) is a `tick`.
  const step = (event?: MqttSessionEvent): void => {
    if (event === undefined) {
      timer = undefined;
      event = { type: "tick", nowMs: nowMs() };
    }
    queue.push(event);
    if (running) return;
    running = true;
    try {
      while (queue.length > 0) {
        const result = stepSession(session, queue.shift() as MqttSessionEvent);
        session = result.session;
        for (const effect of result.effects) carryOut(effect);
      }
    } finally {
      running = false;
    }
    // The next tick, set here rather than in a function of its own (one function fewer).
    if (timer !== undefined) cancel(timer);
    timer = undefined;
    const deadline = nextSessionDeadlineMs(session);
    if (deadline === null) return;
    // `step` itself is the timer's function: no closure (which would also keep this scope,
    // with the last event), no function of its own.
    timer = later(
      step,
      Math.min(MAX_TICK_MS, Math.max(0, deadline - nowMs())),
    );
  };

  return ok({
    // One function for starting and retrying: each resident function costs memory.
    start: () => {
      if (session.phase === "waiting") step({ type: "disconnect", nowMs: nowMs() });
      else if (session.phase !== "idle") return;
      step({ type: "connect", nowMs: nowMs() });
    },
    publish: (topic, payload, retain) => {
      if (session.phase !== "connected") return false;
      step({
        type: "publish",
        topic: topic,
        payload: payload,
        qos: 0,
        retain: retain,
        nowMs: nowMs(),
      });
      return true;
    },
    subscribe: (filter) => {
      // The session sends its subscriptions again after each CONNACK by itself.
      if (session.subscriptions.some((item) => item.topic === filter)) return;
      step({
        type: "subscribe",
        subscriptions: [{ topic: filter, qos: 0 }],
        nowMs: nowMs(),
      });
    },
  });
}
