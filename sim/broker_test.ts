import assert from "node:assert/strict";
import fc from "fast-check";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import {
  type BrokerAccount,
  type BrokerHandle,
  canPublish,
  canSubscribe,
  hashPassword,
  startBroker,
  verifyPassword,
} from "./broker.ts";

interface Received {
  topic: string;
  payload: string;
  retain: boolean;
}

/** Connects without automatic reconnection unless asked, so tests end cleanly. */
const connect = (url: string, options: IClientOptions = {}): Promise<MqttClient> =>
  mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 2000, ...options });

/** Like `connect`, over an in-process stream; rejects on the first error (no retry). */
const connectInProcess = (
  broker: BrokerHandle,
  options: IClientOptions = {},
): Promise<MqttClient> =>
  new Promise((resolve, reject) => {
    const client = new mqtt.MqttClient(() => broker.openStream(), {
      reconnectPeriod: 0,
      connectTimeout: 2000,
      ...options,
    });
    const onError = (error: Error): void => {
      client.off("connect", onConnect);
      client.end(true);
      reject(error);
    };
    const onConnect = (): void => {
      client.off("error", onError);
      resolve(client);
    };
    client.once("error", onError);
    client.once("connect", onConnect);
  });

const inbox = (client: MqttClient): Received[] => {
  const messages: Received[] = [];
  client.on("message", (topic, payload, packet) => {
    messages.push({ topic, payload: payload.toString(), retain: packet.retain });
  });
  return messages;
};

/** Polls until `check` holds, failing after `timeoutMs` (timers always cleared). */
const until = async (check: () => boolean, what: string, timeoutMs = 1500): Promise<void> => {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > timeoutMs) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

Deno.test("broker: publish/subscribe, client count, onPublish", async () => {
  const broker = await startBroker({ port: 0 });
  const watched: string[] = [];
  const unwatch = broker.onPublish((m) => {
    watched.push(`${m.clientId}:${m.topic}=${new TextDecoder().decode(m.payload)}`);
  });
  const a = await connect(broker.url, { clientId: "client-a" });
  const b = await connect(broker.url);
  try {
    const got = inbox(b);
    await b.subscribeAsync("plugs/+/states/#");
    await a.publishAsync("plugs/p1/states/power", "ON");
    await until(() => got.length === 1, "message");
    assert.deepEqual(got[0], { topic: "plugs/p1/states/power", payload: "ON", retain: false });
    assert.equal(broker.clientCount(), 2);
    assert.deepEqual(watched, ["client-a:plugs/p1/states/power=ON"]);
    unwatch();
    await a.publishAsync("plugs/p1/states/power", "OFF", { qos: 1 });
    assert.equal(watched.length, 1);
  } finally {
    await a.endAsync();
    await b.endAsync();
    await broker.stop();
  }
});

Deno.test("broker: retained messages reach later subscribers", async () => {
  const broker = await startBroker({ port: 0 });
  const a = await connect(broker.url);
  await a.publishAsync("fans/f1/availability", "online", { retain: true, qos: 1 });
  const b = await connect(broker.url);
  try {
    const got = inbox(b);
    await b.subscribeAsync("fans/f1/#");
    await until(() => got.length === 1, "retained message");
    assert.deepEqual(got[0], { topic: "fans/f1/availability", payload: "online", retain: true });
  } finally {
    await a.endAsync();
    await b.endAsync();
    await broker.stop();
  }
});

Deno.test("broker: a retained QoS 0 message followed at once by a plain one reaches subscribers", async () => {
  // aedes drops a message routed after a later one of the same client (its duplicate
  // check): the retained store must not let the plain message overtake the retained one.
  const broker = await startBroker({ port: 0 });
  const device = await connect(broker.url);
  const user = await connect(broker.url);
  try {
    const got = inbox(user);
    await user.subscribeAsync("plugs/p1/#", { qos: 1 });
    for (let i = 0; i < 20; i++) {
      device.publish("plugs/p1/states/power", `ON${i}`, { qos: 0, retain: true });
      device.publish("plugs/p1/errors", `{}${i}`, { qos: 0 });
    }
    await until(() => got.length === 40, "40 messages");
    assert.deepEqual(
      got.filter((m) => m.topic.endsWith("/power")).map((m) => m.payload),
      Array.from({ length: 20 }, (_, i) => `ON${i}`),
    );
  } finally {
    await device.endAsync();
    await user.endAsync();
    await broker.stop();
  }
});

