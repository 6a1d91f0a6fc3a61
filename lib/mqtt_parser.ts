/**
 * A streaming MQTT packet parser for TCP: bytes arrive in chunks that split packets and
 * merge several into one, so the parser keeps an incomplete packet between chunks.
 *
 * Memory is bounded: a packet's buffer is allocated only once its size is known and only
 * when it is within `maxPacketBytes` (an ESP8266 has about 19 KB for all JS state, so a
 * corrupt length must not allocate megabytes). A packet that arrives whole inside one chunk
 * is decoded in place, without a copy.
 *
 * After the first error (malformed packet, too large) the parser stays failed: MQTT asks the
 * receiver to close the connection then, and the bytes that follow cannot be trusted to
 * start a packet. Make a new parser for the next connection.
 *
 * @module
 */

import { decodePacket, decodeRemainingLength, headerByteError } from "./mqtt_decode.ts";
import type { MqttPacket } from "./mqtt_packet.ts";

/**
 * Default size limit of one packet, header included: ample for plain-text commands.
 *
 * @example
 * ```ts
 * import { createParser, DEFAULT_MAX_PACKET_BYTES } from "./mqtt_parser.ts";
 * import assert from "node:assert/strict";
 * assert.equal(createParser().maxPacketBytes, DEFAULT_MAX_PACKET_BYTES);
 * ```
 */
export const DEFAULT_MAX_PACKET_BYTES = 2048;

// A fixed header is at most 5 bytes: the type byte and a 4-byte remaining length.
const MAX_HEADER_BYTES = 5;
const MAX_PACKET_BYTES_LIMIT = 1 + 4 + 268435455;

/**
 * The state of a streaming parser; build it with {@link createParser}, then only pass it to
 * {@link feedParser} (which updates it in place, as a stream parser must keep its buffer).
 *
 * @example
 * ```ts
 * import { createParser, type MqttParser } from "./mqtt_parser.ts";
 * import assert from "node:assert/strict";
 * const parser: MqttParser = createParser(512);
 * assert.equal(parser.maxPacketBytes, 512);
 * ```
 */
export interface MqttParser {
  /** Largest accepted packet, fixed header included. */
  maxPacketBytes: number;
  /** The fixed header gathered so far while no packet buffer exists. */
  header: Uint8Array;
  /** How many bytes of `header` are filled. */
  headerLength: number;
  /** The incomplete packet (header included) once its size is known, else `null`. */
  packet: Uint8Array | null;
  /** How many bytes of `packet` are filled. */
  filled: number;
  /** The error that stopped the parser, or `null` while healthy. */
  error: string | null;
}

/**
 * What one chunk produced: the packets it completed, and the error if the stream broke.
 *
 * @example
 * ```ts
 * import { createParser, feedParser, type MqttFeedResult } from "./mqtt_parser.ts";
 * import assert from "node:assert/strict";
 * const result: MqttFeedResult = feedParser(createParser(), new Uint8Array([0xd0, 0, 0xd0]));
 * assert.deepEqual(result, { packets: [{ cmd: "pingresp" }], error: null });
 * ```
 */
export interface MqttFeedResult {
  /** Packets completed by this chunk, in order (also those before an error). */
  packets: MqttPacket[];
  /** Why the stream cannot be parsed further, or `null`. */
  error: string | null;
}

/**
 * Creates a streaming parser.
 *
 * @param maxPacketBytes Largest accepted packet, fixed header included (an integer from 2);
 *   {@link DEFAULT_MAX_PACKET_BYTES} when omitted. An invalid value gives a parser that
 *   reports the problem on its first feed.
 * @returns A parser waiting for the first byte.
 * @example
 * ```ts
 * import { createParser, DEFAULT_MAX_PACKET_BYTES } from "./mqtt_parser.ts";
 * import assert from "node:assert/strict";
 * assert.equal(createParser().maxPacketBytes, DEFAULT_MAX_PACKET_BYTES);
 * assert.equal(createParser(1).error, "maxPacketBytes must be an integer from 2 to 268435460");
 * ```
 */
export function createParser(maxPacketBytes?: number): MqttParser {
  const max = maxPacketBytes === undefined ? DEFAULT_MAX_PACKET_BYTES : maxPacketBytes;
  const valid = typeof max === "number" && max >= 2 && max <= MAX_PACKET_BYTES_LIMIT &&
    Math.floor(max) === max;
  return {
    maxPacketBytes: max,
    header: new Uint8Array(MAX_HEADER_BYTES),
    headerLength: 0,
    packet: null,
    filled: 0,
    error: valid ? null : "maxPacketBytes must be an integer from 2 to " + MAX_PACKET_BYTES_LIMIT,
  };
}

