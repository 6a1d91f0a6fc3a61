/**
 * Watching a fleet from an external MQTT client (mqtt.js): subscribe to every device's
 * retained JSON snapshot and availability, print a summary line per device every few
 * seconds, switch a plug on, start a shower in a bathroom, and see them answer.
 *
 * With no `--broker`, the simulator starts in this process (`startSimulator`, the code
 * behind `deno task sim`) on free ports with its default fleet, at 300x real time: the
 * bathroom fan's sensor sits in its duct and sees the shower at its next periodic check
 * (`check_period`, 30 virtual minutes: 6 s here). With `--broker`, it watches whatever fleet
 * is on that broker, e.g. a `deno task sim` running in another terminal.
 *
 * Run: `deno run -A examples/watch_fleet.ts [--seconds 10] [--every 2] [--broker URL]
 * [--prefix home/] [--plug plug1] [--fan fan1] [--speed 300]`
 *
 * @module
 */

import { parseArgs } from "node:util";
import mqtt from "mqtt";
import { parseCommandLine } from "../sim/cli.ts";
import { type Simulator, startSimulator } from "../sim/main.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seconds: { type: "string", default: "10" },
    every: { type: "string", default: "2" },
    broker: { type: "string" },
    prefix: { type: "string", default: "" },
    plug: { type: "string", default: "plug1" },
    fan: { type: "string", default: "fan1" },
    speed: { type: "string", default: "300" },
  },
});
const seconds = Number(values.seconds);
const everyS = Number(values.every);
if (!(seconds > 0) || !(everyS > 0)) {
  console.error("--seconds and --every must be numbers above 0");
  Deno.exit(2);
}
const prefix = values.prefix;

let simulator: Simulator | null = null;
let dataDir: string | null = null;
let brokerUrl = values.broker;
if (brokerUrl === undefined) {
  // The same options `deno task sim` reads from its command line; port 0 = any free port.
  dataDir = await Deno.makeTempDir({ prefix: "housegrid-watch-" });
  const options = parseCommandLine([
    "--mqtt-port=0",
    "--web-port=0",
    `--data=${dataDir}`,
    `--speed=${values.speed}`,
    `--prefix=${prefix}`,
  ]);
  if (options.command !== "run") throw new Error("unexpected simulator options");
  simulator = await startSimulator(options);
  brokerUrl = simulator.brokerUrl;
  console.log(`simulator started: broker ${simulator.brokerUrl}, web ${simulator.webUrl}`);
}

/** The last snapshot and availability of each device, by `<kind>/<id>`. */
const devices = new Map<string, { online: string; states: Record<string, unknown> }>();
const deviceOf = (key: string) => {
  let device = devices.get(key);
  if (device === undefined) {
    device = { online: "?", states: {} };
    devices.set(key, device);
  }
  return device;
};

const client = await mqtt.connectAsync(brokerUrl, { clientId: `watch-${crypto.randomUUID()}` });
const plugPower = `${prefix}plugs/${values.plug}/states/power`;
let lastPlugPower = "";
client.on("message", (topic, payload) => {
  const text = payload.toString();
  const levels = topic.slice(prefix.length).split("/"); // kind, id, then the rest
  const key = `${levels[0]}/${levels[1]}`;
  const rest = levels.slice(2).join("/");
  if (rest === "availability") deviceOf(key).online = text;
  else if (rest === "state") deviceOf(key).states = JSON.parse(text);
  else if (topic === plugPower && text !== lastPlugPower) {
    // Retained states are republished every telemetry period: print changes only.
    console.log(`  ${values.plug} says: power ${text}`);
    lastPlugPower = text;
  } else if (rest === "errors") console.log(`  ${key} rejected a command: ${text}`);
});
// Retained snapshots and availability arrive at once, then every change.
const filters = ["plugs", "fans"].flatMap((kind) =>
  ["state", "availability", "errors"].map((leaf) => `${prefix}${kind}/+/${leaf}`)
);
await client.subscribeAsync([...filters, plugPower], { qos: 1 });

const summary = (key: string, states: Record<string, unknown>): string => {
  if (key.startsWith("plugs/")) {
    return `power ${states.power}, ${states.watts} W, today ${states.energy_today} Wh` +
      (states.fault !== "none" && states.fault !== undefined ? `, fault: ${states.fault}` : "");
  }
  return `power ${states.power}, speed ${states.speed}, reason ${states.reason}, ` +
    `humidity ${states.humidity} %RH, ${states.mode}`;
};
const speed = Number(values.speed);
const report = (atS: number): void => {
  const virtual = simulator === null ? "" : ` (${Math.round((atS * speed) / 60)} virtual min)`;
  console.log(`after ${atS} s${virtual}:`);
  for (const key of [...devices.keys()].sort()) {
    const device = devices.get(key)!;
    console.log(`  ${key.padEnd(14)} ${device.online.padEnd(7)} ${summary(key, device.states)}`);
  }
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
await sleep(500); // the retained messages
report(0.5);
// Commands are plain text on <base>/commands/<param>; knobs are the simulator's own topics.
console.log(`switching ${values.plug} on and starting a 10-minute shower at ${values.fan}`);
await client.publishAsync(`${prefix}plugs/${values.plug}/commands/power`, "ON");
await client.publishAsync(`${prefix}sim/${values.fan}/shower`, "600");
for (let atS = everyS; atS <= seconds; atS += everyS) {
  await sleep(everyS * 1000);
  report(atS);
}

await client.endAsync();
await simulator?.stop();
if (dataDir !== null) await Deno.remove(dataDir, { recursive: true });
