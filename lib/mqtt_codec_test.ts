import assert from "node:assert/strict";
import { bundleScript } from "../firmware/bundle.ts";
import { checkEspruinoSubset } from "../firmware/espruino_subset.ts";
import {
  createParser,
  decodePacket,
  encodePacket,
  feedParser,
  type MqttPacket,
  topicFilterError,
  topicNameError,
} from "./mqtt_codec.ts";

const ascii = (text: string): number[] => Array.from(text, (char) => char.charCodeAt(0));
const bytes = (...parts: (number | number[])[]): Uint8Array =>
  new Uint8Array(parts.flatMap((part) => (typeof part === "number" ? [part] : part)));
const prefixed = (text: string): number[] => [0, text.length].concat(ascii(text));

// Each packet with the bytes MQTT 3.1.1 prescribes, checked both ways.
const vectors: { name: string; packet: MqttPacket; bytes: Uint8Array }[] = [
  {
    name: "connect, all fields",
    packet: {
      cmd: "connect",
      clientId: "plug1",
      clean: true,
      keepalive: 60,
      username: "u",
      password: new Uint8Array([0x70]),
      will: {
        topic: "plugs/plug1/availability",
        payload: new Uint8Array(ascii("offline")),
        qos: 1,
        retain: true,
      },
    },
    bytes: bytes(
      0x10,
      58,
      prefixed("MQTT"),
      4,
      0x80 | 0x40 | 0x20 | 0x08 | 0x04 | 0x02,
      0,
      60,
      prefixed("plug1"),
      prefixed("plugs/plug1/availability"),
      prefixed("offline"),
      prefixed("u"),
      prefixed("p"),
    ),
  },
  {
    name: "connect, minimal",
    packet: { cmd: "connect", clientId: "", clean: true, keepalive: 0 },
    bytes: bytes(0x10, 12, prefixed("MQTT"), 4, 0x02, 0, 0, 0, 0),
  },
  {
    name: "connack, session present",
    packet: { cmd: "connack", sessionPresent: true, returnCode: 0 },
    bytes: bytes(0x20, 2, 1, 0),
  },
  {
    name: "connack, refused",
    packet: { cmd: "connack", sessionPresent: false, returnCode: 5 },
    bytes: bytes(0x20, 2, 0, 5),
  },
  {
    name: "publish, QoS 0 retained, UTF-8 topic",
    packet: {
      cmd: "publish",
      topic: "é",
      payload: new Uint8Array(ascii("ON")),
      qos: 0,
      retain: true,
      dup: false,
    },
    bytes: bytes(0x31, 6, 0, 2, 0xc3, 0xa9, ascii("ON")),
  },
  {
    name: "publish, QoS 1 dup, empty payload",
    packet: {
      cmd: "publish",
      topic: "t",
      payload: new Uint8Array(0),
      qos: 1,
      retain: false,
      dup: true,
      messageId: 0x1234,
    },
    bytes: bytes(0x3a, 5, 0, 1, ascii("t"), 0x12, 0x34),
  },
  { name: "puback", packet: { cmd: "puback", messageId: 65535 }, bytes: bytes(0x40, 2, 255, 255) },
  {
    name: "subscribe, two filters",
    packet: {
      cmd: "subscribe",
      messageId: 1,
      subscriptions: [{ topic: "a/+", qos: 1 }, { topic: "#", qos: 0 }],
    },
    bytes: bytes(0x82, 12, 0, 1, prefixed("a/+"), 1, prefixed("#"), 0),
  },
  {
    name: "suback with a failure",
    packet: { cmd: "suback", messageId: 1, granted: [1, 128] },
    bytes: bytes(0x90, 4, 0, 1, 1, 0x80),
  },
  {
    name: "unsubscribe",
    packet: { cmd: "unsubscribe", messageId: 2, unsubscriptions: ["a/#", "b"] },
    bytes: bytes(0xa2, 10, 0, 2, prefixed("a/#"), prefixed("b")),
  },
  { name: "unsuback", packet: { cmd: "unsuback", messageId: 2 }, bytes: bytes(0xb0, 2, 0, 2) },
  { name: "pingreq", packet: { cmd: "pingreq" }, bytes: bytes(0xc0, 0) },
  { name: "pingresp", packet: { cmd: "pingresp" }, bytes: bytes(0xd0, 0) },
  { name: "disconnect", packet: { cmd: "disconnect" }, bytes: bytes(0xe0, 0) },
];

for (const vector of vectors) {
  Deno.test(`${vector.name}: encodes to and decodes from the spec's bytes`, () => {
    assert.deepEqual(encodePacket(vector.packet), { ok: true, value: vector.bytes });
    assert.deepEqual(decodePacket(vector.bytes), { ok: true, value: vector.packet });
  });
}

