// fast-check generators of valid MQTT 3.1.1 packets, and the bridge to the npm package
// mqtt-packet (Buffer fields, its own object shape), shared by the codec's property tests.
import fc from "fast-check";
import { Buffer } from "node:buffer";
import mqttPacket from "mqtt-packet";
import type {
  MqttConnectPacket,
  MqttPacket,
  MqttPublishPacket,
  MqttQos,
  MqttWill,
} from "./mqtt_packet.ts";

const noNul = (text: string): boolean => text.indexOf("\u0000") < 0;

/** Any string MQTT allows: full Unicode (astral too), no U+0000. */
export const mqttString = (maxLength: number): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ maxLength: maxLength }),
    fc.string({ unit: "binary", maxLength: maxLength }),
  ).filter(noNul);

const level = fc.oneof(
  fc.constantFrom("plugs", "fans", "fan1", "commands", "power", "états", ""),
  mqttString(8).filter((text) => !/[+#/]/.test(text)),
);

export const topicName: fc.Arbitrary<string> = fc.array(level, { minLength: 1, maxLength: 5 })
  .map((levels) => levels.join("/"))
  .filter((topic) => topic.length > 0);

export const topicFilter: fc.Arbitrary<string> = fc.tuple(
  fc.array(fc.oneof(level, fc.constant("+")), { minLength: 0, maxLength: 5 }),
  fc.boolean(),
).map((parts) => (parts[1] ? parts[0].concat(["#"]) : parts[0]).join("/"))
  .filter((filter) => filter.length > 0);

// Mostly small, sometimes past 127 and 16383 bytes so 2- and 3-byte remaining lengths occur.
export const payload: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 8, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.uint8Array({ minLength: 100, maxLength: 400 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 16380, maxLength: 17000 }) },
);

const messageId = fc.integer({ min: 1, max: 0xffff });
const qos: fc.Arbitrary<MqttQos> = fc.constantFrom(0, 1, 2);

const will: fc.Arbitrary<MqttWill> = fc.record({
  topic: topicName,
  payload: fc.uint8Array({ maxLength: 30 }),
  qos: qos,
  retain: fc.boolean(),
}, { noNullPrototype: true });

const connect: fc.Arbitrary<MqttConnectPacket> = fc.record({
  cmd: fc.constant("connect" as const),
  clientId: mqttString(23),
  clean: fc.boolean(),
  keepalive: fc.integer({ min: 0, max: 0xffff }),
  username: mqttString(12),
  password: fc.uint8Array({ maxLength: 20 }),
  will: will,
}, { requiredKeys: ["cmd", "clientId", "clean", "keepalive"], noNullPrototype: true }).map(
  (packet) => {
    const fixed = Object.assign({}, packet);
    if (fixed.clientId === "") fixed.clean = true;
    if (fixed.username === undefined) delete fixed.password;
    return fixed;
  },
);

const publish: fc.Arbitrary<MqttPublishPacket> = fc.record({
  topic: topicName,
  payload: payload,
  qos: fc.constantFrom(0 as const, 1 as const),
  retain: fc.boolean(),
  dup: fc.boolean(),
  messageId: messageId,
}).map((fields) => {
  const packet: MqttPublishPacket = {
    cmd: "publish",
    topic: fields.topic,
    payload: fields.payload,
    qos: fields.qos,
    retain: fields.retain,
    dup: fields.qos === 1 && fields.dup,
  };
  if (fields.qos === 1) packet.messageId = fields.messageId;
  return packet;
});

/** Any valid packet of the kinds the codec supports. */
export const anyPacket: fc.Arbitrary<MqttPacket> = fc.oneof(
  connect,
  fc.record({ returnCode: fc.integer({ min: 0, max: 5 }), sessionPresent: fc.boolean() }).map(
    (fields): MqttPacket => ({
      cmd: "connack",
      sessionPresent: fields.returnCode === 0 && fields.sessionPresent,
      returnCode: fields.returnCode,
    }),
  ),
  publish,
  messageId.map((id): MqttPacket => ({ cmd: "puback", messageId: id })),
  fc.record({
    messageId: messageId,
    subscriptions: fc.array(
      fc.record({ topic: topicFilter, qos: qos }, { noNullPrototype: true }),
      {
        minLength: 1,
        maxLength: 4,
      },
    ),
  }).map((fields): MqttPacket => Object.assign({ cmd: "subscribe" as const }, fields)),
  fc.record({
    messageId: messageId,
    granted: fc.array(fc.constantFrom(0, 1, 2, 128), { minLength: 1, maxLength: 4 }),
  }).map((fields): MqttPacket => Object.assign({ cmd: "suback" as const }, fields)),
  fc.record({
    messageId: messageId,
    unsubscriptions: fc.array(topicFilter, { minLength: 1, maxLength: 4 }),
  }).map((fields): MqttPacket => Object.assign({ cmd: "unsubscribe" as const }, fields)),
  messageId.map((id): MqttPacket => ({ cmd: "unsuback", messageId: id })),
  fc.constantFrom<MqttPacket>({ cmd: "pingreq" }, { cmd: "pingresp" }, { cmd: "disconnect" }),
);

