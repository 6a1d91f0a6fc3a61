/**
 * Fault tests of the simulator over a real broker: the broker restarting (losing every
 * retained message), the whole fleet losing power and starting again from its data folder.
 */

import assert from "node:assert/strict";
import { energyTotals, restoreEnergy } from "../lib/energy.ts";
import { ENERGY_SAVE_PERIOD_MS } from "../lib/plug_device.ts";
import { startBroker } from "./broker.ts";
import { VirtualClock } from "./clock.ts";
import {
  discreteStates,
  retainedUnder,
  type Rig,
  START_MS,
  startRig,
  until,
} from "./e2e_harness_test.ts";
import { MEASURE_PERIOD_MS } from "./plug.ts";

const MS_PER_HOUR = 3_600_000;

const storedEnergyWh = (dataDir: string, id: string): number => {
  const restored = restoreEnergy(Deno.readTextFileSync(`${dataDir}/${id}/energy`));
  assert.ok(restored.ok);
  return energyTotals(restored.value).totalWh;
};

const liveEnergyWh = (rig: Rig, id: string): number =>
  energyTotals(rig.plug(id).state!.energy).totalWh;

Deno.test("faults: after a broker restart devices reconnect and publish their retained states again", async () => {
  const broker = await startBroker({ port: 0 });
  let rig: Rig | null = null;
  try {
    rig = await startRig({
      broker,
      userReconnects: true,
      devices: [{ kind: "plugs", id: "p1", load: "heater" }, { kind: "fans", id: "f1" }],
    });
    const { user } = rig;
    await user.command("plugs/p1", "power", "ON");
    const before = await retainedUnder(broker.url, "#");
    assert.equal(before.get("plugs/p1/states/power"), "ON");

    await broker.restart();
    // The restarted broker knows nothing until the devices come back by themselves.
    await until(
      () => rig!.fleet.plugs[0]!.connected && rig!.fleet.fans[0]!.connected,
      "reconnection",
    );
    let after = new Map<string, string>();
    for (let attempt = 0; attempt < 20; attempt++) {
      after = await retainedUnder(broker.url, "#");
      if (after.get("fans/f1/state") !== undefined && after.get("plugs/p1/state") !== undefined) {
        break;
      }
    }
    assert.equal(after.get("plugs/p1/availability"), "online");
    assert.equal(after.get("fans/f1/availability"), "online");
    assert.equal(after.get("plugs/p1/states/power"), "ON");
    assert.equal(JSON.parse(after.get("plugs/p1/state")!).power, "ON");
    for (const topic of ["plugs/p1/state", "fans/f1/state"]) {
      assert.deepEqual(
        discreteStates(JSON.parse(after.get(topic)!)),
        discreteStates(JSON.parse(before.get(topic)!)),
      );
    }
    // Every retained topic (states, snapshots, discovery) is back.
    const missing = [...before.keys()].filter((topic) => !after.has(topic));
    assert.deepEqual(missing, []);
    assert.equal(rig.plug("p1").relayOn, true, "the relay rides through a broker restart");

    // Commands and knobs work again once the user's and the knob listener's sessions are back.
    await until(() => user.client.connected, "user reconnected");
    await rig.advance(1000); // past the relay's minimum switching interval
    await user.command("plugs/p1", "power", "OFF");
    assert.equal(rig.plug("p1").relayOn, false);
    // The knob listener reconnects after its own period (1 s): ask until it answers.
    const answered = () => user.on("sim/p1/errors").length > 0;
    for (let attempt = 0; attempt < 30 && !answered(); attempt++) {
      await user.send("sim/p1/sync", "");
      await until(answered, "knob listener", 200).catch(() => {});
    }
    await user.knob("p1", "load", "kettle");
    assert.equal(rig.plug("p1").load.name, "kettle");
  } finally {
    await rig?.close();
    await broker.stop();
  }
});

