/**
 * Home Assistant MQTT discovery for a device: the retained `config` messages that make a
 * plug or a fan appear in Home Assistant with all its entities, pointing at the device's
 * protocol topics. The simulator and the firmware publish exactly these at every
 * connection; this prints them.
 *
 * Run: `deno run examples/ha_discovery.ts [--kind plugs|fans] [--id plug1] [--name "Desk plug"]
 * [--prefix home/] [--max-speed 3] [--pretty] [--mosquitto] [--remove]`
 *
 * - `--pretty` indents each payload;
 * - `--mosquitto` prints `mosquitto_pub` lines instead, to publish the entities by hand to a
 *   broker Home Assistant listens to (with `--remove`: the empty retained payloads that
 *   delete them again).
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  type DeviceKind,
  type DiscoveryMessage,
  discoveryMessages,
  discoveryRemovalMessages,
  type Result,
} from "../mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    kind: { type: "string", default: "plugs" },
    id: { type: "string" },
    name: { type: "string" },
    prefix: { type: "string", default: "" },
    "discovery-prefix": { type: "string", default: "homeassistant" },
    "max-speed": { type: "string", default: "2" },
    pretty: { type: "boolean", default: false },
    mosquitto: { type: "boolean", default: false },
    remove: { type: "boolean", default: false },
  },
});

// `plug` and `fan` are accepted too: they are what the firmware's configuration says.
const kinds: Record<string, DeviceKind> = {
  plugs: "plugs",
  plug: "plugs",
  fans: "fans",
  fan: "fans",
};
const kind = kinds[values.kind];
if (kind === undefined) {
  console.error(`--kind must be plugs or fans, got "${values.kind}"`);
  Deno.exit(2);
}
const id = values.id ?? (kind === "plugs" ? "plug1" : "fan1");
const target = { kind, id, discoveryPrefix: values["discovery-prefix"] };

// Bad options (an id with capitals, a prefix without a trailing `/`) come back as an
// error naming the problem, never as a throw.
const built: Result<DiscoveryMessage[]> = values.remove
  ? discoveryRemovalMessages(target)
  : discoveryMessages({
    ...target,
    prefix: values.prefix,
    name: values.name ?? (kind === "plugs" ? "Plug " : "Fan ") + id,
    swVersion: "0.1.0",
    maxSpeed: Number(values["max-speed"]),
  });
if (!built.ok) {
  console.error(`discovery: ${built.error}`);
  Deno.exit(1);
}

// Single quotes for the shell, with any quote inside the payload closed and reopened.
const shellQuote = (text: string): string => `'${text.replaceAll("'", `'"'"'`)}'`;

for (const message of built.value) {
  if (values.mosquitto) {
    // -r: discovery configs are retained, so Home Assistant finds them after a restart.
    const payload = message.payload === "" ? "-n" : `-m ${shellQuote(message.payload)}`;
    console.log(`mosquitto_pub -r -t ${shellQuote(message.topic)} ${payload}`);
    continue;
  }
  console.log(message.topic);
  if (message.payload === "") {
    console.log("  (empty retained payload: removes the entity)");
    continue;
  }
  const config = JSON.parse(message.payload);
  console.log(values.pretty ? JSON.stringify(config, null, 2) : `  ${message.payload}`);
}
console.error(`${built.value.length} retained messages for ${kind}/${id}`);
