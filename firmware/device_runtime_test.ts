import assert from "node:assert/strict";
import { discoveryMessageCount } from "../lib/discovery.ts";
import { bootPlug, nextPlugDeadlineMs, stepPlug } from "../lib/plug_device.ts";
import type { PlugDeviceEvent, PlugDeviceState } from "../lib/plug_device.ts";
import { type DeviceEffect, effectPublishes } from "../lib/device_effects.ts";
import { CLOCK_JUMP_MS, DISCOVERY_GAP_MS, startRuntime } from "./device_runtime.ts";
import type { RuntimeEvent } from "./device_runtime.ts";
import { createStore, DEFAULT_STORE_LIMITS } from "./storage.ts";
import type { EspruinoStorage } from "./espruino_types.ts";
import { WIRED_NETWORK } from "./wifi.ts";

/**
 * The real plug device behind the runtime, with fake timers, MQTT and flash; `sendMs` is
 * how long the fake socket holds what a task wrote before it says `sent`.
 */
const plugWorld = (options: { publishMs?: number; sendMs?: number } = {}) => {
  let now = 1000;
  let draining = false;
  let timers: Array<{ id: number; at: number; every: number; run: () => void }> = [];
  let nextId = 1;
  const published: Array<{ topic: string; payload: string; retain: boolean }> = [];
  // The task (timer callback) each message was published in.
  const publishedIn: number[] = [];
  let task = 0;
  const subscribed: string[] = [];
  const outputs: DeviceEffect[] = [];
  const log: string[] = [];
  let connected = false;
  const files: Record<string, string> = {};
  const storage: EspruinoStorage = {
    read: (name) => files[name],
    write: (name, data) => ((files[name] = data), true),
    readJSON: () => undefined,
    writeJSON: () => true,
    erase: () => {},
    getFree: () => 1e6,
  };
  const store = createStore(storage, () => now, DEFAULT_STORE_LIMITS);
  const add = (run: () => void, ms: number, every: number) => {
    timers.push({ id: nextId, at: now + ms, every, run });
    return nextId++;
  };
  const booted = bootPlug({
    prefix: "",
    id: "p1",
    nowMs: now,
    settingsText: null,
    energyText: null,
    relayText: null,
    network: WIRED_NETWORK,
    swVersion: "test",
  });
  const runtime = startRuntime<PlugDeviceState, PlugDeviceEvent>({
    step: (state, event, defer) => stepPlug(state, event as PlugDeviceEvent, defer),
    deadlineMs: nextPlugDeadlineMs,
    output: (effect) => outputs.push(effect),
  }, {
    publish: (topic, payload, retain) => {
      if (!connected) return false;
      published.push({ topic, payload, retain });
      publishedIn.push(task);
      // A publish takes time (20 to 35 ms on Espruino's Linux build).
      now += options.publishMs ?? 0;
      // The socket says it sent everything, in a later task, as Espruino's `drain` does.
      if (!draining) {
        draining = true;
        add(
          () => {
            draining = false;
            runtime.dispatch({ type: "sent" });
          },
          options.sendMs ?? 0,
          0,
        );
      }
      return true;
    },
    subscribe: (filter) => subscribed.push(filter),
    store,
    nowMs: () => now,
    setTimeout: (run, ms) => add(run, ms, 0),
    clearTimeout: (id) => (timers = timers.filter((t) => t.id !== id)),
    setInterval: (run, ms) => add(run, ms, ms),
    log: (line) => log.push(line),
  }, booted);
  const advance = (until: number) => {
    for (;;) {
      const due = timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      now = due.at;
      if (due.every > 0) due.at += due.every;
      else timers = timers.filter((t) => t !== due);
      task++;
      due.run();
    }
    now = until;
  };
  const dispatch = (event: RuntimeEvent) => runtime.dispatch(event);
  return {
    runtime,
    published,
    publishedIn,
    subscribed,
    outputs,
    files,
    log,
    advance,
    dispatch,
    now: () => now,
    /** Sets the clock forward; timers stay relative, as Espruino's do. */
    jumpClock: (delta: number) => {
      now += delta;
      for (const timer of timers) timer.at += delta;
    },
    connect: () => {
      connected = true;
      return dispatch({ type: "connected", nowMs: now });
    },
    disconnect: () => {
      connected = false;
      dispatch({ type: "disconnected", nowMs: now });
    },
    /** An MQTT command to the plug, as the session delivers it. */
    command: (param: string, payload: string) =>
      dispatch({
        type: "message",
        nowMs: now,
        topic: "plugs/p1/commands/" + param,
        payload: new TextEncoder().encode(payload),
        retained: false,
      }),
  };
};