Deno.test("broker: last will is delivered when a socket dies", async () => {
  const broker = await startBroker({ port: 0 });
  const watcher = await connect(broker.url);
  const device = await connect(broker.url, {
    will: { topic: "plugs/p1/availability", payload: "offline", retain: true, qos: 1 },
  });
  try {
    const got = inbox(watcher);
    await watcher.subscribeAsync("plugs/p1/availability");
    device.stream.destroy();
    await until(() => got.length === 1, "last will");
    assert.deepEqual(got[0], { topic: "plugs/p1/availability", payload: "offline", retain: false });
  } finally {
    await device.endAsync(true);
    await watcher.endAsync();
    await broker.stop();
  }
});

Deno.test("broker: port in use fails, or falls back to a free port", async () => {
  const first = await startBroker({ port: 0 });
  try {
    await assert.rejects(startBroker({ port: first.port }), (error: { code?: string }) => {
      assert.equal(error.code, "EADDRINUSE");
      return true;
    });
    const second = await startBroker({ port: first.port, fallbackToFreePort: true });
    assert.notEqual(second.port, first.port);
    assert.ok(second.port > 0);
    await second.stop();
  } finally {
    await first.stop();
  }
});

Deno.test("broker: restart keeps the port and clients reconnect", async () => {
  const broker = await startBroker({ port: 0 });
  const port = broker.port;
  // reconnectPeriod > 0: mqtt.js reconnects and (resubscribe default) restores subscriptions.
  const sub = await connect(broker.url, { reconnectPeriod: 20 });
  const pub = await connect(broker.url, { reconnectPeriod: 20 });
  try {
    const got = inbox(sub);
    await sub.subscribeAsync("sim/p1/load");
    let reconnects = 0;
    sub.on("connect", () => reconnects++);
    pub.on("connect", () => reconnects++);
    await broker.restart();
    assert.equal(broker.port, port);
    await until(() => reconnects === 2 && broker.clientCount() === 2, "reconnection");
    // The resubscription may trail the CONNACK: publish until it lands.
    await until(() => {
      if (got.length === 0) pub.publish("sim/p1/load", "100");
      return got.length > 0;
    }, "message after restart");
    assert.equal(got[0]?.payload, "100");
  } finally {
    await sub.endAsync(true);
    await pub.endAsync(true);
    await broker.stop();
  }
});

Deno.test("broker: retained deletes; a persistent session gets what it missed", async () => {
  const broker = await startBroker({ port: 0 });
  const pub = await connect(broker.url);
  try {
    await pub.publishAsync("fans/f1/state", "{}", { retain: true, qos: 1 });
    await pub.publishAsync("fans/f1/state", "", { retain: true, qos: 1 }); // deletes it
    await pub.publishAsync("fans/f1/availability", "online", { retain: true, qos: 1 });
    // Before any persistent session: plain QoS 1 traffic, then one joins, leaves, comes back.
    const options = { clientId: "keeper", clean: false } as const;
    const first = await connect(broker.url, options);
    const retained = inbox(first);
    await first.subscribeAsync("fans/f1/#", { qos: 1 });
    await until(() => retained.length === 1, "retained message");
    assert.deepEqual(retained.map((m) => m.topic), ["fans/f1/availability"]);
    await first.endAsync();
    await pub.publishAsync("fans/f1/states/speed", "2", { qos: 1 });
    // Listening before the CONNACK: the queued message may come in the same read.
    const again = mqtt.connect(broker.url, { ...options, reconnectPeriod: 0 });
    const missed = inbox(again);
    try {
      await until(() => missed.length === 1, "the message queued while away");
      assert.deepEqual(missed[0], { topic: "fans/f1/states/speed", payload: "2", retain: false });
    } finally {
      await again.endAsync();
    }
  } finally {
    await pub.endAsync();
    await broker.stop();
  }
});