Deno.test("publish with a 200-byte payload uses a 2-byte remaining length", () => {
  const packet: MqttPacket = {
    cmd: "publish",
    topic: "t",
    payload: new Uint8Array(200).fill(7),
    qos: 0,
    retain: false,
    dup: false,
  };
  const result = encodePacket(packet);
  assert.ok(result.ok);
  assert.deepEqual(Array.from(result.value.subarray(0, 3)), [0x30, 0xcb, 0x01]);
  assert.deepEqual(decodePacket(result.value), { ok: true, value: packet });
});

Deno.test("bad fields are encoding errors, never exceptions", () => {
  const publish = { cmd: "publish", topic: "t", payload: new Uint8Array(0), retain: false };
  const cases: [unknown, string][] = [
    [null, "packet must be an object"],
    [{ cmd: "pubrec", messageId: 1 }, "unknown packet cmd: pubrec"],
    [Object.assign({}, publish, { qos: 2, dup: false }), "publish: QoS 2 is not supported"],
    [
      Object.assign({}, publish, { qos: 1, dup: false }),
      "publish: messageId must be an integer from 1 to 65535 at QoS 1",
    ],
    [Object.assign({}, publish, { qos: 0, dup: true }), "publish: dup must be false at QoS 0"],
    [
      Object.assign({}, publish, { qos: 0, dup: false, topic: "a/#" }),
      "publish: topic name contains a wildcard",
    ],
    [
      Object.assign({}, publish, { qos: 0, dup: false, topic: "\ud800" }),
      "publish: topic name contains a lone surrogate",
    ],
    [
      Object.assign({}, publish, { qos: 0, dup: false, payload: "text" }),
      "publish: payload must be a Uint8Array",
    ],
    [
      { cmd: "connect", clientId: "", clean: false, keepalive: 0 },
      "connect: an empty clientId needs clean: true",
    ],
    [
      { cmd: "connect", clientId: "c", clean: true, keepalive: 65536 },
      "connect: keepalive must be an integer number of seconds from 0 to 65535",
    ],
    [
      { cmd: "connect", clientId: "c", clean: true, keepalive: 1, password: new Uint8Array(1) },
      "connect: a password needs a username",
    ],
    [
      {
        cmd: "connect",
        clientId: "c",
        clean: true,
        keepalive: 1,
        will: { topic: "w", payload: new Uint8Array(0), qos: 3, retain: false },
      },
      "connect: will qos must be 0, 1 or 2",
    ],
    [
      { cmd: "connect", clientId: "c".repeat(65536), clean: true, keepalive: 1 },
      "connect: clientId is longer than 65535 bytes",
    ],
    [
      { cmd: "connack", sessionPresent: true, returnCode: 4 },
      "connack: sessionPresent needs returnCode 0",
    ],
    [
      { cmd: "subscribe", messageId: 1, subscriptions: [] },
      "subscribe: subscriptions must be a non-empty array",
    ],
    [
      { cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "a/b+", qos: 0 }] },
      "subscribe: topic filter has + inside a level",
    ],
    [
      { cmd: "suback", messageId: 1, granted: [3] },
      "suback: each granted code must be 0, 1, 2 or 128",
    ],
    [
      { cmd: "unsubscribe", messageId: 1, unsubscriptions: [""] },
      "unsubscribe: topic filter is empty",
    ],
    [{ cmd: "unsuback", messageId: 1.5 }, "unsuback: messageId must be an integer from 1 to 65535"],
  ];
  for (const testCase of cases) {
    assert.deepEqual(encodePacket(testCase[0] as MqttPacket), { ok: false, error: testCase[1] });
  }
});

Deno.test("malformed packets are decoding errors", () => {
  const cases: [Uint8Array, string][] = [
    [bytes(), "packet is empty"],
    [bytes(0x30, 0xff, 0xff, 0xff, 0xff, 1), "publish: remaining length is longer than 4 bytes"],
    [bytes(0x30, 0x80), "publish: remaining length is cut short"],
    [bytes(0x40, 3, 0, 1), "puback: remaining length 3 does not match the bytes"],
    [bytes(0x40, 3, 0, 1, 0), "puback: unexpected bytes at the end"],
    [bytes(0x40, 2, 0, 0), "puback: messageId is 0"],
    [bytes(0x80, 6, 0, 1, prefixed("a"), 0), "subscribe: reserved header flags must be 2"],
    [bytes(0x82, 2, 0, 1), "subscribe: no topic filter"],
    [
      bytes(0x82, 6, 0, 1, prefixed("a"), 4),
      "subscribe: subscription options must be QoS 0, 1 or 2",
    ],
    [bytes(0x36, 3, 0, 1, 0x74), "publish: QoS bits are both set"],
    [bytes(0x34, 3, 0, 1, 0x74), "publish: QoS 2 is not supported"],
    [bytes(0x30, 3, 0, 1, 0x2b), "publish: topic: topic name contains a wildcard"],
    [bytes(0x30, 3, 0, 1, 0xff), "publish: topic is not valid UTF-8"],
    [bytes(0x30, 3, 0, 1, 0x00), "publish: topic contains U+0000"],
    [bytes(0x30, 3, 0, 3, 0x74), "publish: topic runs past the packet"],
    [bytes(0x32, 3, 0, 1, 0x74), "publish: messageId is missing"],
    [bytes(0x20, 2, 2, 0), "connack: reserved connack flags are set"],
    [bytes(0x50, 2, 0, 1), "pubrec: packet type 5 is not supported"],
    [bytes(0xf0, 0), "reserved: packet type 15 is not supported"],
    [
      bytes(0x10, 12, prefixed("MQTT"), 3, 0x02, 0, 0, 0, 0),
      "connect: protocol level 3 is not 4 (3.1.1)",
    ],
    [
      bytes(0x10, 12, prefixed("MQTT"), 4, 0x03, 0, 0, 0, 0),
      "connect: reserved connect flag is set",
    ],
    [
      bytes(0x10, 12, prefixed("MQTT"), 4, 0x42, 0, 0, 0, 0),
      "connect: password flag set without username flag",
    ],
    [
      bytes(0x10, 12, prefixed("MQTT"), 4, 0x22, 0, 0, 0, 0),
      "connect: will QoS or retain set without a will",
    ],
    [
      bytes(0x10, 12, prefixed("MQTT"), 4, 0x06, 0, 0, 0, 0),
      "connect: will topic length is missing",
    ],
  ];
  for (const testCase of cases) {
    assert.deepEqual(decodePacket(testCase[0]), { ok: false, error: testCase[1] });
  }
});

