/**
 * The MQTT 3.1.1 packet codec of housegrid's own client (Espruino's MQTT module has no
 * last will, reconnect or QoS resend): packet types, an encoder, a one-packet decoder and
 * a streaming parser for TCP, all over plain `Uint8Array`s and pure.
 *
 * @example
 * ```ts
 * import { createParser, encodePacket, feedParser } from "./mqtt_codec.ts";
 * import assert from "node:assert/strict";
 * const bytes = encodePacket({ cmd: "unsuback", messageId: 3 });
 * assert.ok(bytes.ok);
 * assert.deepEqual(feedParser(createParser(), bytes.value).packets, [{ cmd: "unsuback", messageId: 3 }]);
 * ```
 *
 * @module
 */

export * from "./mqtt_packet.ts";
export * from "./mqtt_topic.ts";
export * from "./mqtt_encode.ts";
export * from "./mqtt_publish_text.ts";
export * from "./mqtt_decode.ts";
export * from "./mqtt_parser.ts";
export * from "./mqtt_text.ts";
