import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import fc from "fast-check";
import mqttPacket from "mqtt-packet";
import { encodePublishText } from "./mqtt_publish_text.ts";
import { encodePacket } from "./mqtt_encode.ts";
import { encodeUtf8 } from "./utf8.ts";
import { topicName } from "./mqtt_arbitraries_test.ts";

const binary = (bytes: Uint8Array): string => Buffer.from(bytes).toString("latin1");

// Text of every kind: ASCII, full Unicode, lone surrogates, and long enough for 2- and
// 3-byte remaining lengths.
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map(String.fromCharCode) }),
  fc.string({ minLength: 120, maxLength: 300 }),
  fc.integer({ min: 16380, max: 16400 }).map((length) => "x".repeat(length)),
);

Deno.test("encodePublishText: the bytes mqtt-packet generates for the text's UTF-8", () => {
  fc.assert(
    fc.property(topicName, text, fc.boolean(), (topic, payload, retain) => {
      const packet = encodePublishText(topic, payload, retain);
      assert.ok(packet.ok);
      const oracle = mqttPacket.generate({
        cmd: "publish",
        topic: topic,
        payload: Buffer.from(payload, "utf8"),
        qos: 0,
        retain: retain,
        dup: false,
      } as never, { protocolVersion: 4 });
      assert.equal(packet.value, binary(new Uint8Array(oracle)));
    }),
    { numRuns: 300 },
  );
});

Deno.test("encodePublishText: the same packet as encodePacket, one character per byte", () => {
  fc.assert(
    fc.property(topicName, text, fc.boolean(), (topic, payload, retain) => {
      const bytes = encodePacket({
        cmd: "publish",
        topic: topic,
        payload: encodeUtf8(payload),
        qos: 0,
        retain: retain,
        dup: false,
      });
      assert.ok(bytes.ok);
      assert.deepEqual(encodePublishText(topic, payload, retain), {
        ok: true,
        value: binary(bytes.value),
      });
    }),
  );
});

Deno.test("encodePublishText: an ASCII payload is joined as it is", () => {
  const payload = '{"power":"ON"}';
  const packet = encodePublishText("fans/f1/state", payload, true);
  assert.ok(packet.ok);
  assert.equal(packet.value.slice(-payload.length), payload);
});

Deno.test("encodePublishText: a bad topic is refused with the reason", () => {
  assert.deepEqual(encodePublishText("", "x", false), {
    ok: false,
    error: "publish: topic name is empty",
  });
  assert.deepEqual(encodePublishText("a/#", "x", false), {
    ok: false,
    error: "publish: topic name contains a wildcard",
  });
  assert.equal(encodePublishText("a\u0000b", "x", false).ok, false);
});
