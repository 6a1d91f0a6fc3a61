import assert from "node:assert/strict";
import mqtt, { type MqttClient } from "mqtt";
import { type BrokerHandle, startBroker } from "./broker.ts";
import { type LinkHandlers, mqttJsLink, type MqttLinkOptions } from "./mqtt_link.ts";

interface Received {
  topic: string;
  payload: string;
  retain: boolean;
}

const until = async (check: () => boolean, what: string, timeoutMs = 2000): Promise<void> => {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > timeoutMs) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

const watch = async (broker: BrokerHandle, filter: string) => {
  const client: MqttClient = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  const got: Received[] = [];
  client.on("message", (topic, payload, packet) => {
    got.push({ topic, payload: payload.toString(), retain: packet.retain });
  });
  await client.subscribeAsync(filter, { qos: 1 });
  return { got, end: () => client.endAsync(true) };
};

/** A link's handler calls, as a list of words. */
const recorder = (): LinkHandlers & { events: string[] } => {
  const events: string[] = [];
  return {
    events,
    onConnect: () => events.push("connect"),
    onClose: () => events.push("close"),
    onMessage: (topic, payload) => events.push(`${topic}=${new TextDecoder().decode(payload)}`),
  };
};

const transports: Array<[string, (broker: BrokerHandle) => MqttLinkOptions]> = [
  ["tcp", (broker) => ({ url: broker.url, clientId: "link-p1", reconnectPeriodMs: 20 })],
  [
    "in-process",
    (broker) => ({ openStream: broker.openStream, clientId: "link-p1", reconnectPeriodMs: 20 }),
  ],
];

for (const [transport, optionsFor] of transports) {
  Deno.test(`mqttJsLink ${transport}: publishes, hears, drop() leaves the will`, async () => {
    const broker = await startBroker({ port: 0 });
    const watcher = await watch(broker, "p1/#");
    const link = mqttJsLink(optionsFor(broker));
    try {
      const handlers = recorder();
      link.open("p1/availability", handlers);
      await until(() => handlers.events.includes("connect"), "connect");
      link.subscribe("p1/commands/#");
      link.publish("p1/availability", "online", true);
      await until(() => watcher.got.length === 1, "online");
      // The subscription is in place once the broker answers a publish that follows it.
      link.publish("p1/commands/power", "ON", false);
      await until(() => handlers.events.includes("p1/commands/power=ON"), "own command");
      link.drop();
      await until(() => watcher.got.some((m) => m.payload === "offline"), "last will");
      assert.deepEqual(watcher.got.at(-1), {
        topic: "p1/availability",
        payload: "offline",
        retain: false,
      });
      // drop() is final: no reconnection, and the device is not told (it dropped the link).
      await new Promise((resolve) => setTimeout(resolve, 60));
      assert.equal(broker.clientCount(), 1);
      assert.deepEqual(handlers.events, ["connect", "p1/commands/power=ON"]);
    } finally {
      await link.close();
      await watcher.end();
      await broker.stop();
    }
  });

  Deno.test(`mqttJsLink ${transport}: close() says offline; a restart reconnects`, async () => {
    const broker = await startBroker({ port: 0 });
    const watcher = await watch(broker, "p1/availability");
    const link = mqttJsLink(optionsFor(broker));
    try {
      const handlers = recorder();
      link.open("p1/availability", handlers);
      await until(() => handlers.events.includes("connect"), "connect");
      await broker.restart();
      await until(() => handlers.events.join(",") === "connect,close,connect", "reconnection");
      const again = await watch(broker, "p1/availability");
      try {
        await link.close();
        // The published `offline`, and the will (close() ends without a DISCONNECT).
        await until(() => again.got.length >= 1, "offline");
        assert.deepEqual(again.got[0], {
          topic: "p1/availability",
          payload: "offline",
          retain: false,
        });
        await until(() => broker.clientCount() === 1, "the link gone");
      } finally {
        await again.end();
      }
    } finally {
      await link.close();
      await watcher.end();
      await broker.stop();
    }
  });
}

Deno.test("mqttJsLink: needs exactly one of url and openStream", () => {
  assert.throws(() => mqttJsLink({ clientId: "x" }), TypeError);
  assert.throws(
    () => mqttJsLink({ clientId: "x", url: "mqtt://127.0.0.1:1", openStream: () => assert.fail() }),
    TypeError,
  );
});
