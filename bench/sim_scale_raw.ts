/**
 * The baseline of `sim_scale.ts`: raw mqtt.js clients, connected like the simulator's
 * device links (same transport and options: clean session, keepalive 30 s without
 * rescheduled pings, no debug logger, retained `offline` will), each publishing a plug-sized
 * snapshot once a second (QoS 0, retained, as the plugs).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type mqtt from "mqtt";
import {
  awaitConnections,
  type BrokerTarget,
  connectClient,
  connectTimeoutMs,
  type Counter,
  firstCrash,
  inBatches,
  measureWindow,
  note,
  type ScalePhase,
  toPhase,
  withTimeout,
} from "./sim_scale_meter.ts";

/**
 * Runs the raw phase.
 *
 * @param target The broker, over TCP or in-process streams.
 * @param counter The snapshot counter.
 * @param devices Clients.
 * @param seconds Window length.
 * @param snapshot The payload each client publishes on `plugs/raw<i>/state`.
 * @param perSecond Messages per client and second, the snapshot last.
 * @returns The phase's figures.
 */
export async function runRaw(
  target: BrokerTarget,
  counter: Counter,
  devices: number,
  seconds: number,
  snapshot: string,
  perSecond: number,
): Promise<ScalePhase> {
  const clients: mqtt.MqttClient[] = [];
  note(`raw: connecting ${devices} clients`);
  for (let i = 1; i <= devices; i++) {
    const client = connectClient(target, {
      clientId: `bench-raw-${i}`,
      clean: true,
      keepalive: 30,
      reschedulePings: false,
      log: () => {},
      reconnectPeriod: 1000,
      connectTimeout: 5000,
      will: {
        topic: `plugs/raw${i}/availability`,
        payload: Buffer.from("offline"),
        qos: 1,
        retain: true,
      },
    });
    clients.push(client);
  }
  const connection = await awaitConnections(
    devices,
    () => clients.reduce((n, client) => n + (client.connected ? 1 : 0), 0),
    connectTimeoutMs(devices),
  );
  const timers = clients.map((client, index) =>
    setInterval(() => {
      if (!client.connected) return;
      // Extra messages stand in for the plug's per-parameter states; the snapshot goes last.
      for (let k = 1; k < perSecond; k++) {
        client.publish(`plugs/raw${index + 1}/states/p${k}`, "123.4", { qos: 0, retain: true });
      }
      client.publish(`plugs/raw${index + 1}/state`, snapshot, { qos: 0, retain: true });
    }, 1000)
  );
  note(`raw: ${connection.connected} connected (${connection.aborted ?? "all"}); measuring`);
  const window = connection.aborted === "rss" || firstCrash() !== null
    ? null
    : await measureWindow(counter, seconds, () => 0, () => NaN);
  note("raw: stopping");
  for (const timer of timers) clearInterval(timer);
  // Leave no retained raw messages behind for the simulator's subscriptions to scan.
  const clearRetained = async (client: mqtt.MqttClient, index: number): Promise<void> => {
    if (client.connected) {
      const base = `plugs/raw${index + 1}`;
      const topics = [`${base}/state`];
      for (let k = 1; k < perSecond; k++) topics.push(`${base}/states/p${k}`);
      await Promise.all(topics.map((t) => client.publishAsync(t, "", { qos: 1, retain: true })));
    }
    await client.endAsync(true);
  };
  const indexed = clients.map((client, index) => ({ client, index }));
  await withTimeout(inBatches(indexed, (c) => clearRetained(c.client, c.index)), 20000);
  return toPhase(devices, connection, window, false);
}
