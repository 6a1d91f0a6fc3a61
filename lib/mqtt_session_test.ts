import assert from "node:assert/strict";
import fc from "fast-check";
import { decodePacket } from "./mqtt_decode.ts";
import { encodePacket } from "./mqtt_encode.ts";
import type { MqttPacket } from "./mqtt_packet.ts";
import { createSession, stepSession } from "./mqtt_session.ts";
import type {
  MqttSession,
  MqttSessionConfig,
  MqttSessionEffect,
  MqttSessionEvent,
} from "./mqtt_session_types.ts";

const CONFIG: MqttSessionConfig = {
  clientId: "plug1",
  username: "plug1",
  password: new Uint8Array([0x70, 0x77]),
  will: {
    topic: "plugs/plug1/availability",
    payload: new Uint8Array([0x6f, 0x66, 0x66]),
    qos: 1,
    retain: true,
  },
  keepaliveMs: 60000,
  pingTimeoutMs: 10000,
  connectTimeoutMs: 10000,
  reconnectMinMs: 1000,
  reconnectMaxMs: 8000,
  resendAfterMs: 20000,
  maxInflight: 3,
  maxPacketBytes: 2048,
};

const bytesOf = (packet: MqttPacket): Uint8Array => {
  const result = encodePacket(packet);
  if (!result.ok) throw new Error(result.error);
  return result.value;
};

const sent = (effects: MqttSessionEffect[]): MqttPacket[] =>
  effects.flatMap((effect) => {
    if (effect.type !== "send") return [];
    const packet = decodePacket(effect.bytes);
    if (!packet.ok) throw new Error(packet.error);
    return [packet.value];
  });

const types = (effects: MqttSessionEffect[]): string[] =>
  effects.map((
    effect,
  ) => (effect.type === "send" ? "send:" + sent([effect])[0]?.cmd : effect.type));

/** Runs events in order; returns the last session and every effect. */
const run = (session: MqttSession, events: MqttSessionEvent[]) => {
  let current = session;
  const effects: MqttSessionEffect[] = [];
  for (const event of events) {
    const step = stepSession(current, event);
    current = step.session;
    effects.push(...step.effects);
  }
  return { session: current, effects };
};

const fresh = (config = CONFIG): MqttSession => {
  const created = createSession(config);
  if (!created.ok) throw new Error(created.error);
  return created.value;
};

const CONNACK = bytesOf({ cmd: "connack", sessionPresent: false, returnCode: 0 });

const connected = (session = fresh(), atMs = 0) =>
  run(session, [
    { type: "connect", nowMs: atMs },
    { type: "opened", nowMs: atMs + 10 },
    { type: "bytes", bytes: CONNACK, nowMs: atMs + 20 },
  ]);

Deno.test("connect: open, CONNECT with will and credentials, CONNACK", () => {
  const result = connected();
  assert.deepEqual(types(result.effects), ["open", "send:connect", "connected"]);
  assert.deepEqual(sent(result.effects)[0], {
    cmd: "connect",
    clientId: "plug1",
    clean: true,
    keepalive: 60,
    username: "plug1",
    password: CONFIG.password,
    will: CONFIG.will,
  });
  assert.equal(result.session.phase, "connected");
});

Deno.test("requests made offline are sent after CONNACK: subscriptions and QoS 1 only", () => {
  const offline = run(fresh(), [
    { type: "subscribe", subscriptions: [{ topic: "plugs/plug1/commands/+", qos: 1 }], nowMs: 0 },
    { type: "publish", topic: "a", payload: new Uint8Array([1]), qos: 1, retain: true, nowMs: 0 },
    { type: "publish", topic: "b", payload: new Uint8Array([2]), qos: 0, retain: false, nowMs: 0 },
  ]);
  assert.deepEqual(offline.effects, []);
  const online = connected(offline.session);
  assert.deepEqual(sent(online.effects).slice(1), [
    {
      cmd: "subscribe",
      messageId: 2,
      subscriptions: [{ topic: "plugs/plug1/commands/+", qos: 1 }],
    },
    {
      cmd: "publish",
      topic: "a",
      payload: new Uint8Array([1]),
      qos: 1,
      retain: true,
      dup: false,
      messageId: 1,
    },
  ]);
});

Deno.test("incoming QoS 1 PUBLISH is delivered and acknowledged", () => {
  const start = connected();
  const publish = bytesOf({
    cmd: "publish",
    topic: "plugs/plug1/commands/power",
    payload: new Uint8Array([0x4f, 0x4e]),
    qos: 1,
    retain: false,
    dup: false,
    messageId: 77,
  });
  const step = stepSession(start.session, { type: "bytes", bytes: publish, nowMs: 100 });
  assert.deepEqual(step.effects[0], {
    type: "message",
    topic: "plugs/plug1/commands/power",
    payload: new Uint8Array([0x4f, 0x4e]),
    qos: 1,
    retain: false,
  });
  assert.deepEqual(sent(step.effects), [{ cmd: "puback", messageId: 77 }]);
});