Deno.test("boot effects drive the outputs; a session publishes, subscribes, then paces discovery", () => {
  const w = plugWorld();
  assert.deepEqual(w.outputs, [{ type: "relay", on: false }]);
  w.connect();
  // Sent in a task of their own, not the step's.
  assert.deepEqual(w.published, []);
  assert.deepEqual(w.subscribed, []);
  w.advance(w.now());
  assert.deepEqual(w.published[0], {
    topic: "plugs/p1/availability",
    payload: "online",
    retain: true,
  });
  assert.deepEqual(w.subscribed, ["plugs/p1/commands/+"]);
  const discovery = () => w.published.filter((m) => m.topic.startsWith("homeassistant/"));
  assert.equal(discovery().length, 0); // none in the same task
  w.advance(w.now() + DISCOVERY_GAP_MS);
  assert.equal(discovery().length, 1);
  w.advance(w.now() + DISCOVERY_GAP_MS * 100);
  assert.equal(discovery().length, discoveryMessageCount("plugs"));
});

Deno.test("while MQTT still holds a message, the next waits: the same messages, one at a time", () => {
  const run = (sendMs: number) => {
    const w = plugWorld({ publishMs: 1, sendMs });
    const times: number[] = [];
    const publish = w.published.push.bind(w.published);
    w.published.push = (...items) => {
      times.push(w.now());
      return publish(...items);
    };
    w.connect();
    w.advance(w.now() + 60000);
    w.command("power", "ON");
    w.advance(w.now() + 60000);
    // What a retained topic ends with (discovery and states interleave by timing).
    const last = new Map(w.published.map((m) => [m.topic, m.payload]));
    return { last: Object.fromEntries([...last].sort()), times };
  };
  const fast = run(0);
  const slow = run(25);
  assert.deepEqual(slow.last, fast.last);
  assert.equal(slow.last["plugs/p1/states/power"], "ON");
  assert.ok(Object.keys(slow.last).length > discoveryMessageCount("plugs"));
  for (let i = 1; i < slow.times.length; i++) {
    assert.ok(slow.times[i]! - slow.times[i - 1]! >= 25, "message " + i + " sent while busy");
  }
});

Deno.test("a step's publishes go out in order, after the step", () => {
  const w = plugWorld();
  w.connect();
  w.advance(w.now());
  const before = w.published.length;
  w.command("power", "ON");
  assert.deepEqual(w.outputs.at(-1), { type: "relay", on: true }); // outputs at once
  assert.equal(w.published.length, before);
  w.advance(w.now());
  const sent = w.published.slice(before).map((m) => m.topic);
  assert.ok(sent.includes("plugs/p1/states/power"));
  assert.ok(sent.indexOf("plugs/p1/states/power") < sent.indexOf("plugs/p1/state"));
});

// What connecting publishes, as the library's step (its states not deferred) lists it; the
// world is then connected.
const publishesOfConnecting = (w: ReturnType<typeof plugWorld>) => {
  const whole = stepPlug(w.runtime.state(), { type: "connected", nowMs: w.now() });
  const effects = w.connect();
  assert.equal(effects.some((effect) => effect.type === "states"), false, "the states wait");
  return effectPublishes(whole.effects);
};

Deno.test("states a step left are published before the next event steps", () => {
  const w = plugWorld();
  w.connect();
  w.advance(w.now());
  const before = w.published.length;
  for (const payload of ["1000", "2000"]) w.command("max_power", payload);
  w.advance(w.now());
  const sent = w.published.slice(before).filter((m) => m.topic === "plugs/p1/states/max_power");
  assert.deepEqual(sent.map((m) => m.payload), ["1000", "2000"], "each step's change goes out");
});

Deno.test("a batch of states goes out as the library lists it, whatever its payloads hold", () => {
  const w = plugWorld();
  const network = { rssiDbm: -50, ssid: "caf\u00e9: 2\u0000nd:5", ip: "10.0.0.9", mac: "m" };
  w.dispatch({ type: "network", nowMs: w.now(), network });
  const expected = publishesOfConnecting(w);
  assert.ok(expected.some((m) => m.payload === network.ssid));
  w.advance(w.now());
  assert.deepEqual(w.published.slice(0, expected.length), expected);
});

Deno.test("a batch of states goes out one message per drain of the socket", () => {
  const w = plugWorld();
  const expected = publishesOfConnecting(w);
  w.advance(w.now());
  const states = w.published.map((m, i) => ({ m, task: w.publishedIn[i] }))
    .filter((entry) => entry.m.topic.startsWith("plugs/p1/state"));
  assert.equal(states.length, expected.length - 1, "all but availability");
  assert.equal(new Set(states.map((entry) => entry.task)).size, states.length);
});