Deno.test("broker: stop is idempotent and refuses new clients", async () => {
  const broker = await startBroker({ port: 0 });
  await broker.stop();
  await broker.stop();
  assert.equal(broker.clientCount(), 0);
  await assert.rejects(connect(broker.url));
});

Deno.test("broker in-process: streams and TCP clients talk, all counted and watched", async () => {
  const broker = await startBroker({ port: 0 });
  const watched: string[] = [];
  broker.onPublish((m) => watched.push(`${m.clientId}:${m.topic}`));
  const inner = await connectInProcess(broker, { clientId: "inner" });
  const outer = await connect(broker.url, { clientId: "outer" });
  try {
    assert.equal(broker.clientCount(), 2);
    const atInner = inbox(inner);
    const atOuter = inbox(outer);
    await inner.subscribeAsync("to/inner");
    await outer.subscribeAsync("to/outer");
    await outer.publishAsync("to/inner", "hi", { qos: 1 });
    await inner.publishAsync("to/outer", "ho", { qos: 1, retain: true });
    await until(() => atInner.length === 1 && atOuter.length === 1, "both messages");
    assert.deepEqual(atInner[0], { topic: "to/inner", payload: "hi", retain: false });
    assert.deepEqual(atOuter[0], { topic: "to/outer", payload: "ho", retain: false });
    assert.deepEqual(watched, ["outer:to/inner", "inner:to/outer"]);
    // A later in-process subscriber gets the retained message.
    const late = await connectInProcess(broker);
    const atLate = inbox(late);
    await late.subscribeAsync("to/#");
    await until(() => atLate.length === 1, "retained message");
    assert.deepEqual(atLate[0], { topic: "to/outer", payload: "ho", retain: true });
    await late.endAsync();
    await until(() => broker.clientCount() === 2, "the late client gone");
  } finally {
    await inner.endAsync();
    await outer.endAsync();
    await broker.stop();
  }
});

Deno.test("broker in-process: a dropped stream sends the last will", async () => {
  const broker = await startBroker({ port: 0 });
  const watcher = await connect(broker.url);
  const device = await connectInProcess(broker, {
    will: { topic: "plugs/p1/availability", payload: "offline", retain: true, qos: 1 },
  });
  try {
    const got = inbox(watcher);
    await watcher.subscribeAsync("plugs/p1/availability");
    device.stream.destroy();
    await until(() => got.length === 1, "last will");
    assert.deepEqual(got[0], { topic: "plugs/p1/availability", payload: "offline", retain: false });
    await until(() => broker.clientCount() === 1, "the device gone");
  } finally {
    await device.endAsync(true);
    await watcher.endAsync();
    await broker.stop();
  }
});

Deno.test("broker in-process: restart closes streams, they reconnect; stopped refuses", async () => {
  const broker = await startBroker({ port: 0 });
  const sub = await connectInProcess(broker, { reconnectPeriod: 20 });
  const pub = await connectInProcess(broker, { reconnectPeriod: 20 });
  try {
    const got = inbox(sub);
    await sub.subscribeAsync("sim/p1/load");
    let closes = 0;
    let reconnects = 0;
    for (const client of [sub, pub]) {
      client.on("close", () => closes++);
      client.on("connect", () => reconnects++);
    }
    await broker.restart();
    await until(() => closes >= 2, "both streams closed by the restart");
    await until(() => reconnects === 2 && broker.clientCount() === 2, "reconnection");
    await until(() => {
      if (got.length === 0) pub.publish("sim/p1/load", "100");
      return got.length > 0;
    }, "message after restart");
    assert.equal(got[0]?.payload, "100");
    await broker.stop();
    await until(() => !sub.connected && !pub.connected, "streams closed by stop");
    await assert.rejects(connectInProcess(broker), (error: { code?: string }) => {
      assert.equal(error.code, "ECONNREFUSED");
      return true;
    });
    assert.equal(broker.clientCount(), 0);
  } finally {
    await sub.endAsync(true);
    await pub.endAsync(true);
    await broker.stop();
  }
});

const accounts: BrokerAccount[] = [
  { role: "device", username: "plug-p1", password: "pw-p1", kind: "plugs", id: "p1" },
  { role: "controller", username: "ha", password: "pw-ha" },
];

