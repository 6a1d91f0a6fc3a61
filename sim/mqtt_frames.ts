/**
 * Just enough MQTT 3.1.1 framing to watch a firmware bundle's traffic from outside:
 * split a byte stream into packets, read a PUBLISH, and build a QoS 0 PUBLISH to hand
 * the firmware a command. (The firmware's own codec is `lib/mqtt_codec.ts`; this one
 * stays independent of it, so a watcher does not share its bugs.)
 *
 * @module
 */

/** A PUBLISH as seen on the wire. */
export interface WirePublish {
  /** Topic. */
  topic: string;
  /** Payload as UTF-8 text. */
  payload: string;
  /** Retain flag. */
  retain: boolean;
  /** QoS 0..2. */
  qos: number;
}

/**
 * Splits a byte stream into whole MQTT packets.
 *
 * @example
 * ```ts
 * import { MqttFrames } from "./mqtt_frames.ts";
 * import assert from "node:assert/strict";
 * const frames = new MqttFrames();
 * assert.deepEqual(frames.push(new Uint8Array([0x20, 0x02, 0x00])), []);
 * assert.deepEqual(frames.push(new Uint8Array([0x00, 0xd0])), [new Uint8Array([0x20, 2, 0, 0])]);
 * assert.equal(frames.pendingBytes(), 1);
 * ```
 */
export class MqttFrames {
  #buffer = new Uint8Array(0);

  /**
   * Adds bytes; returns the packets they complete.
   *
   * @param bytes Bytes received.
   * @returns Whole packets, in order.
   */
  push(bytes: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.#buffer.length + bytes.length);
    joined.set(this.#buffer, 0);
    joined.set(bytes, this.#buffer.length);
    const packets: Uint8Array[] = [];
    let at = 0;
    for (;;) {
      const length = packetLength(joined, at);
      if (length === null || at + length > joined.length) break;
      packets.push(joined.slice(at, at + length));
      at += length;
    }
    this.#buffer = joined.slice(at);
    return packets;
  }

  /**
   * Bytes of a packet not yet complete.
   *
   * @returns Their count (0 at a packet boundary).
   */
  pendingBytes(): number {
    return this.#buffer.length;
  }
}

/** Whole length of the packet at `at`, or `null` while its header is incomplete. */
const packetLength = (bytes: Uint8Array, at: number): number | null => {
  let remaining = 0;
  let multiplier = 1;
  for (let n = 1; n <= 4; n++) {
    const byte = bytes[at + n];
    if (byte === undefined) return null;
    remaining += (byte & 127) * multiplier;
    multiplier *= 128;
    if ((byte & 128) === 0) return 1 + n + remaining;
  }
  return null;
};

/**
 * The packet type (1 CONNECT, 2 CONNACK, 3 PUBLISH, ... 14 DISCONNECT).
 *
 * @param packet A whole packet.
 * @returns Its type.
 */
export function packetType(packet: Uint8Array): number {
  return (packet[0] ?? 0) >> 4;
}

/**
 * Reads a PUBLISH packet.
 *
 * @param packet A whole packet.
 * @returns The message, or `null` when it is not a PUBLISH.
 * @example
 * ```ts
 * import { encodePublish, readPublish } from "./mqtt_frames.ts";
 * import assert from "node:assert/strict";
 * const packet = encodePublish("plugs/p/commands/power", "ON");
 * assert.deepEqual(readPublish(packet), {
 *   topic: "plugs/p/commands/power", payload: "ON", retain: false, qos: 0,
 * });
 * ```
 */
export function readPublish(packet: Uint8Array): WirePublish | null {
  if (packetType(packet) !== 3) return null;
  let at = 1;
  while (((packet[at] ?? 0) & 128) !== 0) at++;
  at++;
  const topicLength = ((packet[at] ?? 0) << 8) | (packet[at + 1] ?? 0);
  at += 2;
  const decoder = new TextDecoder();
  const topic = decoder.decode(packet.subarray(at, at + topicLength));
  at += topicLength;
  const qos = ((packet[0] as number) >> 1) & 3;
  if (qos > 0) at += 2;
  return {
    topic,
    payload: decoder.decode(packet.subarray(at)),
    retain: ((packet[0] as number) & 1) === 1,
    qos,
  };
}

/**
 * Builds a QoS 0, not retained PUBLISH.
 *
 * @param topic Topic.
 * @param payload Payload text (sent as UTF-8).
 * @returns The packet.
 */
export function encodePublish(topic: string, payload: string): Uint8Array {
  const encoder = new TextEncoder();
  const topicBytes = encoder.encode(topic);
  const payloadBytes = encoder.encode(payload);
  let remaining = 2 + topicBytes.length + payloadBytes.length;
  const header = [0x30];
  do {
    let byte = remaining % 128;
    remaining = Math.floor(remaining / 128);
    if (remaining > 0) byte |= 128;
    header.push(byte);
  } while (remaining > 0);
  const packet = new Uint8Array(header.length + 2 + topicBytes.length + payloadBytes.length);
  packet.set(header, 0);
  packet[header.length] = topicBytes.length >> 8;
  packet[header.length + 1] = topicBytes.length & 255;
  packet.set(topicBytes, header.length + 2);
  packet.set(payloadBytes, header.length + 2 + topicBytes.length);
  return packet;
}