Deno.test("QoS 1 publish is resent with DUP until PUBACK, then forgotten", () => {
  const start = connected();
  const publish: MqttSessionEvent = {
    type: "publish",
    topic: "t",
    payload: new Uint8Array(0),
    qos: 1,
    retain: false,
    nowMs: 1000,
  };
  const first = run(start.session, [publish, { type: "tick", nowMs: 20999 }]);
  assert.deepEqual(sent(first.effects).map((p) => p.cmd === "publish" && p.dup), [false]);
  const resent = stepSession(first.session, { type: "tick", nowMs: 21000 });
  assert.deepEqual(sent(resent.effects).map((p) => p.cmd === "publish" && p.dup), [true]);
  const acked = stepSession(resent.session, {
    type: "bytes",
    bytes: bytesOf({ cmd: "puback", messageId: 1 }),
    nowMs: 21100,
  });
  assert.deepEqual(acked.session.inflight, []);
});

Deno.test("a QoS 0 publish of text goes out as its packet's text; at QoS 1 it is kept as bytes", () => {
  const start = connected();
  const text = (qos: 0 | 1, topic = "fans/f1/state"): MqttSessionEvent => ({
    type: "publish",
    topic: topic,
    payload: '{"temp":"20°"}',
    qos: qos,
    retain: true,
    nowMs: 30000,
  });
  const quick = stepSession(start.session, text(0));
  const bytes = bytesOf({
    cmd: "publish",
    topic: "fans/f1/state",
    payload: new TextEncoder().encode('{"temp":"20°"}'),
    qos: 0,
    retain: true,
    dup: false,
  });
  assert.deepEqual(quick.effects, [{ type: "sendText", text: String.fromCharCode(...bytes) }]);
  // It counts as traffic for the keep-alive.
  assert.equal(quick.session.lastSentMs, 30000);
  const kept = stepSession(start.session, text(1));
  assert.deepEqual(kept.session.inflight[0]?.payload, new TextEncoder().encode('{"temp":"20°"}'));
  assert.deepEqual(stepSession(start.session, text(0, "fans/+")).effects, [
    { type: "error", error: "publish: topic name contains a wildcard" },
  ]);
  // Offline, a QoS 0 message is dropped, as bytes are.
  assert.deepEqual(stepSession(fresh(), text(0)).effects, []);
});

Deno.test("at most maxInflight unacknowledged publishes are kept", () => {
  const event = (nowMs: number): MqttSessionEvent => ({
    type: "publish",
    topic: "t",
    payload: new Uint8Array(0),
    qos: 1,
    retain: false,
    nowMs,
  });
  const result = run(fresh(), [event(0), event(1), event(2), event(3)]);
  assert.equal(result.session.inflight.length, 3);
  assert.deepEqual(result.effects, [
    { type: "error", error: "publish: too many unacknowledged messages" },
  ]);
});

Deno.test("keep-alive: PINGREQ after a quiet period, dead link after no PINGRESP", () => {
  const start = connected();
  const ping = stepSession(start.session, { type: "tick", nowMs: 60020 });
  assert.deepEqual(sent(ping.effects), [{ cmd: "pingreq" }]);
  const pong = stepSession(ping.session, {
    type: "bytes",
    bytes: bytesOf({ cmd: "pingresp" }),
    nowMs: 60030,
  });
  assert.equal(pong.session.pingSentMs, null);
  const dead = stepSession(ping.session, { type: "tick", nowMs: 70020 });
  assert.deepEqual(dead.effects, [
    { type: "close" },
    { type: "disconnected", reason: "no PINGRESP within 10000 ms" },
  ]);
  assert.equal(dead.session.phase, "waiting");
});

Deno.test("reconnect delays double up to the maximum and reset on CONNACK", () => {
  let session = connected().session;
  session = stepSession(session, { type: "closed", nowMs: 0 }).session;
  const opens: number[] = [];
  for (let nowMs = 0; nowMs <= 63000; nowMs += 100) {
    const step = stepSession(session, { type: "tick", nowMs });
    session = step.session;
    if (step.effects.some((effect) => effect.type === "open")) opens.push(nowMs);
  }
  // Each attempt times out after 10 s (no socket), then waits 1, 2, 4, 8, 8 s (capped).
  assert.deepEqual(opens, [1000, 13000, 27000, 45000, 63000]);
  const back = run(session, [
    { type: "opened", nowMs: 63100 },
    { type: "bytes", bytes: CONNACK, nowMs: 63200 },
  ]);
  assert.equal(back.session.retryDelayMs, 1000);
});

