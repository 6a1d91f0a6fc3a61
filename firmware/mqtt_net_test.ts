import assert from "node:assert/strict";
import fc from "fast-check";
import { createSession, stepSession } from "../lib/mqtt_session.ts";
import type { MqttSession, MqttSessionConfig, MqttSessionEvent } from "../lib/mqtt_session.ts";
import type { EspruinoNet, EspruinoSocket } from "./espruino_types.ts";
import { createMqttNet, MAX_TICK_MS, nextSessionDeadlineMs } from "./mqtt_net.ts";
import type { MqttNetHandlers } from "./mqtt_net.ts";

// What Mosquitto 2.0.11 sent, chunk by chunk, to a client that connected as plug-p1,
// subscribed to plugs/p1/commands/+ (a retained "ON" was waiting), then got a "TOGGLE",
// a PINGRESP, and the removal of the retained message (an empty publish).
const BROKER_CHUNKS = [
  "20020000",
  "9003000100311b0017706c7567732f70312f636f6d6d616e64732f706f7765724f4e",
  "301f0017706c7567732f70312f636f6d6d616e64732f706f776572544f47474c45",
  "d000",
  "30190017706c7567732f70312f636f6d6d616e64732f706f776572",
];

const fromHex = (hex: string): Uint8Array =>
  new Uint8Array((hex.match(/../g) ?? []).map((pair) => parseInt(pair, 16)));
const toBinary = (bytes: Uint8Array): string => String.fromCharCode(...bytes);
const fromBinary = (text: string): Uint8Array =>
  new Uint8Array(Array.from(text, (char) => char.charCodeAt(0)));
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

const CONFIG: MqttSessionConfig = {
  clientId: "plug-p1",
  keepaliveMs: 60000,
  pingTimeoutMs: 15000,
  connectTimeoutMs: 20000,
  reconnectMinMs: 2000,
  reconnectMaxMs: 60000,
  resendAfterMs: 20000,
  maxInflight: 2,
  maxPacketBytes: 1024,
  will: {
    topic: "plugs/p1/availability",
    payload: new TextEncoder().encode("offline"),
    qos: 1,
    retain: true,
  },
};

/** A fake `net` module, a clock and a timer queue run by hand. */
class FakeWorld {
  nowMs = 0;
  written: string[] = [];
  ended = 0;
  connects: Array<{ host: string; port: number }> = [];
  timers: Array<{ id: number; at: number; run: () => void }> = [];
  listeners: Record<string, (arg?: unknown) => void> = {};
  onConnect: (() => void) | null = null;
  lastSocket: EspruinoSocket | null = null;
  refuse = false;
  log: string[] = [];
  events: string[] = [];
  #nextId = 1;

  net: EspruinoNet = {
    connect: (options, callback) => {
      if (this.refuse) throw new Error("Unable to create socket");
      this.connects.push(options);
      this.listeners = {};
      // Espruino passes the socket to the callback.
      this.onConnect = () => callback(socket);
      const socket: EspruinoSocket = {
        write: (data: string) => this.written.push(data),
        end: () => this.ended++,
        on: ((event: string, listener: (arg?: unknown) => void) => {
          this.listeners[event] = listener;
        }) as EspruinoSocket["on"],
      };
      this.lastSocket = socket;
      return socket;
    },
  };

  platform = {
    net: this.net,
    toBytes: fromBinary,
    toText: toBinary,
    nowMs: () => this.nowMs,
    setTimeout: (run: () => void, ms: number) => {
      const id = this.#nextId++;
      this.timers.push({ id, at: this.nowMs + ms, run });
      return id;
    },
    clearTimeout: (id: unknown) => {
      this.timers = this.timers.filter((timer) => timer.id !== id);
    },
  };

  handlers: MqttNetHandlers = {
    event: (event) => {
      this.events.push(
        event.type === "message"
          ? `message ${event.topic} ${JSON.stringify(text(event.payload))} ${event.retained}`
          : event.type === "disconnected"
          ? "disconnected: " + event.reason
          : event.type,
      );
    },
    log: (line) => this.log.push(line),
  };

  /** Runs the timers due up to `untilMs`, in time order. */
  advance(untilMs: number): void {
    for (;;) {
      const due = this.timers.filter((timer) => timer.at <= untilMs)
        .sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((timer) => timer !== due);
      this.nowMs = Math.max(this.nowMs, due.at);
      due.run();
    }
    this.nowMs = untilMs;
  }

  /** The packets written so far, as hex. */
  sentHex(): string[] {
    return this.written.map((data) =>
      Array.from(fromBinary(data), (byte) => byte.toString(16).padStart(2, "0")).join("")
    );
  }
}