Deno.test("broker auth: wrong or missing credentials are refused", async () => {
  const broker = await startBroker({ port: 0, auth: { accounts, iterations: 1000 } });
  try {
    await assert.rejects(connect(broker.url, { username: "plug-p1", password: "nope" }));
    await assert.rejects(connect(broker.url, { username: "ghost", password: "pw-p1" }));
    await assert.rejects(connect(broker.url));
    const ok = await connect(broker.url, { username: "plug-p1", password: "pw-p1" });
    assert.equal(ok.connected, true);
    await ok.endAsync();
  } finally {
    await broker.stop();
  }
});

Deno.test("broker auth: a device may not publish outside its base", async () => {
  const broker = await startBroker({ port: 0, auth: { accounts, iterations: 1000 } });
  const controller = await connect(broker.url, { username: "ha", password: "pw-ha" });
  const device = await connect(broker.url, { username: "plug-p1", password: "pw-p1" });
  try {
    const seen = inbox(controller);
    await controller.subscribeAsync("#");
    await device.publishAsync("plugs/p1/states/power", "ON", { qos: 1 });
    await until(() => seen.length === 1, "allowed publish");
    const closed = new Promise<void>((resolve) => device.once("close", () => resolve()));
    device.publish("plugs/p2/states/power", "OFF");
    await closed; // aedes drops a client whose publish is refused
    await controller.publishAsync("sim/p1/load", "sentinel", { qos: 1 });
    await until(() => seen.some((m) => m.payload === "sentinel"), "sentinel");
    assert.deepEqual(seen.map((m) => m.topic), ["plugs/p1/states/power", "sim/p1/load"]);
  } finally {
    await device.endAsync(true);
    await controller.endAsync();
    await broker.stop();
  }
});

Deno.test("broker auth: subscriptions outside the device's topics are refused", async () => {
  const broker = await startBroker({ port: 0, auth: { accounts, iterations: 1000 } });
  const device = await connect(broker.url, { username: "plug-p1", password: "pw-p1" });
  try {
    // mqtt.js rejects when any grant is the failure code 128; the SUBACK rides on the error.
    const refusal = await device.subscribeAsync(["plugs/p1/commands/#", "sim/p1/#", "plugs/#"])
      .then(() => assert.fail("expected a refused subscription"), (error) => error);
    assert.deepEqual(refusal.packet.granted, [0, 0, 128]);
  } finally {
    await device.endAsync();
    await broker.stop();
  }
});

Deno.test("broker auth: a controller commands a device; the device hears it", async () => {
  const broker = await startBroker({ port: 0, auth: { accounts, iterations: 1000 } });
  const controller = await connect(broker.url, { username: "ha", password: "pw-ha" });
  const device = await connect(broker.url, { username: "plug-p1", password: "pw-p1" });
  try {
    const got = inbox(device);
    await device.subscribeAsync(["plugs/p1/commands/#", "sim/p1/#"]);
    await controller.publishAsync("plugs/p1/commands/power", "TOGGLE", { qos: 1 });
    await controller.publishAsync("sim/p1/load", "60", { qos: 1 });
    await until(() => got.length === 2, "command and knob");
    assert.deepEqual(got.map((m) => m.topic), ["plugs/p1/commands/power", "sim/p1/load"]);
  } finally {
    await device.endAsync();
    await controller.endAsync();
    await broker.stop();
  }
});

Deno.test("broker auth: in-process streams log in and obey the ACL like TCP clients", async () => {
  const broker = await startBroker({ port: 0, auth: { accounts, iterations: 1000 } });
  const controller = await connect(broker.url, { username: "ha", password: "pw-ha" });
  try {
    await assert.rejects(connectInProcess(broker, { username: "plug-p1", password: "nope" }));
    await assert.rejects(connectInProcess(broker));
    const device = await connectInProcess(broker, { username: "plug-p1", password: "pw-p1" });
    const seen = inbox(controller);
    await controller.subscribeAsync("#");
    const refusal = await device.subscribeAsync(["plugs/p1/commands/#", "plugs/#"])
      .then(() => assert.fail("expected a refused subscription"), (error) => error);
    assert.deepEqual(refusal.packet.granted, [0, 128]);
    await device.publishAsync("plugs/p1/states/power", "ON", { qos: 1 });
    const closed = new Promise<void>((resolve) => device.once("close", () => resolve()));
    device.publish("plugs/p2/states/power", "OFF");
    await closed; // refused: dropped, as over TCP
    await controller.publishAsync("sim/p1/load", "sentinel", { qos: 1 });
    await until(() => seen.some((m) => m.payload === "sentinel"), "sentinel");
    assert.deepEqual(seen.map((m) => m.topic), ["plugs/p1/states/power", "sim/p1/load"]);
    await device.endAsync(true);
  } finally {
    await controller.endAsync();
    await broker.stop();
  }
});