Deno.test("a refused CONNACK, garbage and unexpected packets drop the connection", () => {
  const refused = run(fresh(), [
    { type: "connect", nowMs: 0 },
    { type: "opened", nowMs: 1 },
    {
      type: "bytes",
      bytes: bytesOf({ cmd: "connack", sessionPresent: false, returnCode: 4 }),
      nowMs: 2,
    },
  ]);
  assert.deepEqual(refused.effects.slice(2), [
    { type: "close" },
    { type: "error", error: "connection refused: bad user name or password" },
  ]);
  const garbage = stepSession(connected().session, {
    type: "bytes",
    bytes: new Uint8Array([0xf0, 0]),
    nowMs: 50,
  });
  assert.deepEqual(garbage.effects, [
    { type: "close" },
    {
      type: "disconnected",
      reason: "bad data from the broker: reserved: packet type 15 is not supported",
    },
  ]);
  const unexpected = stepSession(connected().session, {
    type: "bytes",
    bytes: bytesOf({ cmd: "pingreq" }),
    nowMs: 50,
  });
  assert.equal(unexpected.session.phase, "waiting");
});

Deno.test("disconnect sends DISCONNECT (so no will) and goes idle", () => {
  const result = stepSession(connected().session, { type: "disconnect", nowMs: 5 });
  assert.deepEqual(types(result.effects), ["send:disconnect", "close", "disconnected"]);
  assert.equal(result.session.phase, "idle");
});

Deno.test("bad requests and settings are refused with a message", () => {
  const session = connected().session;
  const step = stepSession(session, {
    type: "subscribe",
    subscriptions: [{ topic: "a", qos: 2 }],
    nowMs: 1,
  });
  assert.deepEqual(step.effects, [{ type: "error", error: "subscribe: qos must be 0 or 1" }]);
  assert.equal(step.session.subscriptions.length, 0);
  const badTime = stepSession(session, { type: "tick", nowMs: Number.NaN });
  assert.equal(badTime.session, session);
  const badConfig = createSession(Object.assign({}, CONFIG, { reconnectMinMs: 9000 }));
  assert.deepEqual(badConfig, {
    ok: false,
    error: "reconnectMinMs must not exceed reconnectMaxMs",
  });
  const badWill = createSession(
    Object.assign({}, CONFIG, { will: Object.assign({}, CONFIG.will, { topic: "a/#" }) }),
  );
  assert.deepEqual(badWill, { ok: false, error: "connect: will topic name contains a wildcard" });
});

// A broker that answers what the session sends, over a link that may close, die silently
// (only keep-alive notices) or carry garbage.
const event = fc.oneof(
  fc.record({
    kind: fc.constant("publish" as const),
    qos: fc.constantFrom(0 as const, 1 as const),
  }),
  fc.record({ kind: fc.constant("subscribe" as const), topic: fc.constantFrom("a/+", "b/#", "c") }),
  fc.record({ kind: fc.constant("tick" as const), stepMs: fc.integer({ min: 1, max: 30000 }) }),
  fc.record({ kind: fc.constant("drop" as const) }),
  fc.record({ kind: fc.constant("garbage" as const), bytes: fc.uint8Array({ maxLength: 8 }) }),
  fc.record({ kind: fc.constant("linkDies" as const) }),
  fc.record({ kind: fc.constant("unreachable" as const), opens: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant("incoming" as const), messageId: fc.integer({ min: 1, max: 9 }) }),
);

// Short timers so random ticks cross them often.
const FAST: MqttSessionConfig = Object.assign({}, CONFIG, {
  keepaliveMs: 10000,
  pingTimeoutMs: 3000,
  connectTimeoutMs: 3000,
  reconnectMinMs: 500,
  reconnectMaxMs: 4000,
  resendAfterMs: 5000,
});