const sizeError = (size: number, max: number): string =>
  "packet of " + size + " bytes exceeds the maximum of " + max;

const stop = (parser: MqttParser, packets: MqttPacket[], error: string): MqttFeedResult => {
  parser.error = error;
  parser.packet = null;
  parser.headerLength = 0;
  return { packets: packets, error: error };
};

// Moves one byte into the fixed header; once the header is whole, allocates the packet
// buffer. Returns an error, or null.
const takeHeaderByte = (parser: MqttParser, byte: number): string | null => {
  parser.header[parser.headerLength] = byte;
  parser.headerLength++;
  if (parser.headerLength < 2) return null;
  const length = decodeRemainingLength(parser.header.subarray(0, parser.headerLength), 1);
  if (!length.ok) return length.error;
  if (length.value === null) return null;
  const size = parser.headerLength + length.value.value;
  if (size > parser.maxPacketBytes) return sizeError(size, parser.maxPacketBytes);
  parser.packet = new Uint8Array(size);
  parser.packet.set(parser.header.subarray(0, parser.headerLength));
  parser.filled = parser.headerLength;
  parser.headerLength = 0;
  return null;
};

/**
 * Feeds the next chunk of the byte stream. Never throws, whatever the bytes.
 *
 * @param parser The parser (updated in place).
 * @param bytes The next bytes received, of any length.
 * @returns The packets this chunk completed, and an error once the stream is broken (then
 *   every later feed returns the same error and no packets).
 * @example
 * ```ts
 * import { createParser, feedParser } from "./mqtt_parser.ts";
 * import assert from "node:assert/strict";
 * const parser = createParser();
 * // CONNACK, then PINGRESP split across two chunks.
 * assert.deepEqual(feedParser(parser, new Uint8Array([0x20, 2, 0, 0, 0xd0])), {
 *   packets: [{ cmd: "connack", sessionPresent: false, returnCode: 0 }],
 *   error: null,
 * });
 * assert.deepEqual(feedParser(parser, new Uint8Array([0])), { packets: [{ cmd: "pingresp" }], error: null });
 * assert.deepEqual(feedParser(createParser(16), new Uint8Array([0x30, 100])), {
 *   packets: [],
 *   error: "packet of 102 bytes exceeds the maximum of 16",
 * });
 * ```
 */
export function feedParser(parser: MqttParser, bytes: Uint8Array): MqttFeedResult {
  const packets: MqttPacket[] = [];
  if (parser.error !== null) return { packets: packets, error: parser.error };
  if (!(bytes instanceof Uint8Array)) return stop(parser, packets, "bytes must be a Uint8Array");
  let at = 0;
  while (at < bytes.length) {
    const buffer = parser.packet;
    if (buffer !== null) {
      const count = Math.min(buffer.length - parser.filled, bytes.length - at);
      buffer.set(bytes.subarray(at, at + count), parser.filled);
      parser.filled += count;
      at += count;
      if (parser.filled < buffer.length) break;
      parser.packet = null;
      const decoded = decodePacket(buffer);
      if (!decoded.ok) return stop(parser, packets, decoded.error);
      packets.push(decoded.value);
      continue;
    }
    if (parser.headerLength === 0) {
      // Garbage is refused at its first byte rather than after a length that may never come.
      const headerError = headerByteError(bytes[at] as number);
      if (headerError !== null) return stop(parser, packets, headerError);
      // The usual case: a whole packet inside this chunk is decoded where it lies.
      const length = decodeRemainingLength(bytes, at + 1);
      if (length.ok && length.value !== null) {
        const size = 1 + length.value.byteCount + length.value.value;
        if (size > parser.maxPacketBytes) {
          return stop(parser, packets, sizeError(size, parser.maxPacketBytes));
        }
        if (at + size <= bytes.length) {
          const decoded = decodePacket(bytes.subarray(at, at + size));
          if (!decoded.ok) return stop(parser, packets, decoded.error);
          packets.push(decoded.value);
          at += size;
          continue;
        }
      }
    }
    const error = takeHeaderByte(parser, bytes[at] as number);
    at++;
    if (error !== null) return stop(parser, packets, error);
    if (parser.packet !== null && parser.filled === parser.packet.length) {
      const whole = parser.packet;
      parser.packet = null;
      const decoded = decodePacket(whole);
      if (!decoded.ok) return stop(parser, packets, decoded.error);
      packets.push(decoded.value);
    }
  }
  return { packets: packets, error: null };
}