Deno.test("broker auth: accounts may carry a precomputed hash", async () => {
  const passwordHash = await hashPassword("pw", 1000);
  const broker = await startBroker({
    port: 0,
    auth: { accounts: [{ role: "controller", username: "cli", passwordHash }] },
  });
  try {
    const client = await connect(broker.url, { username: "cli", password: "pw" });
    await client.endAsync();
  } finally {
    await broker.stop();
  }
});

Deno.test("hashPassword: salted, verifies only the right password", async () => {
  const a = await hashPassword("same", 1000);
  const b = await hashPassword("same", 1000);
  assert.notEqual(a, b);
  assert.equal(await verifyPassword("same", a), true);
  assert.equal(await verifyPassword("Same", a), false);
  assert.equal(await verifyPassword("same", a.replace(/\$\d+\$/, "$0$")), false);
});

const level = fc.stringMatching(/^[a-z0-9_-]{1,6}$/);
const device = (kind: "plugs" | "fans", id: string): BrokerAccount => ({
  role: "device",
  username: id,
  kind,
  id,
});

Deno.test("ACL property: a device never publishes into another device's base", () => {
  fc.assert(
    fc.property(
      fc.constantFrom("", "home/"),
      fc.constantFrom<"plugs" | "fans">("plugs", "fans"),
      level,
      level,
      fc.array(level, { minLength: 1, maxLength: 3 }),
      (prefix, kind, me, other, rest) => {
        fc.pre(me !== other);
        const mine = device(kind, me);
        const otherBase = prefix + kind + "/" + other;
        assert.equal(canPublish(mine, otherBase + "/" + rest.join("/"), prefix), false);
        assert.equal(
          canPublish(mine, prefix + kind + "/" + me + "/" + rest.join("/"), prefix),
          true,
        );
        assert.equal(canSubscribe(mine, otherBase + "/#", prefix), false);
        assert.equal(canSubscribe(mine, prefix + "+/" + me + "/#", prefix), false);
        assert.equal(canSubscribe(mine, "#", prefix), false);
      },
    ),
  );
});

Deno.test("ACL: controllers command any device and knobs, nothing else", () => {
  const ha: BrokerAccount = { role: "controller", username: "ha" };
  assert.equal(canPublish(ha, "home/fans/f1/commands/speed", "home/"), true);
  assert.equal(canPublish(ha, "home/sim/f1/shower", "home/"), true);
  assert.equal(canPublish(ha, "home/fans/f1/states/speed", "home/"), false);
  assert.equal(canPublish(ha, "fans/f1/commands/speed", "home/"), false);
  assert.equal(canPublish(ha, "home/fans/f1/commands/", "home/"), false);
  assert.equal(canPublish(ha, "homeassistant/fan/f1/config", "home/"), false);
  assert.equal(canSubscribe(ha, "#", "home/"), true);
  const p1 = device("plugs", "p1");
  assert.equal(canPublish(p1, "homeassistant/switch/p1/relay/config", ""), true);
  assert.equal(canPublish(p1, "plugs/p1", ""), false);
  assert.equal(canPublish(p1, "plugs/p10/states/power", ""), false);
  assert.equal(canSubscribe(p1, "plugs/p1", ""), true);
  assert.equal(canSubscribe(p1, "plugs/p1/#", ""), true);
  assert.equal(canSubscribe(p1, "plugs/#", ""), false);
  assert.equal(canSubscribe(p1, "sim/+/load", ""), false);
});
