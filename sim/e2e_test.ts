/**
 * End-to-end tests of simulated devices over a real (in-process aedes) broker: the MQTT
 * protocol of DESIGN.md as a user's client sees it.
 */

import assert from "node:assert/strict";
import { retainedUnder, snapshotOf, startRig, until } from "./e2e_harness_test.ts";

Deno.test("e2e plug: power ON over MQTT, retained states, snapshot, availability, discovery", async () => {
  const rig = await startRig({ devices: [{ kind: "plugs", id: "p1", load: "heater" }] });
  try {
    const { user } = rig;
    const plug = rig.plug("p1");
    assert.equal(plug.relayOn, false);
    await user.waitFor("plugs/p1/availability", (p) => p === "online");
    await user.waitFor("plugs/p1/states/power", (p) => p === "OFF");

    const mark = user.log.length;
    await user.send("plugs/p1/commands/power", "on"); // words are case-insensitive on input
    await user.waitFor("plugs/p1/states/power", (p) => p === "ON", mark);
    await user.waitFor("plugs/p1/state", (p) => JSON.parse(p).power === "ON", mark);
    assert.equal(plug.relayOn, true);
    assert.equal(plug.state?.relay.on, true);

    // The heater's 2 kW shows in the next telemetry batch.
    const beforeBatch = user.log.length;
    await rig.advance(60_000);
    await user.waitFor("plugs/p1/state", () => true, beforeBatch);
    const snapshot = snapshotOf(user, "plugs/p1");
    assert.ok(Math.abs((snapshot.watts as number) - 2000) < 40, `watts ${snapshot.watts}`);
    assert.equal(snapshot.power, "ON");
    assert.equal(snapshot.fault, "none");

    const retained = await retainedUnder(rig.broker.url, "#");
    assert.equal(retained.get("plugs/p1/availability"), "online");
    assert.equal(retained.get("plugs/p1/states/power"), "ON");
    assert.equal(JSON.parse(retained.get("plugs/p1/state") ?? "{}").power, "ON");
    assert.equal(retained.has("plugs/p1/commands/power"), false, "commands are never retained");
    const discovery = JSON.parse(retained.get("homeassistant/switch/p1/power/config") ?? "null");
    assert.equal(discovery?.command_topic, "plugs/p1/commands/power");
    assert.equal(discovery?.state_topic, "plugs/p1/states/power");
    const watts = JSON.parse(retained.get("homeassistant/sensor/p1/watts/config") ?? "null");
    assert.equal(watts?.state_topic, "plugs/p1/states/watts");
    const discoveryTopics = [...retained.keys()].filter((t) => t.startsWith("homeassistant/"));
    assert.ok(discoveryTopics.length >= 10, `only ${discoveryTopics.length} discovery configs`);
  } finally {
    await rig.close();
  }
});

Deno.test("e2e plug: the last will says offline when the device's power goes", async () => {
  const rig = await startRig({ devices: [{ kind: "plugs", id: "p1" }] });
  try {
    const plug = rig.plug("p1");
    const mark = rig.user.log.length;
    plug.powerOff();
    const will = await rig.user.waitFor("plugs/p1/availability", (p) => p === "offline", mark);
    assert.equal(will.retain, false); // a live delivery; the broker keeps it retained:
    assert.equal(
      (await retainedUnder(rig.broker.url, "plugs/p1/#")).get("plugs/p1/availability"),
      "offline",
    );
    plug.start();
    await rig.user.waitFor("plugs/p1/availability", (p) => p === "online", mark);
    assert.equal(plug.boots, 2);
  } finally {
    await rig.close();
  }
});

Deno.test("e2e plug: a rejected command is answered on errors and changes nothing", async () => {
  const rig = await startRig({ devices: [{ kind: "plugs", id: "p1", load: "heater" }] });
  try {
    const { user } = rig;
    const before = snapshotOf(user, "plugs/p1");
    const bad: Array<[string, string]> = [
      ["power", "MAYBE"],
      ["max_power", "abc"],
      ["max_power", "99999"],
      ["telemetry", "0"],
      ["pulse", "-1"],
      ["power_on_state", "SOMETIMES"],
      ["energy_reset", "-5"],
      ["nominal_voltage", "120"],
      ["self_destruct", "now"],
    ];
    const mark = user.log.length;
    for (const [param, payload] of bad) await user.send(`plugs/p1/commands/${param}`, payload);
    await until(
      () => user.log.slice(mark).filter((m) => m.topic === "plugs/p1/errors").length === bad.length,
      "every error",
    );
    const errors = user.log.slice(mark).filter((m) => m.topic === "plugs/p1/errors");
    for (const [index, [param, payload]] of bad.entries()) {
      const answer = JSON.parse(errors[index]!.payload);
      assert.equal(answer.param, param);
      assert.equal(answer.payload, payload);
      assert.equal(typeof answer.error, "string");
      assert.ok(answer.error.length > 5, answer.error);
      assert.equal(errors[index]!.retain, false);
    }
    // Nothing but errors was published: no state changed.
    assert.deepEqual(
      user.log.slice(mark).filter((m) =>
        m.topic.startsWith("plugs/p1/") && !m.topic.startsWith("plugs/p1/commands/") &&
        m.topic !== "plugs/p1/errors"
      ),
      [],
    );
    assert.deepEqual(snapshotOf(user, "plugs/p1"), before);
    assert.equal(rig.plug("p1").relayOn, false);
    const retained = await retainedUnder(rig.broker.url, "plugs/p1/#");
    assert.equal(retained.has("plugs/p1/errors"), false, "errors are not retained");
  } finally {
    await rig.close();
  }
});

