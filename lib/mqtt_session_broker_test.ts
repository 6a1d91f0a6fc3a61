// The session against a real broker (aedes, as the simulator runs it) over TCP, with a tiny
// adapter carrying out its effects: connect, subscribe, QoS 1 both ways, resubscribe after
// the broker restarts, and the last will when the device vanishes without DISCONNECT.
import assert from "node:assert/strict";
import mqtt from "mqtt";
import { startBroker } from "../sim/broker.ts";
import { createSession, stepSession } from "./mqtt_session.ts";
import type { MqttSession, MqttSessionEffect, MqttSessionEvent } from "./mqtt_session_types.ts";

const text = (value: string): Uint8Array => new TextEncoder().encode(value);
const read = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** Carries out the session's effects with Deno sockets and a 20 ms tick. */
class Adapter {
  session: MqttSession;
  conn: Deno.TcpConn | null = null;
  effects: MqttSessionEffect[] = [];
  readonly startMs = performance.now();
  private readonly tasks: Promise<unknown>[] = [];
  private writes: Promise<unknown> = Promise.resolve();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(session: MqttSession, private readonly port: number) {
    this.session = session;
    this.timer = setInterval(() => this.step({ type: "tick", nowMs: this.nowMs() }), 20);
  }

  nowMs(): number {
    return performance.now() - this.startMs;
  }

  step(event: MqttSessionEvent): void {
    const result = stepSession(this.session, event);
    this.session = result.session;
    for (const effect of result.effects) this.apply(effect);
  }

  private apply(effect: MqttSessionEffect): void {
    this.effects.push(effect);
    if (effect.type === "open") {
      this.tasks.push(
        Deno.connect({ hostname: "127.0.0.1", port: this.port }).then(
          (conn) => {
            this.conn = conn;
            this.step({ type: "opened", nowMs: this.nowMs() });
            this.tasks.push(this.readLoop(conn));
          },
          () => this.step({ type: "closed", nowMs: this.nowMs() }),
        ),
      );
    } else if (effect.type === "send" && this.conn !== null) {
      const conn = this.conn;
      this.writes = this.writes.then(() => conn.write(effect.bytes)).catch(() => {});
    } else if (effect.type === "close") {
      this.conn?.close();
      this.conn = null;
    }
  }

  private async readLoop(conn: Deno.TcpConn): Promise<void> {
    const buffer = new Uint8Array(1024);
    while (true) {
      const count = await conn.read(buffer).catch(() => null);
      if (this.conn !== conn) return;
      if (count === null) {
        this.conn = null;
        conn.close();
        this.step({ type: "closed", nowMs: this.nowMs() });
        return;
      }
      this.step({ type: "bytes", bytes: buffer.slice(0, count), nowMs: this.nowMs() });
    }
  }

  /** Drops the socket without DISCONNECT, as a power cut would. */
  vanish(): void {
    clearInterval(this.timer);
    this.conn?.close();
    this.conn = null;
  }

  async stop(): Promise<void> {
    this.vanish();
    await this.writes;
    await Promise.all(this.tasks);
  }

  count(type: MqttSessionEffect["type"]): number {
    return this.effects.filter((effect) => effect.type === type).length;
  }

  messages(): string[] {
    return this.effects.flatMap((effect) =>
      effect.type === "message" ? [effect.topic + "=" + read(effect.payload)] : []
    );
  }
}

const until = async (check: () => boolean, what: string, timeoutMs = 3000): Promise<void> => {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > timeoutMs) assert.fail("timed out waiting for " + what);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

Deno.test("session against aedes: QoS 1 both ways, resubscribe after restart, last will", async () => {
  const broker = await startBroker({ port: 0 });
  const routed: string[] = [];
  const unwatch = broker.onPublish((message) => {
    routed.push(`${message.clientId}:${message.topic}=${read(message.payload)}`);
  });
  const created = createSession({
    clientId: "plug1",
    will: { topic: "plugs/plug1/availability", payload: text("offline"), qos: 1, retain: true },
    keepaliveMs: 1000,
    pingTimeoutMs: 500,
    connectTimeoutMs: 1000,
    reconnectMinMs: 50,
    reconnectMaxMs: 200,
    resendAfterMs: 500,
    maxInflight: 4,
    maxPacketBytes: 2048,
  });
  assert.ok(created.ok);
  const device = new Adapter(created.value, broker.port);
  const controllers: mqtt.MqttClient[] = [];
  const controller = async (): Promise<mqtt.MqttClient> => {
    const client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    controllers.push(client);
    return client;
  };
  try {
    device.step({ type: "connect", nowMs: device.nowMs() });
    device.step({
      type: "subscribe",
      subscriptions: [{ topic: "plugs/plug1/commands/+", qos: 1 }],
      nowMs: device.nowMs(),
    });
    const settled = () =>
      device.session.phase === "connected" && device.session.pendingSubscribes.length === 0;
    await until(settled, "CONNACK and SUBACK");

    device.step({
      type: "publish",
      topic: "plugs/plug1/states/power",
      payload: text("ON"),
      qos: 1,
      retain: true,
      nowMs: device.nowMs(),
    });
    await until(() => device.session.inflight.length === 0, "PUBACK");
    assert.ok(routed.includes("plug1:plugs/plug1/states/power=ON"));

    await (await controller()).publishAsync("plugs/plug1/commands/power", "OFF", { qos: 1 });
    await until(() => device.messages().length === 1, "command");
    assert.deepEqual(device.messages(), ["plugs/plug1/commands/power=OFF"]);

    await broker.restart();
    await until(() => device.count("connected") === 2 && settled(), "reconnect and resubscribe");
    await (await controller()).publishAsync("plugs/plug1/commands/power", "ON", { qos: 1 });
    await until(() => device.messages().length === 2, "command after restart");

    device.vanish();
    await until(() => routed.includes("plug1:plugs/plug1/availability=offline"), "last will");
  } finally {
    await device.stop();
    for (const client of controllers) await client.endAsync(true);
    unwatch();
    await broker.stop();
  }
});
