// Runs the bundled codec inside a real Espruino 2v29 interpreter (its Linux build), on
// random packets, and compares what it computes with mqtt-packet's bytes and our packets.
// The subset check proves the syntax; this proves the built-ins behave (typed arrays,
// subarray/set, instanceof, string building) in Espruino's own implementation.
// Set HOUSEGRID_ESPRUINO to the `espruino` binary to run it; skipped otherwise.
import assert from "node:assert/strict";
import fc from "fast-check";
import { bundleScript } from "../firmware/bundle.ts";
import { anyPacket, oracleEncode } from "./mqtt_arbitraries_test.ts";
import type { MqttPacket } from "./mqtt_packet.ts";
import { createSession, stepSession } from "./mqtt_session.ts";
import type { MqttSessionConfig, MqttSessionEvent } from "./mqtt_session_types.ts";

const espruino = Deno.env.get("HOUSEGRID_ESPRUINO") ?? "";

const toJson = (value: unknown): string =>
  JSON.stringify(value, (_key, item) => (item instanceof Uint8Array ? Array.from(item) : item));

// Small packets only: the interpreter has 4096 variables (an ESP8266 has 1600).
const smallPacket = anyPacket.filter((packet) => {
  const bytes = oracleEncode(packet);
  return bytes.length < 300;
});

const DRIVER = `
var revive = function (p) {
  if (p.payload) p.payload = new Uint8Array(p.payload);
  if (p.password) p.password = new Uint8Array(p.password);
  if (p.will) p.will.payload = new Uint8Array(p.will.payload);
  return p;
};
var runCase = function (c, index) {
  var encoded = mqtt.encodePacket(revive(c.packet));
  var decoded = mqtt.decodePacket(new Uint8Array(c.bytes));
  var parser = mqtt.createParser(400);
  var bytes = new Uint8Array(c.bytes.concat(c.bytes));
  var step = 1 + (index % 7);
  var streamed = [];
  for (var at = 0; at < bytes.length; at += step) {
    var fed = mqtt.feedParser(parser, bytes.subarray(at, Math.min(bytes.length, at + step)));
    for (var k = 0; k < fed.packets.length; k++) streamed.push(fed.packets[k]);
    if (fed.error !== null) streamed.push(fed.error);
  }
  print(JSON.stringify({ encoded: encoded.ok ? encoded.value : encoded.error,
    decoded: decoded.ok ? decoded.value : decoded.error, streamed: streamed }));
};
var garbage = mqtt.feedParser(mqtt.createParser(64), new Uint8Array([0x30, 0xff, 0xff, 0xff, 0xff, 1]));
print(JSON.stringify({ garbage: garbage }));
`;

