import assert from "node:assert/strict";
import fc from "fast-check";
import mqttPacket from "mqtt-packet";
import { encodePublish, MqttFrames, readPublish } from "./mqtt_frames.ts";

Deno.test("PUBLISH packets survive encoding, any split of the stream, and match mqtt-packet", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(fc.string({ minLength: 1, maxLength: 40 }), fc.string({ maxLength: 400 })),
        {
          minLength: 1,
          maxLength: 5,
        },
      ),
      fc.array(fc.nat(), { maxLength: 6 }),
      (messages, cuts) => {
        const packets = messages.map(([topic, payload]) => encodePublish(topic, payload));
        for (const [n, packet] of packets.entries()) {
          const [topic, payload] = messages[n] as [string, string];
          const oracle = mqttPacket.generate({
            cmd: "publish",
            topic,
            payload,
            qos: 0,
            retain: false,
            dup: false,
          });
          assert.deepEqual(packet, new Uint8Array(oracle));
        }
        const stream = new Uint8Array(packets.reduce((sum, p) => sum + p.length, 0));
        let at = 0;
        for (const packet of packets) {
          stream.set(packet, at);
          at += packet.length;
        }
        const points = [...new Set(cuts.map((cut) => cut % (stream.length + 1)))].sort((a, b) =>
          a - b
        );
        const frames = new MqttFrames();
        const out: Uint8Array[] = [];
        let from = 0;
        for (const point of [...points, stream.length]) {
          out.push(...frames.push(stream.subarray(from, point)));
          from = point;
        }
        assert.equal(frames.pendingBytes(), 0);
        assert.deepEqual(
          out.map((packet) => readPublish(packet)),
          messages.map(([topic, payload]) => ({ topic, payload, retain: false, qos: 0 })),
        );
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("readPublish reads QoS 1 retained packets and ignores other types", () => {
  const packet = new Uint8Array(mqttPacket.generate({
    cmd: "publish",
    topic: "a/b",
    payload: "on",
    qos: 1,
    messageId: 7,
    retain: true,
    dup: false,
  }));
  assert.deepEqual(readPublish(packet), { topic: "a/b", payload: "on", retain: true, qos: 1 });
  assert.equal(readPublish(new Uint8Array([0x20, 2, 0, 0])), null);
});