Deno.test("e2e plug: a retained command waiting on the broker is ignored", async () => {
  const rig = await startRig({
    devices: [{ kind: "plugs", id: "p1", load: "heater" }],
    beforeFleet: (user) => user.send("plugs/p1/commands/power", "ON", true, 1),
  });
  try {
    await rig.advance(5000);
    assert.equal(rig.plug("p1").relayOn, false);
    assert.equal(rig.user.latest.get("plugs/p1/states/power"), "OFF");
    assert.equal(rig.user.on("plugs/p1/errors").length, 0);
    // Also after a reconnection, when the broker hands the retained command out again.
    rig.plug("p1").knob("wifi", "DOWN");
    rig.plug("p1").knob("wifi", "UP");
    const mark = rig.user.log.length;
    await rig.advanceUntil(() => rig.plug("p1").connected, "Wi-Fi back", 10_000);
    await rig.user.waitFor("plugs/p1/availability", (p) => p === "online", mark);
    await rig.user.sync("plugs/p1");
    assert.equal(rig.plug("p1").relayOn, false);
    // The subscription works: a live command acts.
    await rig.user.send("plugs/p1/commands/power", "ON");
    await rig.user.waitFor("plugs/p1/states/power", (p) => p === "ON", mark);
    assert.equal(rig.plug("p1").relayOn, true);
  } finally {
    await rig.close();
  }
});

Deno.test("e2e plug: telemetry goes out every telemetry period", async () => {
  const rig = await startRig({ devices: [{ kind: "plugs", id: "p1", load: "standby" }] });
  try {
    const { user } = rig;
    const before = user.log.length;
    await user.command("plugs/p1", "telemetry", "10");
    // aedes stores a retained message before routing it: it may trail the sync's answer.
    await user.waitFor("plugs/p1/states/telemetry", (payload) => payload === "10", before);
    await rig.advance(15_000);
    // The batch sent at 13 s may still be on its way: the sync's answer comes after it.
    await user.sync("plugs/p1");
    const mark = user.log.length;
    await rig.advance(60_000);
    await until(() => user.on("plugs/p1/states/uptime", mark).length >= 6, "6 batches");
    const uptimes = user.log.slice(mark).filter((m) => m.topic === "plugs/p1/states/uptime")
      .map((m) => Number(m.payload));
    assert.equal(uptimes.length, 6, `uptimes ${uptimes}`);
    for (let i = 1; i < uptimes.length; i++) assert.equal(uptimes[i]! - uptimes[i - 1]!, 10);
    const snapshots = user.log.slice(mark).filter((m) => m.topic === "plugs/p1/state");
    assert.equal(snapshots.length, 6);
    // Every batch carries every state.
    for (const param of ["watts", "volts", "energy_total", "rssi", "ip", "mac", "ssid", "power"]) {
      assert.equal(
        user.log.slice(mark).filter((m) => m.topic === `plugs/p1/states/${param}`).length,
        6,
        param,
      );
    }
  } finally {
    await rig.close();
  }
});

Deno.test("e2e fan: states, then a shower runs the fan at high speed for humidity", async () => {
  const rig = await startRig({ devices: [{ kind: "fans", id: "f1", room: "bathroom" }] });
  try {
    const { user } = rig;
    const fan = rig.fan("f1");
    fan.activities = []; // only the shower knob below
    // The start-up purge, then the fan rests with its sensor and network: control full.
    const mark = user.log.length;
    await rig.advance(10 * 60_000, 10_000);
    await user.waitFor("fans/f1/states/uptime", (p) => Number(p) >= 600, mark);
    let snapshot = snapshotOf(user, "fans/f1");
    assert.equal(snapshot.mode, "auto");
    assert.equal(snapshot.control, "full");
    assert.equal(snapshot.power, "OFF");
    assert.equal(snapshot.speed, 0);
    assert.equal(typeof snapshot.humidity, "number");
    assert.equal(typeof snapshot.temperature, "number");
    for (
      const param of ["power", "speed", "mode", "control", "reason", "humidity", "temperature"]
    ) {
      assert.ok(user.latest.has(`fans/f1/states/${param}`), param);
    }
    assert.equal(user.on("fans/f1/states/reason").map((m) => m.payload)[0], "purge");
    assert.notEqual(user.latest.get("fans/f1/states/reason"), "humidity");

    const startMs = rig.clock.nowMs();
    await user.knob("f1", "shower", "900");
    const states = () => fan.view().states as { reason: string; speed: number };
    await rig.advanceUntil(
      () => states().speed === 2 && states().reason === "humidity",
      "fan at high speed for humidity",
      30 * 60_000,
      10_000,
    );
    const showerToFanMs = rig.clock.nowMs() - startMs;
    await user.waitFor("fans/f1/states/reason", (p) => p === "humidity");
    await user.waitFor("fans/f1/states/speed", (p) => p === "2");
    await user.waitFor("fans/f1/state", (p) => JSON.parse(p).reason === "humidity");
    assert.ok(showerToFanMs <= 30 * 60_000, `${showerToFanMs} ms`);
    assert.equal(fan.speed, 2);
    snapshot = snapshotOf(user, "fans/f1");
    assert.equal(snapshot.power, "ON");
    assert.equal(snapshot.mode, "auto");
    const retained = await retainedUnder(rig.broker.url, "fans/f1/states/#");
    assert.equal(retained.get("fans/f1/states/reason"), "humidity");
    assert.equal(retained.get("fans/f1/states/speed"), "2");
  } finally {
    await rig.close();
  }
});
