/**
 * A simulated device's MQTT connection: the real mqtt.js client against any broker, or an
 * in-memory link for scenarios that run faster than any network could.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { Duplex } from "node:stream";
import mqtt, { type IClientOptions } from "mqtt";

/** What a link tells its device. */
export interface LinkHandlers {
  /** The session is up (first connection or a reconnection). */
  onConnect(): void;
  /** The session is down. */
  onClose(): void;
  /** A message arrived. */
  onMessage(topic: string, payload: Uint8Array, retained: boolean): void;
}

/** The MQTT connection port of a simulated device. */
export interface MqttLink {
  /** Connects (and keeps reconnecting) with a last will of `offline` on `willTopic`. */
  open(willTopic: string, handlers: LinkHandlers): void;
  /**
   * Publishes a message at QoS 0, as the firmware does: states are retained and every new
   * session publishes them all again, so a message lost with a connection costs nothing
   * that a QoS 1 acknowledgement per message (twice the traffic) would save.
   */
  publish(topic: string, payload: string, retain: boolean): void;
  /** Subscribes to a topic filter. */
  subscribe(filter: string): void;
  /** Loses the connection abruptly (the broker sends the last will); no reconnection. */
  drop(): void;
  /** Closes cleanly after publishing `offline` on the will topic. */
  close(): Promise<void>;
}

/** Where and how to connect: give `url` or `openStream`. */
export interface MqttLinkOptions {
  /** Broker URL, e.g. `mqtt://127.0.0.1:1883`. */
  url?: string;
  /**
   * Opens a connection to the broker without a URL, at every (re)connection, e.g. the
   * in-process broker's `BrokerHandle.openStream` (no socket). Used instead of `url`.
   */
  openStream?: () => Duplex;
  /** Client id. */
  clientId: string;
  /** Username, if the broker wants one. */
  username?: string;
  /** Password, if the broker wants one. */
  password?: string;
  /** Wall-clock ms between reconnection attempts (default 1000). */
  reconnectPeriodMs?: number;
}

const silent = (): void => {};

/**
 * Creates a link over mqtt.js.
 *
 * @param options Broker URL or stream opener, client id and credentials.
 * @returns The link; nothing connects until `open`.
 * @throws {TypeError} Unless exactly one of `url` and `openStream` is given.
 * @example
 * ```ts
 * import { startBroker } from "./broker.ts";
 * import { mqttJsLink } from "./mqtt_link.ts";
 * import assert from "node:assert/strict";
 * const broker = await startBroker({ port: 0 });
 * const link = mqttJsLink({ openStream: () => broker.openStream(), clientId: "d1" });
 * const up = new Promise<void>((resolve) =>
 *   link.open("d1/availability", { onConnect: resolve, onClose() {}, onMessage() {} })
 * );
 * await up;
 * assert.equal(broker.clientCount(), 1);
 * await link.close();
 * await broker.stop();
 * ```
 */
export function mqttJsLink(options: MqttLinkOptions): MqttLink {
  const { url, openStream } = options;
  if ((url === undefined) === (openStream === undefined)) {
    throw new TypeError("mqttJsLink needs either url or openStream");
  }
  let client: mqtt.MqttClient | null = null;
  let willTopic = "";
  return {
    open(topic, handlers) {
      willTopic = topic;
      const clientOptions: IClientOptions = {
        clientId: options.clientId,
        username: options.username,
        password: options.password,
        clean: true,
        keepalive: 30,
        // A ping every keepalive period (its timer re-armed by the PINGRESP) instead of
        // re-arming the timer at every packet: ~11 % of a busy simulator's time went there.
        reschedulePings: false,
        reconnectPeriod: options.reconnectPeriodMs ?? 1000,
        // In process there is no network to wait for, only a busy broker: giving up after 5 s
        // and trying again would only add to its queue (thousands of devices booting at once).
        connectTimeout: openStream === undefined ? 5000 : 60000,
        will: { topic, payload: Buffer.from("offline"), qos: 1, retain: true },
        // mqtt.js logs through `debug` at every step; even switched off, the calls cost
        // about 1 % of a busy simulator. Failures still reach the device as closes.
        log: silent,
      };
      const opened = openStream === undefined
        ? mqtt.connect(url!, clientOptions)
        : new mqtt.MqttClient(() => openStream(), clientOptions);
      client = opened;
      opened.on("connect", () => {
        // Small messages go out at once instead of waiting for the previous one's ACK
        // (Nagle's algorithm against delayed ACKs costs ~40 ms per burst on Linux).
        (opened.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
        handlers.onConnect();
      });
      opened.on("close", () => {
        if (client === opened) handlers.onClose();
      });
      opened.on("message", (messageTopic, payload, packet) => {
        handlers.onMessage(messageTopic, payload, packet.retain === true);
      });
      // Connection errors are retried by mqtt.js; the device learns of them through close.
      opened.on("error", () => {});
    },
    publish(topic, payload, retain) {
      if (client !== null && client.connected) {
        client.publish(topic, payload, { qos: 0, retain });
      }
    },
    subscribe(filter) {
      if (client !== null) client.subscribe(filter, { qos: 1 });
    },
    drop() {
      const dropped = client;
      client = null;
      if (dropped === null) return;
      dropped.stream?.destroy();
      dropped.end(true);
    },
    async close() {
      const closing = client;
      client = null;
      if (closing === null) return;
      if (closing.connected) {
        await closing.publishAsync(willTopic, "offline", { qos: 1, retain: true }).catch(() => {});
      }
      await closing.endAsync(true).catch(() => {});
    },
  };
}

/** A message published through a {@linkcode MemoryLink}. */
export interface RecordedMessage {
  /** Topic. */
  topic: string;
  /** Payload text. */
  payload: string;
  /** Retain flag. */
  retain: boolean;
}

/** An in-memory link: always connected, records what is published, can inject messages. */
export interface MemoryLink extends MqttLink {
  /** Everything published, in order. */
  readonly published: RecordedMessage[];
  /** Filters subscribed to. */
  readonly subscriptions: string[];
  /** Delivers a message to the device as a broker would. */
  inject(topic: string, payload: string, retained: boolean): void;
}

/**
 * Creates an in-memory link for scenarios and fast tests.
 *
 * @returns A link that connects at once.
 * @example
 * ```ts
 * import { memoryLink } from "./mqtt_link.ts";
 * import assert from "node:assert/strict";
 * const link = memoryLink();
 * let up = false;
 * link.open("d/availability", { onConnect: () => (up = true), onClose() {}, onMessage() {} });
 * link.publish("d/states/power", "ON", true);
 * assert.equal(up, true);
 * assert.deepEqual(link.published, [{ topic: "d/states/power", payload: "ON", retain: true }]);
 * ```
 */
export function memoryLink(): MemoryLink {
  const published: RecordedMessage[] = [];
  const subscriptions: string[] = [];
  let handlers: LinkHandlers | null = null;
  const encoder = new TextEncoder();
  return {
    published,
    subscriptions,
    open(_willTopic, linkHandlers) {
      handlers = linkHandlers;
      linkHandlers.onConnect();
    },
    publish(topic, payload, retain) {
      if (handlers !== null) published.push({ topic, payload, retain });
    },
    subscribe(filter) {
      subscriptions.push(filter);
    },
    inject(topic, payload, retained) {
      handlers?.onMessage(topic, encoder.encode(payload), retained);
    },
    drop() {
      const was = handlers;
      handlers = null;
      was?.onClose();
    },
    close() {
      handlers = null;
      return Promise.resolve();
    },
  };
}