Deno.test("against a flaky link, the session recovers: QoS 1 publishes acked, filters held", () => {
  fc.assert(
    fc.property(fc.array(event, { maxLength: 60 }), (script) => {
      let session = fresh(FAST);
      let nowMs = 0;
      // A dead link loses everything silently until the session opens a new socket.
      let linkDead = false;
      // Sockets that never open (the broker host is unreachable): only the timeout helps.
      let hangingOpens = 0;
      // Filters the broker holds for the current connection.
      let brokerFilters: string[] = [];
      const published: number[] = [];
      const acked = new Set<string>();
      let counter = 0;
      const apply = (input: MqttSessionEvent): void => {
        const before = structuredClone(session);
        const inStep = session.parser !== null && session.parser.headerLength === 0 &&
          session.parser.packet === null;
        const step = stepSession(session, input);
        assert.deepEqual(session, before, "the input session must not change");
        session = step.session;
        assert.ok(session.inflight.length <= CONFIG.maxInflight);
        if (input.type === "bytes" && session.phase === "connected" && inStep) {
          const incoming = decodePacket(input.bytes);
          if (incoming.ok && incoming.value.cmd === "publish") {
            const ack = { cmd: "puback", messageId: incoming.value.messageId };
            assert.deepEqual(
              sent(step.effects),
              [ack],
              "an incoming QoS 1 PUBLISH is acknowledged",
            );
          }
        }
        for (const effect of step.effects) {
          if (effect.type === "open") {
            linkDead = false;
            brokerFilters = [];
            if (hangingOpens > 0) hangingOpens--;
            else queue.push({ type: "opened", nowMs });
          }
          if (effect.type !== "send") continue;
          const packet = decodePacket(effect.bytes);
          assert.ok(packet.ok, "every sent packet decodes");
          if (linkDead) continue;
          if (packet.value.cmd === "subscribe") {
            brokerFilters = brokerFilters.concat(
              packet.value.subscriptions.map((sub) => sub.topic),
            );
          }
          const reply = brokerReply(packet.value, acked);
          if (reply !== null) queue.push({ type: "bytes", bytes: bytesOf(reply), nowMs });
        }
      };
      const queue: MqttSessionEvent[] = [];
      const drain = () => {
        while (queue.length > 0) apply(queue.shift() as MqttSessionEvent);
      };
      apply({ type: "connect", nowMs });
      drain();
      for (const item of script) {
        if (item.kind === "publish") {
          const payload = new Uint8Array([counter >> 8, counter & 0xff]);
          const before = session.inflight.length;
          apply({ type: "publish", topic: "t", payload, qos: item.qos, retain: false, nowMs });
          if (item.qos === 1 && session.inflight.length > before) published.push(counter);
          counter++;
        } else if (item.kind === "subscribe") {
          apply({ type: "subscribe", subscriptions: [{ topic: item.topic, qos: 1 }], nowMs });
        } else if (item.kind === "tick") {
          nowMs += item.stepMs;
          apply({ type: "tick", nowMs });
        } else if (item.kind === "drop") {
          queue.length = 0;
          apply({ type: "closed", nowMs });
        } else if (item.kind === "incoming") {
          if (session.phase === "connected" && !linkDead) {
            const packet: MqttPacket = {
              cmd: "publish",
              topic: "a/b",
              payload: new Uint8Array([1]),
              qos: 1,
              retain: false,
              dup: false,
              messageId: item.messageId,
            };
            queue.push({ type: "bytes", bytes: bytesOf(packet), nowMs });
          }
        } else if (item.kind === "garbage") {
          apply({ type: "bytes", bytes: item.bytes, nowMs });
        } else if (item.kind === "unreachable") {
          hangingOpens = item.opens;
        } else {
          linkDead = true;
        }
        drain();
      }
      const settled = () =>
        session.phase === "connected" && session.inflight.length === 0 &&
        session.pendingSubscribes.length === 0;
      for (let index = 0; index < 60 && !settled(); index++) {
        nowMs += 2000;
        apply({ type: "tick", nowMs });
        drain();
      }
      assert.ok(settled(), "connected with nothing outstanding");
      for (const subscription of session.subscriptions) {
        assert.ok(brokerFilters.includes(subscription.topic), subscription.topic + " subscribed");
      }
      for (const id of published) assert.ok(acked.has("t:" + id), "message " + id + " arrived");
    }),
    { numRuns: 300 },
  );
});

const brokerReply = (packet: MqttPacket, acked: Set<string>): MqttPacket | null => {
  if (packet.cmd === "connect") return { cmd: "connack", sessionPresent: false, returnCode: 0 };
  if (packet.cmd === "pingreq") return { cmd: "pingresp" };
  if (packet.cmd === "subscribe") {
    return {
      cmd: "suback",
      messageId: packet.messageId,
      granted: packet.subscriptions.map(() => 1),
    };
  }
  if (packet.cmd === "publish" && packet.qos === 1) {
    acked.add(packet.topic + ":" + ((packet.payload[0] ?? 0) * 256 + (packet.payload[1] ?? 0)));
    return { cmd: "puback", messageId: packet.messageId as number };
  }
  return null;
};