Deno.test("the parser keeps packets split across chunks and merged within them", () => {
  const parser = createParser();
  assert.deepEqual(feedParser(parser, bytes(0xd0)), { packets: [], error: null });
  assert.deepEqual(feedParser(parser, bytes(0, 0x90, 3, 0)), {
    packets: [{ cmd: "pingresp" }],
    error: null,
  });
  assert.deepEqual(feedParser(parser, bytes(9, 1, 0xd0, 0, 0xd0)), {
    packets: [{ cmd: "suback", messageId: 9, granted: [1] }, { cmd: "pingresp" }],
    error: null,
  });
  assert.deepEqual(feedParser(parser, bytes(0).subarray(0, 0)), { packets: [], error: null });
  assert.deepEqual(feedParser(parser, bytes(0)), { packets: [{ cmd: "pingresp" }], error: null });
  assert.equal(parser.packet, null);
});

Deno.test("the parser stops at the first bad packet but returns the good ones before it", () => {
  const parser = createParser();
  const result = feedParser(parser, bytes(0xd0, 0, 0x40, 2, 0, 0, 0xd0, 0));
  assert.deepEqual(result, { packets: [{ cmd: "pingresp" }], error: "puback: messageId is 0" });
  assert.deepEqual(feedParser(parser, bytes(0xd0, 0)), {
    packets: [],
    error: "puback: messageId is 0",
  });
});

Deno.test("the size limit is checked as soon as the remaining length is known", () => {
  const parser = createParser(100);
  assert.deepEqual(feedParser(parser, bytes(0x30, 0xff, 0xff, 0xff)), { packets: [], error: null });
  assert.deepEqual(feedParser(parser, bytes(0x7f)), {
    packets: [],
    error: "packet of 268435460 bytes exceeds the maximum of 100",
  });
  assert.equal(parser.packet, null);
  assert.equal(
    createParser(Number.NaN).error,
    "maxPacketBytes must be an integer from 2 to 268435460",
  );
  assert.equal(
    feedParser(createParser(), "text" as unknown as Uint8Array).error,
    "bytes must be a Uint8Array",
  );
});

Deno.test("topic names and filters follow the wildcard rules", () => {
  for (const good of ["a", "/", "a//b", "plugs/p1/states/power", "$SYS/x"]) {
    assert.equal(topicNameError(good), null, good);
  }
  for (const good of ["#", "+", "+/+", "a/+/c", "a/#", "/#", "+/#"]) {
    assert.equal(topicFilterError(good), null, good);
  }
  for (const bad of ["a#", "#/a", "a/b#", "a+/b", "++"]) {
    assert.notEqual(topicFilterError(bad), null, bad);
  }
  assert.equal(topicNameError(""), "topic name is empty");
});

// The codec and the session ship to the ESP8266 as they are, so their bundle must fit the
// Espruino 2v29 subset (whether or not mod.ts exports them yet).
Deno.test("the bundled codec and session fit the Espruino 2v29 subset", async () => {
  const entry = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    const codecUrl = new URL("./mqtt_codec.ts", import.meta.url).href;
    const sessionUrl = new URL("./mqtt_session.ts", import.meta.url).href;
    await Deno.writeTextFile(
      entry,
      `import * as mqtt from "${codecUrl}";\nimport * as session from "${sessionUrl}";\n` +
        `(globalThis as Record<string, unknown>).mqtt = [mqtt, session];\n`,
    );
    for (const minify of [false, true]) {
      const code = await bundleScript(entry, { minify });
      const violations = checkEspruinoSubset(code).map((v) => `${v.line}:${v.column} ${v.message}`);
      assert.deepEqual(violations, [], `minify=${minify}`);
    }
  } finally {
    await Deno.remove(entry);
  }
});