const connectedNet = (world: FakeWorld) => {
  const made = createMqttNet(CONFIG, "10.0.0.5", 1883, world.platform, world.handlers);
  assert.ok(made.ok);
  const net = made.value;
  net.start();
  assert.deepEqual(world.connects, [{ host: "10.0.0.5", port: 1883 }]);
  world.nowMs = 40;
  world.onConnect?.();
  return net;
};

Deno.test("a real Mosquitto conversation: connect with a will, subscribe, commands, ping", () => {
  const world = new FakeWorld();
  const net = connectedNet(world);
  // CONNECT: "MQTT" level 4, flags clean session + will, will QoS 1, will retain; 60 s.
  assert.equal(world.sentHex()[0]?.slice(0, 24), "1033" + "00044d515454" + "04" + "2e" + "003c");
  world.listeners.data?.(toBinary(fromHex(BROKER_CHUNKS[0] as string)));
  assert.deepEqual(world.events, ["connected"]);

  net.subscribe("plugs/p1/commands/+");
  net.subscribe("plugs/p1/commands/+"); // already asked for: not sent twice
  assert.equal(world.written.length, 2);
  assert.equal(
    world.sentHex()[1],
    "8218000100" + "13" + "706c7567732f70312f636f6d6d616e64732f2b00",
  );

  world.nowMs = 100;
  world.listeners.data?.(toBinary(fromHex(BROKER_CHUNKS[1] as string)));
  world.listeners.data?.(toBinary(fromHex(BROKER_CHUNKS[2] as string)));
  assert.deepEqual(world.events.slice(1), [
    'message plugs/p1/commands/power "ON" true',
    'message plugs/p1/commands/power "TOGGLE" false',
  ]);

  assert.equal(net.publish("plugs/p1/states/power", "ON", true), true);
  assert.equal(world.sentHex()[2], "31190015706c7567732f70312f7374617465732f706f7765724f4e");

  // Quiet for the keep-alive: a PINGREQ; the PINGRESP keeps the link up.
  world.advance(100 + 60000);
  assert.equal(world.sentHex().at(-1), "c000");
  world.listeners.data?.(toBinary(fromHex(BROKER_CHUNKS[3] as string)));
  world.listeners.data?.(toBinary(fromHex(BROKER_CHUNKS[4] as string)));
  assert.equal(world.events.at(-1), 'message plugs/p1/commands/power "" false');
  world.advance(100 + 60000 + 20000);
  // Still up: nothing lost, nothing closed.
  assert.equal(world.events.at(-1), 'message plugs/p1/commands/power "" false');
  assert.equal(world.ended, 0);
  assert.equal(net.publish("plugs/p1/states/power", "OFF", true), true);
  assert.deepEqual(world.log, []);
});

Deno.test("each drain of the socket, after the one that connects, is a sent event", () => {
  const world = new FakeWorld();
  const made = createMqttNet(CONFIG, "10.0.0.5", 1883, world.platform, world.handlers);
  assert.ok(made.ok);
  const net = made.value;
  net.start();
  world.onConnect?.();
  assert.equal(world.written.length, 1); // CONNECT
  // Espruino passes the socket to `drain` as to the connection's callback.
  const drain = (): void => world.listeners.drain?.(world.lastSocket);
  drain();
  assert.deepEqual(world.events, ["sent"]);
  assert.equal(world.written.length, 1, "a drain does not connect again");
  world.listeners.data?.(toBinary(fromHex(BROKER_CHUNKS[0] as string)));
  assert.equal(net.publish("plugs/p1/states/power", "ON", true), true);
  drain();
  assert.deepEqual(world.events, ["sent", "connected", "sent"]);
});

Deno.test("a broker that stops answering is dropped and reconnected, subscriptions again", () => {
  const world = new FakeWorld();
  const net = connectedNet(world);
  world.listeners.data?.(toBinary(fromHex(BROKER_CHUNKS[0] as string)));
  net.subscribe("plugs/p1/commands/+");
  world.listeners.data?.(toBinary(fromHex("90030001" + "00")));
  world.advance(60040); // PINGREQ
  world.advance(60040 + 15000); // no PINGRESP: dropped
  assert.equal(world.events.at(-1), "disconnected: no PINGRESP within 15000 ms");
  assert.equal(world.ended, 1);
  assert.equal(net.publish("plugs/p1/states/power", "ON", true), false);
  world.advance(60040 + 15000 + 2000); // reconnect after the first backoff
  assert.equal(world.connects.length, 2);
  const before = world.written.length;
  world.onConnect?.();
  world.listeners.data?.(toBinary(fromHex(BROKER_CHUNKS[0] as string)));
  assert.equal(world.events.at(-1), "connected");
  // CONNECT, then the subscription again without being asked.
  assert.equal(world.sentHex()[before]?.slice(0, 2), "10");
  assert.equal(world.sentHex()[before + 1]?.slice(0, 2), "82");
});

