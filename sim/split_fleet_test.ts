/**
 * A fleet split over several simulators: disjoint id ranges (`--id-offset`) on one broker,
 * seen and driven by one client as if they were one fleet.
 *
 * @module
 */

import assert from "node:assert/strict";
import mqtt from "mqtt";
import { startBroker } from "./broker.ts";
import { parseCommandLine } from "./cli.ts";
import { fleetFromCounts } from "./fleet.ts";
import { type Simulator, startSimulator } from "./main.ts";

interface Received {
  topic: string;
  payload: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const until = async (check: () => boolean, what: string, timeoutMs = 10000): Promise<void> => {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > timeoutMs) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
};

const latest = (messages: Received[], topic: string): string | undefined =>
  messages.findLast((m) => m.topic === topic)?.payload;

/** One simulator process's worth of fleet, as `deno task sim --broker ... --id-offset N`. */
function simulatorOptions(brokerUrl: string, dataDir: string, idOffset: number) {
  const options = parseCommandLine([
    "--broker",
    brokerUrl,
    "--plugs",
    "2",
    "--fans",
    "1",
    "--id-offset",
    String(idOffset),
    "--web-port",
    "0",
    "--speed",
    "60",
    "--data",
    dataDir,
  ]);
  assert.equal(options.command, "run");
  if (options.command !== "run") throw new Error("unreachable");
  return options;
}

Deno.test("split fleet: id offsets give disjoint ranges", () => {
  const first = fleetFromCounts(2, 1, 0).map((d) => d.id);
  const second = fleetFromCounts(2, 1, 100).map((d) => d.id);
  assert.deepEqual(first, ["plug1", "plug2", "fan1"]);
  assert.deepEqual(second, ["plug101", "plug102", "fan101"]);
  assert.deepEqual(first.filter((id) => second.includes(id)), []);
});

Deno.test("split fleet: two simulators share one broker and one subscriber sees both", async () => {
  const broker = await startBroker({ port: 0 });
  const dirs = [await Deno.makeTempDir(), await Deno.makeTempDir()];
  const sims: Simulator[] = [];
  const watcher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  try {
    const seen: Received[] = [];
    watcher.on("message", (topic, payload) => seen.push({ topic, payload: payload.toString() }));
    await watcher.subscribeAsync(["+/+/availability", "+/+/states/power"], { qos: 1 });
    sims.push(await startSimulator(simulatorOptions(broker.url, dirs[0]!, 0)));
    sims.push(await startSimulator(simulatorOptions(broker.url, dirs[1]!, 100)));

    const everyone = [
      "plugs/plug1",
      "plugs/plug2",
      "fans/fan1",
      "plugs/plug101",
      "plugs/plug102",
      "fans/fan101",
    ];
    for (const base of everyone) {
      await until(() => latest(seen, `${base}/availability`) === "online", `${base} online`);
    }
    const bases = new Set(seen.map((m) => m.topic.split("/").slice(0, 2).join("/")));
    assert.deepEqual([...bases].sort(), [...everyone].sort());

    // One client drives a device of each simulator.
    await watcher.publishAsync("plugs/plug2/commands/power", "ON", { qos: 1 });
    await watcher.publishAsync("plugs/plug101/commands/power", "ON", { qos: 1 });
    await until(() => latest(seen, "plugs/plug2/states/power") === "ON", "plug2 ON");
    await until(() => latest(seen, "plugs/plug101/states/power") === "ON", "plug101 ON");
    assert.equal(latest(seen, "plugs/plug1/states/power"), "OFF");
    assert.equal(latest(seen, "plugs/plug102/states/power"), "OFF");

    // Stopping one simulator leaves the other's devices online.
    await sims.shift()!.stop();
    for (const base of everyone.slice(0, 3)) {
      await until(() => latest(seen, `${base}/availability`) === "offline", `${base} offline`);
    }
    for (const base of everyone.slice(3)) {
      assert.equal(latest(seen, `${base}/availability`), "online", base);
    }
  } finally {
    for (const sim of sims) await sim.stop();
    await watcher.endAsync(true);
    await broker.stop();
    for (const dir of dirs) await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "split fleet: only the simulator that runs a device answers its knobs",
  fn: async () => {
    const broker = await startBroker({ port: 0 });
    const dirs = [await Deno.makeTempDir(), await Deno.makeTempDir()];
    const sims: Simulator[] = [];
    const watcher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    try {
      const seen: Received[] = [];
      watcher.on("message", (topic, payload) => seen.push({ topic, payload: payload.toString() }));
      await watcher.subscribeAsync(["+/+/availability", "sim/+/errors"], { qos: 1 });
      sims.push(await startSimulator(simulatorOptions(broker.url, dirs[0]!, 0)));
      sims.push(await startSimulator(simulatorOptions(broker.url, dirs[1]!, 100)));
      await until(() => latest(seen, "plugs/plug101/availability") === "online", "plug101");
      await watcher.publishAsync("sim/plug101/load", "none", { qos: 1 });
      await watcher.publishAsync("sim/plug1/load", "bogus", { qos: 1 });
      await until(() => latest(seen, "sim/plug1/errors") !== undefined, "plug1's knob error");
      await sleep(300);
      assert.equal(latest(seen, "sim/plug101/errors"), undefined);
      assert.equal(seen.filter((m) => m.topic === "sim/plug1/errors").length, 1);
    } finally {
      for (const sim of sims) await sim.stop();
      await watcher.endAsync(true);
      await broker.stop();
      for (const dir of dirs) await Deno.remove(dir, { recursive: true });
    }
  },
});
