// The codec against an independent implementation, the npm package mqtt-packet (used by
// MQTT.js and aedes): same bytes out, same packets in, both directions, plus stream
// properties (chunking, garbage) of our parser.
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  anyPacket,
  concatBytes,
  oracleEncode,
  oracleParse,
  splitAt,
} from "./mqtt_arbitraries_test.ts";
import { encodePacket, encodeRemainingLength } from "./mqtt_encode.ts";
import { decodePacket, decodeRemainingLength } from "./mqtt_decode.ts";
import { createParser, feedParser, type MqttFeedResult } from "./mqtt_parser.ts";
import type { MqttPacket } from "./mqtt_packet.ts";

const encoded = (packet: MqttPacket): Uint8Array => {
  const result = encodePacket(packet);
  if (!result.ok) throw new Error(result.error + " for " + JSON.stringify(packet));
  return result.value;
};

const feedAll = (chunks: Uint8Array[], maxPacketBytes?: number): MqttFeedResult => {
  const parser = createParser(maxPacketBytes ?? 100000);
  const packets: MqttPacket[] = [];
  for (const chunk of chunks) {
    const result = feedParser(parser, chunk);
    packets.push(...result.packets);
    if (result.error !== null) return { packets, error: result.error };
  }
  return { packets, error: null };
};

Deno.test("our bytes equal mqtt-packet's generate() byte for byte", () => {
  fc.assert(
    fc.property(anyPacket, (packet) => {
      assert.deepEqual(encoded(packet), oracleEncode(packet));
    }),
    { numRuns: 2000 },
  );
});

Deno.test("mqtt-packet's parser reads our bytes back as the same packet", () => {
  fc.assert(
    fc.property(anyPacket, (packet) => {
      assert.deepEqual(oracleParse(encoded(packet)), { packets: [packet], errors: [] });
    }),
    { numRuns: 1000 },
  );
});

Deno.test("our decoder and parser read mqtt-packet's bytes as the same packet", () => {
  fc.assert(
    fc.property(anyPacket, (packet) => {
      const bytes = oracleEncode(packet);
      assert.deepEqual(decodePacket(bytes), { ok: true, value: packet });
      assert.deepEqual(feedAll([bytes]), { packets: [packet], error: null });
    }),
    { numRuns: 1000 },
  );
});

Deno.test("decode(encode(packet)) is the packet", () => {
  fc.assert(
    fc.property(anyPacket, (packet) => {
      assert.deepEqual(decodePacket(encoded(packet)), { ok: true, value: packet });
    }),
    { numRuns: 1000 },
  );
});

Deno.test("splitting a stream at any points yields the same packets as mqtt-packet", () => {
  fc.assert(
    fc.property(
      fc.array(anyPacket, { minLength: 1, maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      (packets, cuts) => {
        const stream = concatBytes(packets.map(encoded));
        const result = feedAll(splitAt(stream, cuts));
        assert.deepEqual(result, { packets: packets, error: null });
        assert.deepEqual(oracleParse(stream).packets, packets);
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("a stream fed one byte at a time yields the same packets", () => {
  fc.assert(
    fc.property(fc.array(anyPacket, { minLength: 1, maxLength: 3 }), (packets) => {
      const stream = concatBytes(packets.map(encoded));
      const bytes = Array.from(stream, (byte) => new Uint8Array([byte]));
      assert.deepEqual(feedAll(bytes), { packets: packets, error: null });
    }),
    { numRuns: 100 },
  );
});

Deno.test("arbitrary byte chunks never throw, and an error is final", () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }),
      fc.integer({ min: 2, max: 300 }),
      (chunks, maxPacketBytes) => {
        const parser = createParser(maxPacketBytes);
        let error: string | null = null;
        for (const chunk of chunks) {
          const result = feedParser(parser, chunk);
          if (error !== null) assert.deepEqual(result, { packets: [], error: error });
          error = result.error;
          assert.ok(parser.packet === null || parser.packet.length <= maxPacketBytes);
        }
      },
    ),
    { numRuns: 3000 },
  );
});

// Packets a parser accepts from corrupted streams are well-formed: when mqtt-packet (which
// is laxer about UTF-8 and reserved values) agrees they are packets, it reads them the same.
Deno.test("from corrupted streams, accepted packets agree with mqtt-packet", () => {
  fc.assert(
    fc.property(
      fc.array(anyPacket, { minLength: 1, maxLength: 4 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 3,
      }),
      (packets, flips) => {
        const stream = concatBytes(packets.map(encoded));
        for (const flip of flips) stream[flip[0] % stream.length] = flip[1];
        const ours = feedAll([stream]);
        const theirs = oracleParse(stream).packets;
        assert.deepEqual(ours.packets, theirs.slice(0, ours.packets.length));
        for (const packet of ours.packets) {
          const again = encodePacket(packet);
          if (again.ok) assert.deepEqual(decodePacket(again.value), { ok: true, value: packet });
        }
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("packets above the size limit are rejected before any buffer is allocated", () => {
  fc.assert(
    fc.property(anyPacket, fc.integer({ min: 2, max: 600 }), (packet, maxPacketBytes) => {
      const bytes = encoded(packet);
      const result = feedAll(splitAt(bytes, [3]), maxPacketBytes);
      if (bytes.length <= maxPacketBytes) {
        assert.deepEqual(result, { packets: [packet], error: null });
      } else {
        assert.deepEqual(result, {
          packets: [],
          error: `packet of ${bytes.length} bytes exceeds the maximum of ${maxPacketBytes}`,
        });
      }
    }),
    { numRuns: 1000 },
  );
});

Deno.test("remaining length varint round-trips in the fewest bytes", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 268435455 }), (length) => {
      const varint = encodedLength(length);
      const decoded = decodeRemainingLength(concatBytes([new Uint8Array([0x30]), varint]), 1);
      assert.deepEqual(decoded, { ok: true, value: { value: length, byteCount: varint.length } });
      const expectedCount = length < 128 ? 1 : length < 16384 ? 2 : length < 2097152 ? 3 : 4;
      assert.equal(varint.length, expectedCount);
    }),
    { numRuns: 2000 },
  );
});

const encodedLength = (length: number): Uint8Array => {
  const result = encodeRemainingLength(length);
  if (!result.ok) throw new Error(result.error);
  return result.value;
};