Deno.test("a refused connection (thrown at once, as on Espruino's Linux build) is retried", () => {
  const world = new FakeWorld();
  world.refuse = true;
  const made = createMqttNet(CONFIG, "127.0.0.1", 1, world.platform, world.handlers);
  assert.ok(made.ok);
  made.value.start();
  world.advance(0);
  assert.match(world.log[0] ?? "", /Unable to create socket/);
  // Waiting: only the backoff's timer is pending.
  assert.equal(world.connects.length, 0);
  assert.equal(world.timers.length, 1);
  world.refuse = false;
  world.advance(2000);
  assert.equal(world.connects.length, 1);
  made.value.start(); // neither idle nor waiting: nothing happens
  assert.equal(world.connects.length, 1);
});

Deno.test("start while waiting to reconnect connects again at once, skipping the backoff", () => {
  const world = new FakeWorld();
  world.refuse = true;
  const made = createMqttNet(CONFIG, "127.0.0.1", 1, world.platform, world.handlers);
  assert.ok(made.ok);
  made.value.start();
  world.advance(0);
  assert.equal(world.timers.length, 1); // the backoff's
  world.refuse = false;
  made.value.start();
  assert.equal(world.connects.length, 1);
  // The backoff's timer gave way to the connect timeout's.
  assert.equal(world.timers.length, 1);
  assert.ok((world.timers[0]?.at ?? 0) >= 15000);
});

Deno.test("the socket closing mid-session reports the loss and reconnects", () => {
  const world = new FakeWorld();
  connectedNet(world);
  world.listeners.data?.(toBinary(fromHex(BROKER_CHUNKS[0] as string)));
  world.listeners.close?.();
  assert.equal(world.events.at(-1), "disconnected: connection closed");
  world.advance(40 + 2000);
  assert.equal(world.connects.length, 2);
});

Deno.test("a socket error is logged; the close after it (as Espruino sends it) reports the loss", () => {
  const world = new FakeWorld();
  connectedNet(world);
  world.listeners.data?.(toBinary(fromHex(BROKER_CHUNKS[0] as string)));
  // Espruino's shapes: `error` brings an object, `close` a boolean (had an error).
  world.listeners.error?.({ code: -1, message: "reset" });
  assert.equal(world.log.length, 1);
  assert.deepEqual(world.events, ["connected"]);
  world.listeners.close?.(true);
  assert.equal(world.events.at(-1), "disconnected: connection closed");
  // The old socket's late news changes nothing.
  world.listeners.close?.(false);
  world.listeners.data?.(toBinary(fromHex(BROKER_CHUNKS[0] as string)));
  assert.equal(world.events.length, 2);
});

// The deadline is exact: a tick before it changes nothing, a tick at it does something.
Deno.test("nextSessionDeadlineMs: no tick before the deadline matters, the one at it does", () => {
  const connack = fromHex("20020000");
  const event = fc.oneof(
    fc.record({ type: fc.constant("tick" as const), dt: fc.integer({ min: 0, max: 70000 }) }),
    fc.record({ type: fc.constant("bytes" as const), dt: fc.integer({ min: 0, max: 5000 }) }),
    fc.record({ type: fc.constant("publish" as const), dt: fc.integer({ min: 0, max: 5000 }) }),
    fc.record({ type: fc.constant("closed" as const), dt: fc.integer({ min: 0, max: 5000 }) }),
  );
  fc.assert(
    fc.property(fc.array(event, { maxLength: 25 }), (events) => {
      const created = createSession(CONFIG);
      assert.ok(created.ok);
      let session: MqttSession = stepSession(created.value, { type: "connect", nowMs: 0 }).session;
      let nowMs = 0;
      session = stepSession(session, { type: "opened", nowMs }).session;
      for (const item of events) {
        nowMs += item.dt;
        let next: MqttSessionEvent = { type: "tick", nowMs };
        if (item.type === "bytes") next = { type: "bytes", bytes: connack, nowMs };
        if (item.type === "closed") next = { type: "closed", nowMs };
        if (item.type === "publish") {
          next = {
            type: "publish",
            topic: "t",
            payload: new Uint8Array(1),
            qos: 1,
            retain: false,
            nowMs,
          };
        }
        session = stepSession(session, next).session;
        const deadline = nextSessionDeadlineMs(session);
        if (deadline === null) continue;
        if (deadline - 1 >= nowMs) {
          const early = stepSession(session, { type: "tick", nowMs: deadline - 1 });
          assert.deepEqual(early.effects, []);
        }
        const onTime = stepSession(session, { type: "tick", nowMs: Math.max(nowMs, deadline) });
        assert.notEqual(onTime.effects.length, 0);
      }
    }),
  );
  assert.equal(MAX_TICK_MS, 30000);
});