Deno.test("discovery is not lost while a batch of states goes out over several tasks", () => {
  const w = plugWorld({ publishMs: 40 });
  w.connect();
  w.advance(w.now() + DISCOVERY_GAP_MS * 100);
  const discovery = w.published.filter((m) => m.topic.startsWith("homeassistant/"));
  assert.equal(new Set(discovery.map((m) => m.topic)).size, discoveryMessageCount("plugs"));
});

Deno.test("discovery stops when the session drops and starts over with the next one", () => {
  const w = plugWorld();
  w.connect();
  w.advance(w.now() + DISCOVERY_GAP_MS * 3);
  w.disconnect();
  w.advance(w.now() + DISCOVERY_GAP_MS * 100);
  const count = () => w.published.filter((m) => m.topic.startsWith("homeassistant/")).length;
  assert.equal(count(), 3);
  w.connect();
  w.advance(w.now() + DISCOVERY_GAP_MS * 100);
  assert.equal(count(), 3 + discoveryMessageCount("plugs"));
});

Deno.test("commands reach the device; saves go through the bounded store", () => {
  const w = plugWorld();
  w.connect();
  const command = (payload: string) => w.command("power", payload);
  command("ON");
  assert.deepEqual(w.outputs.at(-1), { type: "relay", on: true });
  assert.equal(w.files["hg.relay"], "ON");
  w.advance(w.now() + 1000);
  command("OFF");
  assert.equal(w.files["hg.relay"], "ON"); // held: written when its interval has passed
  w.advance(w.now() + DEFAULT_STORE_LIMITS.minIntervalMs);
  assert.equal(w.files["hg.relay"], "OFF");
});

Deno.test("the device timer fires at its deadline: telemetry and the energy save", () => {
  const w = plugWorld();
  w.connect();
  w.advance(w.now() + 1000);
  const before = w.published.length;
  w.advance(1000 + 60000);
  assert.ok(w.published.slice(before).some((m) => m.topic === "plugs/p1/states/uptime"));
  assert.ok(w.files["hg.energy"] !== undefined);
});

Deno.test("a clock set forward (SNTP) moves bootMs, so uptime stays right", () => {
  const w = plugWorld();
  let ticks = 0;
  w.runtime.every(1000, () => ticks++);
  w.advance(3000);
  const jump = 1_700_000_000_000;
  w.jumpClock(jump);
  w.advance(w.now() + 1000);
  assert.equal(ticks, 3);
  assert.ok(w.log.some((line) => line.startsWith("clock moved by")));
  assert.equal(w.runtime.state().bootMs, 1000 + jump);
  assert.ok(jump > CLOCK_JUMP_MS);
});

Deno.test("publishes and subscriptions wait in order for a task of their own, unchanged", () => {
  const queue: Array<() => void> = [];
  const sent: unknown[] = [];
  const store = createStore(
    {
      read: () => undefined,
      write: () => true,
      readJSON: () => undefined,
      writeJSON: () => true,
      erase: () => {},
      getFree: () => 1e6,
    },
    () => 0,
    DEFAULT_STORE_LIMITS,
  );
  const runtime = startRuntime({
    step: (state: { bootMs: number }) => ({ state, effects: [] }),
    deadlineMs: () => 60000,
    output: () => {},
  }, {
    publish: (topic, payload, retain) => {
      sent.push(["publish", topic, payload, retain]);
      // The socket's drain, in a later task.
      queue.push(() => runtime.dispatch({ type: "sent" }));
      return true;
    },
    subscribe: (filter) => sent.push(["subscribe", filter]),
    store,
    nowMs: () => 0,
    setTimeout: (run, ms) => (ms === 0 ? queue.push(run) : 0),
    clearTimeout: () => {},
    setInterval: () => 0,
    log: () => {},
  }, {
    state: { bootMs: 0 },
    effects: [
      { type: "publish", topic: "a/b", payload: "x\u0000y", retain: false },
      { type: "subscribe", filter: "a/commands/+" },
      { type: "publish", topic: "a/c", payload: "", retain: true },
    ],
  });
  assert.deepEqual(sent, [], "nothing goes out in the step's own task");
  while (queue.length > 0) queue.shift()!();
  assert.deepEqual(sent, [
    ["publish", "a/b", "x\u0000y", false],
    ["subscribe", "a/commands/+"],
    ["publish", "a/c", "", true],
  ]);
});