type Loose = Record<string, unknown>;

/** Our packet as mqtt-packet's `generate` wants it (Buffers, protocol id and version). */
export function toOracle(packet: MqttPacket): Loose {
  const out: Loose = Object.assign({}, packet) as unknown as Loose;
  if (packet.cmd === "publish") out.payload = Buffer.from(packet.payload);
  if (packet.cmd === "connect") {
    out.protocolId = "MQTT";
    out.protocolVersion = 4;
    if (packet.password !== undefined) out.password = Buffer.from(packet.password);
    if (packet.will !== undefined) {
      out.will = Object.assign({}, packet.will, { payload: Buffer.from(packet.will.payload) });
    }
  }
  return out;
}

const bytesOf = (value: unknown): Uint8Array => new Uint8Array(value as Buffer);

/** A packet parsed by mqtt-packet, reduced to our shape (and Buffers to Uint8Arrays). */
export function fromOracle(parsed: Loose): Loose {
  switch (parsed.cmd) {
    case "connect": {
      const out: Loose = {
        cmd: "connect",
        clientId: parsed.clientId,
        clean: parsed.clean,
        keepalive: parsed.keepalive,
      };
      if (parsed.protocolId !== "MQTT" || parsed.protocolVersion !== 4) out.protocol = "wrong";
      if (parsed.username !== undefined) out.username = parsed.username;
      if (parsed.password !== undefined) out.password = bytesOf(parsed.password);
      const parsedWill = parsed.will as Loose | undefined;
      if (parsedWill !== undefined) {
        out.will = {
          topic: parsedWill.topic,
          payload: bytesOf(parsedWill.payload),
          qos: parsedWill.qos,
          retain: parsedWill.retain,
        };
      }
      return out;
    }
    case "connack":
      return {
        cmd: "connack",
        sessionPresent: parsed.sessionPresent,
        returnCode: parsed.returnCode,
      };
    case "publish": {
      const out: Loose = {
        cmd: "publish",
        topic: parsed.topic,
        payload: bytesOf(parsed.payload),
        qos: parsed.qos,
        retain: parsed.retain,
        dup: parsed.dup,
      };
      if (parsed.qos !== 0) out.messageId = parsed.messageId;
      return out;
    }
    case "subscribe":
      return { cmd: "subscribe", messageId: parsed.messageId, subscriptions: parsed.subscriptions };
    case "suback":
      return { cmd: "suback", messageId: parsed.messageId, granted: parsed.granted };
    case "unsubscribe":
      return {
        cmd: "unsubscribe",
        messageId: parsed.messageId,
        unsubscriptions: parsed.unsubscriptions,
      };
    case "puback":
    case "unsuback":
      return { cmd: parsed.cmd, messageId: parsed.messageId };
    default:
      return { cmd: parsed.cmd };
  }
}

/** mqtt-packet's encoding (protocol version 4). */
export function oracleEncode(packet: MqttPacket): Uint8Array {
  return new Uint8Array(mqttPacket.generate(toOracle(packet) as never, { protocolVersion: 4 }));
}

/** Everything mqtt-packet's parser emits for a byte stream, in our shape. */
export function oracleParse(bytes: Uint8Array): { packets: Loose[]; errors: string[] } {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const packets: Loose[] = [];
  const errors: string[] = [];
  parser.on("packet", (packet: unknown) => packets.push(fromOracle(packet as Loose)));
  parser.on("error", (error: Error) => errors.push(error.message));
  parser.parse(Buffer.from(bytes));
  return { packets, errors };
}

/** Concatenates byte arrays. */
export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Splits bytes into chunks at the given cut points (any numbers; reduced modulo length). */
export function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = cuts.map((cut) => (bytes.length === 0 ? 0 : cut % (bytes.length + 1)))
    .sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const point of points.concat([bytes.length])) {
    chunks.push(bytes.subarray(from, point));
    from = point;
  }
  return chunks;
}