Deno.test("faults: a power cut of the whole fleet loses at most ENERGY_SAVE_PERIOD_MS of energy; settings persist", async () => {
  const broker = await startBroker({ port: 0 });
  const dataDir = await Deno.makeTempDir({ prefix: "housegrid-faults-" });
  const clock = new VirtualClock({ startMs: START_MS });
  const devices = [
    { kind: "plugs" as const, id: "p1", load: "heater" },
    { kind: "fans" as const, id: "f1" },
  ];
  let rig: Rig | null = null;
  try {
    rig = await startRig({ broker, dataDir, clock, devices });
    const { user } = rig;
    await user.command("plugs/p1", "power_on_state", "LAST");
    await user.command("plugs/p1", "max_power", "3000");
    await user.command("plugs/p1", "telemetry", "30");
    await user.command("plugs/p1", "power", "ON");
    await user.command("fans/f1", "hum_off", "65");
    await user.command("fans/f1", "hum_on", "85");
    await user.command("fans/f1", "check_period", "900");
    assert.equal(user.on("plugs/p1/errors").filter((m) => !m.payload.includes("sync")).length, 0);

    // Cut power 1 ms before the second energy save: the worst moment.
    await rig.advance(ENERGY_SAVE_PERIOD_MS);
    const nextSaveMs = rig.plug("p1").state!.lastEnergySaveMs + ENERGY_SAVE_PERIOD_MS;
    clock.advanceTo(nextSaveMs - 1);
    const atCutWh = liveEnergyWh(rig, "p1");
    const powerW = rig.plug("p1").truth().powerW;
    for (const device of rig.fleet.devices.values()) device.powerOff();
    await rig.close(); // nothing more is saved: the devices have no power
    rig = null;

    const savedWh = storedEnergyWh(dataDir, "p1");
    const lossWh = atCutWh - savedWh;
    const boundWh = (powerW * ENERGY_SAVE_PERIOD_MS) / MS_PER_HOUR;
    const slackWh = (powerW * MEASURE_PERIOD_MS) / MS_PER_HOUR;
    console.log(
      `energy lost in a worst-case power cut: ${lossWh.toFixed(3)} Wh at ${powerW} W ` +
        `(bound ${boundWh.toFixed(3)} Wh = ${ENERGY_SAVE_PERIOD_MS / 1000} s, ` +
        `+ ${slackWh.toFixed(3)} Wh for one measurement)`,
    );
    assert.ok(lossWh >= 0, `negative loss ${lossWh}`);
    assert.ok(lossWh <= boundWh + slackWh, `lost ${lossWh} Wh, bound ${boundWh} Wh`);
    assert.ok(lossWh > boundWh / 2, "the cut was meant to fall just before a save");

    // Power back 10 s later: same data folder, same broker.
    clock.advanceBy(10_000);
    rig = await startRig({ broker, dataDir, clock, devices });
    const again = rig;
    const plug = again.plug("p1");
    assert.deepEqual(plug.storageProblems, []);
    assert.equal(plug.relayOn, true, "power_on_state LAST closes the relay again");
    const bootWh = liveEnergyWh(again, "p1");
    assert.ok(Math.abs(bootWh - savedWh) < slackWh * 4, `boot ${bootWh} saved ${savedWh}`);
    const snapshot = JSON.parse(again.user.latest.get("plugs/p1/state")!);
    assert.equal(snapshot.power, "ON");
    assert.equal(snapshot.power_on_state, "LAST");
    assert.equal(snapshot.max_power, 3000);
    assert.equal(snapshot.telemetry, 30);
    const fan = JSON.parse(again.user.latest.get("fans/f1/state")!);
    assert.equal(fan.hum_on, 85);
    assert.equal(fan.hum_off, 65);
    assert.equal(fan.check_period, 900);

    // The energy totals continue from the saved value (the first sample after boot starts
    // the count, so the uptime minus one measurement period is counted).
    const mark = again.user.log.length;
    await again.advance(60_000);
    const published = await again.user.waitFor(
      "plugs/p1/state",
      (p) => JSON.parse(p).uptime >= 60,
      mark,
    );
    const { energy_total: totalWh, uptime } = JSON.parse(published.payload);
    const expectedWh = savedWh + (powerW * (uptime * 1000 - MEASURE_PERIOD_MS)) / MS_PER_HOUR;
    assert.ok(
      Math.abs(totalWh - expectedWh) < 2 * slackWh,
      `total ${totalWh}, expected ${expectedWh}`,
    );
  } finally {
    await rig?.close();
    await broker.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("faults: power_on_state LAST restores the relay as it was when the power went", async () => {
  const rig = await startRig({ devices: [{ kind: "plugs", id: "p1" }] });
  try {
    const { user } = rig;
    const plug = rig.plug("p1");
    await user.command("plugs/p1", "power", "ON");
    // Reboot with power_on_state OFF: the relay comes back open...
    await user.knob("p1", "reboot", "");
    await until(() => plug.connected, "back online");
    assert.equal(plug.relayOn, false);
    // ...so LAST must keep it open at the next boot (it once closed it: the open relay after
    // a boot was not saved).
    await user.command("plugs/p1", "power_on_state", "LAST");
    await user.knob("p1", "power_cut", "5");
    await rig.advance(6000);
    await until(() => plug.connected, "back online");
    assert.equal(plug.relayOn, false);
    // And a closed relay closes again.
    await rig.advance(1000);
    await user.command("plugs/p1", "power", "ON");
    await user.knob("p1", "power_cut", "5");
    await rig.advance(6000);
    await until(() => plug.connected, "back online");
    assert.equal(plug.relayOn, true);
    assert.equal(plug.boots, 4);
  } finally {
    await rig.close();
  }
});

Deno.test("faults: a clean stop saves the energy counted since the last periodic save", async () => {
  const broker = await startBroker({ port: 0 });
  const dataDir = await Deno.makeTempDir({ prefix: "housegrid-faults-" });
  let rig: Rig | null = null;
  try {
    rig = await startRig({
      broker,
      dataDir,
      devices: [{ kind: "plugs", id: "p1", load: "heater" }],
    });
    await rig.user.command("plugs/p1", "power", "ON");
    await rig.advance(90_000);
    const atStopWh = liveEnergyWh(rig, "p1");
    assert.ok(atStopWh > 45);
    const stopping = rig;
    rig = null;
    await stopping.close();
    assert.equal(storedEnergyWh(dataDir, "p1"), atStopWh);
    assert.equal(stopping.plug("p1").connected, false);
  } finally {
    await rig?.close();
    await broker.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});
