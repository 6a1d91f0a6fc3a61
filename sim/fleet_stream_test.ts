/**
 * A fleet on in-process streams to its own broker (how `deno task sim` runs its devices),
 * with a user and the knob listener on TCP: commands, knobs, a broker restart.
 */

import assert from "node:assert/strict";
import { startBroker } from "./broker.ts";
import { VirtualClock } from "./clock.ts";
import { retainedUnder, START_MS, TEST_RECONNECT_MS, until, User } from "./e2e_harness_test.ts";
import { listenForKnobs, startFleet } from "./fleet.ts";

Deno.test("fleet over in-process streams: online, commands, knobs, broker restart", async () => {
  const broker = await startBroker({ port: 0 });
  const dataDir = await Deno.makeTempDir({ prefix: "housegrid-fleet-stream-" });
  const clock = new VirtualClock({ startMs: START_MS });
  let streams = 0;
  const fleet = startFleet({
    devices: [{ kind: "plugs", id: "p1", load: "heater" }, { kind: "fans", id: "f1" }],
    clock,
    prefix: "",
    dataDir,
    seed: 1,
    brokerUrl: broker.url,
    openStream: () => {
      streams++;
      return broker.openStream();
    },
    reconnectPeriodMs: TEST_RECONNECT_MS,
  });
  const knobs = await listenForKnobs(fleet, broker.url, "");
  const user = await User.connect(broker.url, ["#"], true);
  const devices = [...fleet.devices.values()];
  const advance = async (ms: number): Promise<void> => {
    clock.advanceBy(ms);
    await new Promise((resolve) => setTimeout(resolve, 5));
  };
  try {
    await advance(3000); // Wi-Fi joins, then the MQTT sessions open
    await until(() => devices.every((d) => d.connected), "devices online");
    assert.equal(streams, 2, "one in-process stream per device, no socket");
    assert.equal(broker.clientCount(), 4); // two devices, the knob listener, the user
    await until(() => user.latest.get("plugs/p1/availability") === "online", "p1 online");

    await user.client.publishAsync("plugs/p1/commands/power", "ON", { qos: 1 });
    await until(() => fleet.plugs[0]!.relayOn, "relay on");
    await user.client.publishAsync("sim/p1/load", "kettle", { qos: 1 });
    await until(() => fleet.plugs[0]!.load.name === "kettle", "knob applied");

    await broker.restart();
    // Back through new streams (the old ones were closed by the restart).
    await until(() => streams >= 4 && devices.every((d) => d.connected), "devices back", 5000);
    // The devices republish what the restarted broker forgot; read it back over TCP.
    let retained = new Map<string, string>();
    for (let attempt = 0; attempt < 20; attempt++) {
      retained = await retainedUnder(broker.url, "#");
      if (retained.has("plugs/p1/state") && retained.has("fans/f1/state")) break;
    }
    assert.equal(retained.get("plugs/p1/states/power"), "ON");
    assert.equal(retained.get("plugs/p1/availability"), "online");
    assert.equal(retained.get("fans/f1/availability"), "online");
    assert.equal(fleet.plugs[0]!.relayOn, true, "the relay rides through a broker restart");
  } finally {
    await knobs.close();
    await fleet.stop();
    await user.close();
    await broker.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});