Deno.test({
  name: "the bundled codec computes the same bytes and packets inside Espruino 2v29",
  ignore: espruino === "",
  fn: async () => {
    const packets: MqttPacket[] = fc.sample(smallPacket, { numRuns: 150, seed: 2029 });
    const entry = await Deno.makeTempFile({ suffix: ".ts" });
    const script = await Deno.makeTempFile({ suffix: ".js" });
    try {
      const codecUrl = new URL("./mqtt_codec.ts", import.meta.url).href;
      await Deno.writeTextFile(
        entry,
        `import * as mqtt from "${codecUrl}";\nglobalThis.mqtt = mqtt;\n`,
      );
      const bundle = await bundleScript(entry, { minify: true });
      const calls = packets.map((packet, index) =>
        `runCase(${toJson({ packet: packet, bytes: oracleEncode(packet) })}, ${index});`
      );
      await Deno.writeTextFile(
        script,
        bundle + DRIVER + calls.join("\n") + "\nprint(JSON.stringify(process.memory()));\n",
      );
      const output = await new Deno.Command(espruino, {
        args: [script],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const lines = new TextDecoder().decode(output.stdout).split("\n")
        .filter((line) => line.startsWith("{"));
      assert.deepEqual(JSON.parse(lines[0] ?? "null"), {
        garbage: { packets: [], error: "remaining length is longer than 4 bytes" },
      });
      packets.forEach((packet, index) => {
        const expected = JSON.parse(toJson({
          encoded: oracleEncode(packet),
          decoded: packet,
          streamed: [packet, packet],
        }));
        assert.deepEqual(JSON.parse(lines[index + 1] ?? "null"), expected, toJson(packet));
      });
      const memory = JSON.parse(lines[packets.length + 1] ?? "null");
      assert.equal(typeof memory.usage, "number");
    } finally {
      await Deno.remove(entry);
      await Deno.remove(script);
    }
  },
});

// The session, bundled with the codec, runs a scripted connection in Espruino; its effects
// must equal those Deno computes for the same events.
Deno.test({
  name: "the bundled session gives the same effects inside Espruino 2v29",
  ignore: espruino === "",
  fn: async () => {
    const config = {
      clientId: "plug1",
      will: {
        topic: "plugs/plug1/availability",
        payload: [0x6f, 0x66, 0x66],
        qos: 1,
        retain: true,
      },
      keepaliveMs: 60000,
      pingTimeoutMs: 10000,
      connectTimeoutMs: 10000,
      reconnectMinMs: 1000,
      reconnectMaxMs: 8000,
      resendAfterMs: 20000,
      maxInflight: 4,
      maxPacketBytes: 256,
    };
    const packet = (value: MqttPacket): number[] => Array.from(oracleEncode(value));
    const events = [
      { type: "subscribe", subscriptions: [{ topic: "plugs/plug1/commands/+", qos: 1 }], nowMs: 0 },
      { type: "connect", nowMs: 0 },
      { type: "opened", nowMs: 40 },
      {
        type: "bytes",
        bytes: packet({ cmd: "connack", sessionPresent: false, returnCode: 0 }),
        nowMs: 90,
      },
      { type: "bytes", bytes: packet({ cmd: "suback", messageId: 1, granted: [1] }), nowMs: 95 },
      {
        type: "publish",
        topic: "plugs/plug1/states/power",
        payload: [0x4f, 0x4e],
        qos: 1,
        retain: true,
        nowMs: 100,
      },
      { type: "tick", nowMs: 20100 },
      { type: "bytes", bytes: packet({ cmd: "puback", messageId: 2 }), nowMs: 20150 },
      {
        type: "bytes",
        bytes: packet({
          cmd: "publish",
          topic: "plugs/plug1/commands/power",
          payload: new Uint8Array([0xc3, 0xa9]),
          qos: 1,
          retain: false,
          dup: false,
          messageId: 9,
        }).concat([0xd0]),
        nowMs: 30000,
      },
      { type: "bytes", bytes: [0], nowMs: 30001 },
      { type: "tick", nowMs: 91000 },
      { type: "tick", nowMs: 101000 },
      { type: "tick", nowMs: 102000 },
      { type: "opened", nowMs: 102010 },
      { type: "bytes", bytes: [0xf0, 0], nowMs: 102020 },
      { type: "disconnect", nowMs: 102030 },
    ];
    const DRIVER_SESSION = `
var toBytes = function (value) { return new Uint8Array(value); };
var config = ${JSON.stringify(config)};
config.will.payload = toBytes(config.will.payload);
var session = mqtt.createSession(config).value;
var events = ${JSON.stringify(events)};
for (var i = 0; i < events.length; i++) {
  var event = events[i];
  if (event.bytes) event.bytes = toBytes(event.bytes);
  if (event.payload) event.payload = toBytes(event.payload);
  var step = mqtt.stepSession(session, event);
  session = step.session;
  print(JSON.stringify(step.effects));
}
`;
    const revive = (event: Record<string, unknown>): MqttSessionEvent => {
      const copy = Object.assign({}, event);
      if (Array.isArray(copy.bytes)) copy.bytes = new Uint8Array(copy.bytes);
      if (Array.isArray(copy.payload)) copy.payload = new Uint8Array(copy.payload);
      return copy as unknown as MqttSessionEvent;
    };
    const created = createSession(Object.assign({}, config, {
      will: Object.assign({}, config.will, { payload: new Uint8Array(config.will.payload) }),
    }) as MqttSessionConfig);
    assert.ok(created.ok);
    let session = created.value;
    const expected = events.map((event) => {
      const step = stepSession(session, revive(event));
      session = step.session;
      return JSON.parse(toJson(step.effects));
    });
    const entry = await Deno.makeTempFile({ suffix: ".ts" });
    const script = await Deno.makeTempFile({ suffix: ".js" });
    try {
      const sessionUrl = new URL("./mqtt_session.ts", import.meta.url).href;
      await Deno.writeTextFile(
        entry,
        `import { createSession, stepSession } from "${sessionUrl}";\n` +
          `globalThis.mqtt = { createSession, stepSession };\n`,
      );
      await Deno.writeTextFile(
        script,
        (await bundleScript(entry, { minify: true })) + DRIVER_SESSION,
      );
      const output = await new Deno.Command(espruino, {
        args: [script],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const lines = new TextDecoder().decode(output.stdout).split("\n")
        .filter((line) => line.startsWith("["));
      assert.deepEqual(lines.map((line) => JSON.parse(line)), expected);
      const kinds = expected.map((effects: { type: string }[]) =>
        effects.map((effect) => effect.type)
      );
      assert.deepEqual(kinds, [
        [],
        ["open"],
        ["send"],
        ["connected", "send"],
        [],
        ["send"],
        ["send"],
        [],
        ["message", "send"],
        [],
        ["send"],
        ["close", "disconnected"],
        ["open"],
        ["send"],
        ["close", "error"],
        [],
      ]);
    } finally {
      await Deno.remove(entry);
      await Deno.remove(script);
    }
  },
});
