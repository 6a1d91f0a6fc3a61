/**
 * What a firmware bundle in the shim does, learned from its MQTT traffic (the shim's
 * tap): whether its session is up (a CONNACK accepted on a live connection), what it
 * publishes (counted, traced, and its last `<base>/state` snapshot kept), and how many
 * messages it received. `FirmwareDevice` shows the device through this.
 *
 * @module
 */

import type { ShimTraffic } from "../firmware/shim/shim_net.ts";
import { MqttFrames, packetType, readPublish } from "./mqtt_frames.ts";
import type { RecordedMessage } from "./mqtt_link.ts";

/** Options of a {@linkcode BundleTraffic}. */
export interface BundleTrafficOptions {
  /** The topic of the device's JSON snapshot (`<base>/state`). */
  snapshotTopic: string;
  /** Keep every published message. */
  trace: boolean;
  /** Called after every change (session up or down, a message published). */
  onChange(): void;
}

/**
 * Watches one device's connections.
 *
 * @example
 * ```ts
 * import { BundleTraffic } from "./bundle_traffic.ts";
 * import { encodePublish } from "./mqtt_frames.ts";
 * import assert from "node:assert/strict";
 * const watch = new BundleTraffic({ snapshotTopic: "plugs/p/state", trace: true, onChange() {} });
 * watch.see({ socket: 1, type: "open" });
 * watch.see({ socket: 1, type: "in", bytes: new Uint8Array([0x20, 2, 0, 0]) });
 * watch.see({ socket: 1, type: "out", bytes: encodePublish("plugs/p/state", '{"power":"ON"}') });
 * assert.equal(watch.connected, true);
 * assert.deepEqual(watch.snapshot, { power: "ON" });
 * watch.see({ socket: 1, type: "close" });
 * assert.equal(watch.connected, false);
 * ```
 */
export class BundleTraffic {
  /** PUBLISH packets sent, over all connections. */
  sent = 0;
  /** PUBLISH packets received. */
  received = 0;
  /** Everything published, in order (when tracing). */
  readonly trace: RecordedMessage[] | null;
  /** The last JSON snapshot published. */
  snapshot: Record<string, unknown> = {};
  #options: BundleTrafficOptions;
  #frames: Record<number, { in: MqttFrames; out: MqttFrames }> = {};
  #session: number | null = null;
  #capture: RecordedMessage[] | null = null;

  /**
   * Starts watching.
   *
   * @param options Snapshot topic, tracing and the change listener.
   */
  constructor(options: BundleTrafficOptions) {
    this.#options = options;
    this.trace = options.trace ? [] : null;
  }

  /** Whether a session is up. */
  get connected(): boolean {
    return this.#session !== null;
  }

  /**
   * Whether the session's incoming stream is between two packets (so one can be added).
   *
   * @returns `false` without a session.
   */
  atPacketBoundary(): boolean {
    const frames = this.#session === null ? undefined : this.#frames[this.#session];
    return frames !== undefined && frames.in.pendingBytes() === 0;
  }

  /**
   * Runs something and returns what was published meanwhile.
   *
   * @param run What to run (synchronous).
   * @returns What it returned, and the messages published.
   */
  capture<T>(run: () => T): { result: T; published: RecordedMessage[] } {
    const published: RecordedMessage[] = [];
    this.#capture = published;
    try {
      return { result: run(), published };
    } finally {
      this.#capture = null;
    }
  }

  /** Forgets every connection (power off). */
  reset(): void {
    this.#frames = {};
    this.#session = null;
  }

  /**
   * Takes one tap event.
   *
   * @param traffic What the shim's net module saw.
   */
  see(traffic: ShimTraffic): void {
    const number = traffic.socket;
    if (traffic.type === "open") {
      this.#frames[number] = { in: new MqttFrames(), out: new MqttFrames() };
      return;
    }
    if (traffic.type === "close") {
      delete this.#frames[number];
      if (this.#session === number) {
        this.#session = null;
        this.#options.onChange();
      }
      return;
    }
    const frames = this.#frames[number];
    if (frames === undefined || !("bytes" in traffic)) return;
    const incoming = traffic.type === "in";
    for (const packet of (incoming ? frames.in : frames.out).push(traffic.bytes)) {
      if (incoming) this.#received(number, packet);
      else this.#sent(packet);
    }
  }

  #received(number: number, packet: Uint8Array): void {
    const type = packetType(packet);
    if (type === 3) this.received++;
    // CONNACK with return code 0: accepted.
    if (type === 2 && packet[3] === 0) {
      this.#session = number;
      this.#options.onChange();
    }
  }

  #sent(packet: Uint8Array): void {
    const message = readPublish(packet);
    if (message === null) return;
    this.sent++;
    const recorded = { topic: message.topic, payload: message.payload, retain: message.retain };
    this.trace?.push(recorded);
    this.#capture?.push(recorded);
    if (message.topic === this.#options.snapshotTopic) {
      try {
        this.snapshot = JSON.parse(message.payload);
      } catch {
        // A snapshot that does not parse leaves the last one.
      }
    }
    this.#options.onChange();
  }
}
