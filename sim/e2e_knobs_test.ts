/**
 * End-to-end tests of the simulator knobs (`sim/<id>/<knob>`) sent by an ordinary MQTT
 * client and applied by `listenForKnobs`.
 */

import assert from "node:assert/strict";
import { DEFAULT_FAN_SETTINGS } from "../lib/settings.ts";
import { SENSOR_PERIOD_MS } from "./fan.ts";
import { startRig, until } from "./e2e_harness_test.ts";

Deno.test("knobs: load on a plug changes what it measures; a bad load is answered", async () => {
  const rig = await startRig({ devices: [{ kind: "plugs", id: "p1" }] });
  try {
    const { user } = rig;
    await user.command("plugs/p1", "power", "ON");
    await user.knob("p1", "load", "500,0.8");
    let mark = user.log.length;
    await rig.advance(60_000); // one telemetry period
    let snapshot = JSON.parse((await user.waitFor("plugs/p1/state", () => true, mark)).payload);
    assert.ok(Math.abs(snapshot.watts - 500) < 15, `watts ${snapshot.watts}`);
    assert.ok(Math.abs(snapshot.power_factor - 0.8) < 0.03, `pf ${snapshot.power_factor}`);
    assert.ok(Math.abs(snapshot.apparent_va - 625) < 20, `VA ${snapshot.apparent_va}`);

    await user.knob("p1", "load", "Heater");
    mark = user.log.length;
    await rig.advance(60_000);
    snapshot = JSON.parse((await user.waitFor("plugs/p1/state", () => true, mark)).payload);
    assert.ok(Math.abs(snapshot.watts - 2000) < 40, `watts ${snapshot.watts}`);

    mark = user.log.length;
    await user.send("sim/p1/load", "lots");
    const answer = JSON.parse((await user.waitFor("sim/p1/errors", () => true, mark)).payload);
    assert.equal(answer.knob, "load");
    assert.match(answer.error, /heater, kettle/);
    assert.equal(rig.plug("p1").load.name, "heater");
  } finally {
    await rig.close();
  }
});

Deno.test("knobs: humidity and temperature drive the fan through its duct sensor", async () => {
  const rig = await startRig({ devices: [{ kind: "fans", id: "f1" }] });
  try {
    const { user } = rig;
    const fan = rig.fan("f1");
    fan.activities = [];
    const states = () => fan.view().states as { reason: string; speed: number };
    // The duct sensor sees the room only while the fan draws air: during the start-up purge.
    assert.equal(states().reason, "purge");
    await user.knob("f1", "humidity", "92");
    assert.equal(fan.room.humidityPct, 92);
    await rig.advanceUntil(() => states().reason === "humidity", "fan on for humidity", 60_000);
    assert.equal(states().speed, DEFAULT_FAN_SETTINGS.maxSpeed);
    let mark = user.log.length;
    await user.waitFor("fans/f1/states/reason", (p) => p === "humidity");
    await user.waitFor("fans/f1/states/speed", (p) => p === String(DEFAULT_FAN_SETTINGS.maxSpeed));
    await rig.advance(60_000, 10_000);
    await user.waitFor("fans/f1/states/humidity", (p) => Number(p) > 80, mark);

    await user.knob("f1", "temperature", "38");
    await user.command("fans/f1", "temp_using", "ON");
    await user.command("fans/f1", "hum_using", "OFF");
    await rig.advanceUntil(() => states().reason === "temperature", "fan on for heat", 60_000);
    mark = user.log.length;
    await rig.advance(60_000, 10_000);
    await user.waitFor("fans/f1/states/temperature", (p) => Number(p) > 30, mark);
    await user.waitFor("fans/f1/state", (p) => JSON.parse(p).reason === "temperature", mark);

    mark = user.log.length;
    await user.send("sim/f1/humidity", "150");
    await user.send("sim/f1/temperature", "warm");
    await user.send("sim/f1/shower", "-3");
    await until(() => user.on("sim/f1/errors", mark).length === 3, "3 knob errors");
    const knobs = user.on("sim/f1/errors", mark).map((m) => JSON.parse(m.payload).knob);
    assert.deepEqual(knobs, ["humidity", "temperature", "shower"]);
  } finally {
    await rig.close();
  }
});

Deno.test("knobs: sensor MISSING/STALE hand the fan to remote control, wifi DOWN to the timer", async () => {
  const rig = await startRig({ devices: [{ kind: "fans", id: "f1" }] });
  try {
    const { user } = rig;
    const fan = rig.fan("f1");
    fan.activities = [];
    const control = () => (fan.view().states as { control: string }).control;
    await rig.advance(2 * 60_000, 10_000);
    assert.equal(control(), "full");
    await user.waitFor("fans/f1/states/control", (p) => p === "full");

    // A failed read is a glitch until the last good reading is sensorStaleMs old.
    const bound = DEFAULT_FAN_SETTINGS.sensorStaleMs + SENSOR_PERIOD_MS;
    await user.knob("f1", "sensor", "MISSING");
    let fromMs = rig.clock.nowMs();
    await rig.advanceUntil(() => control() === "remote", "remote without a sensor", bound);
    assert.ok(rig.clock.nowMs() - fromMs >= DEFAULT_FAN_SETTINGS.sensorStaleMs - SENSOR_PERIOD_MS);
    let mark = user.log.length;
    await user.waitFor("fans/f1/states/control", (p) => p === "remote");
    await rig.advance(60_000, 10_000);
    await user.waitFor("fans/f1/states/humidity", (p) => p === "None", mark);

    await user.knob("f1", "sensor", "ok");
    await rig.advanceUntil(() => control() === "full", "full control again", SENSOR_PERIOD_MS);

    // A stuck sensor repeats its last reading, which goes stale the same way.
    await user.knob("f1", "sensor", "STALE");
    fromMs = rig.clock.nowMs();
    await rig.advanceUntil(() => control() === "remote", "remote with a stale sensor", bound);
    assert.ok(rig.clock.nowMs() - fromMs >= DEFAULT_FAN_SETTINGS.sensorStaleMs - SENSOR_PERIOD_MS);
    await user.waitFor("fans/f1/state", (p) => JSON.parse(p).control === "remote");

    // No sensor and no network: the timer cycle runs the fan (seen on the device itself).
    await user.knob("f1", "sensor", "MISSING");
    mark = user.log.length;
    await user.knob("f1", "wifi", "DOWN");
    await user.waitFor("fans/f1/availability", (p) => p === "offline", mark);
    assert.equal(fan.connected, false);
    assert.equal(control(), "timer");

    // The sensor back while offline: the fan runs on its sensor alone.
    fan.knob("sensor", "OK");
    await rig.advanceUntil(
      () => control() === "sensor",
      "sensor control offline",
      SENSOR_PERIOD_MS,
    );

    mark = user.log.length;
    await user.knob("f1", "wifi", "UP");
    await rig.advanceUntil(() => fan.connected, "Wi-Fi back", 10_000);
    await user.waitFor("fans/f1/availability", (p) => p === "online", mark);
    await user.waitFor("fans/f1/states/control", (p) => p === "full", mark);
    await user.waitFor("fans/f1/state", (p) => JSON.parse(p).control === "full", mark);
    // Everything is published again, settings and measured values too.
    await user.waitFor("fans/f1/states/uptime", () => true, mark);
    await user.waitFor("fans/f1/states/hum_on", () => true, mark);
  } finally {
    await rig.close();
  }
});

Deno.test("knobs: wifi DOWN sends the will, UP brings the plug back with its states", async () => {
  const rig = await startRig({ devices: [{ kind: "plugs", id: "p1", load: "heater" }] });
  try {
    const { user } = rig;
    await user.send("plugs/p1/commands/power", "ON");
    await user.waitFor("plugs/p1/states/power", (p) => p === "ON");
    let mark = user.log.length;
    await user.send("sim/p1/wifi", "DOWN");
    await user.waitFor("plugs/p1/availability", (p) => p === "offline", mark);
    assert.equal(rig.plug("p1").connected, false);
    // The relay keeps working offline, and the plug keeps counting energy.
    const energyBefore = rig.plug("p1").state!.energy;
    await rig.advance(30_000);
    assert.equal(rig.plug("p1").relayOn, true);
    assert.notDeepEqual(rig.plug("p1").state!.energy, energyBefore);

    mark = user.log.length;
    await user.knob("p1", "wifi", "up");
    await rig.advanceUntil(() => rig.plug("p1").connected, "Wi-Fi back", 10_000);
    await user.waitFor("plugs/p1/availability", (p) => p === "online", mark);
    await user.waitFor("plugs/p1/states/power", (p) => p === "ON", mark);
    const snapshot = await user.waitFor("plugs/p1/state", () => true, mark);
    assert.ok(JSON.parse(snapshot.payload).energy_total > 15);
    await user.waitFor("plugs/p1/states/energy_total", () => true, mark);

    mark = user.log.length;
    await user.send("sim/p1/wifi", "SIDEWAYS");
    const answer = await user.waitFor("sim/p1/errors", () => true, mark);
    assert.deepEqual(JSON.parse(answer.payload), {
      knob: "wifi",
      error: "wifi must be UP or DOWN",
    });
  } finally {
    await rig.close();
  }
});

Deno.test("knobs: reboot and power_cut restart the plug; the relay follows power_on_state", async () => {
  const rig = await startRig({ devices: [{ kind: "plugs", id: "p1", load: "heater" }] });
  try {
    const { user } = rig;
    const plug = rig.plug("p1");
    await user.send("plugs/p1/commands/power", "ON");
    await user.waitFor("plugs/p1/states/power", (p) => p === "ON");
    await rig.advance(10_000);

    // Reboot: power_on_state OFF (the default) leaves the relay open afterwards.
    let mark = user.log.length;
    await user.send("sim/p1/reboot", "");
    await user.waitFor("plugs/p1/availability", (p) => p === "offline", mark);
    await user.waitFor("plugs/p1/availability", (p) => p === "online", mark);
    await user.waitFor("plugs/p1/states/power", (p) => p === "OFF", mark);
    assert.equal(plug.boots, 2);
    assert.equal(plug.relayOn, false);
    assert.ok(Number(user.latest.get("plugs/p1/states/uptime")) < 5);

    // Power cut: power_on_state ON closes the relay when power comes back.
    await user.send("plugs/p1/commands/power_on_state", "ON");
    await user.waitFor("plugs/p1/states/power_on_state", (p) => p === "ON", mark);
    mark = user.log.length;
    await user.send("sim/p1/power_cut", "30");
    await user.waitFor("plugs/p1/availability", (p) => p === "offline", mark);
    assert.equal(plug.powered, false);
    assert.equal(plug.relayOn, false);

    // Without power: hardware knobs and reboot are refused, a later cut moves the end.
    await user.send("sim/p1/load", "kettle");
    await user.send("sim/p1/reboot", "");
    await user.knob("p1", "power_cut", "60");
    const errors = user.on("sim/p1/errors", mark).map((m) => JSON.parse(m.payload))
      .filter((body) => body.knob !== "sync");
    assert.deepEqual(errors, [
      { knob: "load", error: "the device has no power" },
      { knob: "reboot", error: "the device has no power" },
    ]);
    assert.equal(plug.powered, false, "a reboot must not end a power cut");
    await rig.advance(45_000);
    assert.equal(plug.powered, false, "the second cut lasts 60 s from when it was sent");
    await rig.advance(20_000);
    assert.equal(plug.powered, true);
    assert.equal(plug.boots, 3);
    await user.waitFor("plugs/p1/availability", (p) => p === "online", mark);
    await user.waitFor("plugs/p1/states/power", (p) => p === "ON", mark);
    assert.equal(plug.relayOn, true);
  } finally {
    await rig.close();
  }
});

Deno.test("knobs: bad knobs are answered on sim/<id>/errors; other fleets' ids are left alone", async () => {
  const rig = await startRig({
    devices: [{ kind: "plugs", id: "p1" }, { kind: "fans", id: "f1" }],
    // A stale knob waiting on the broker must not act when the listener subscribes.
    beforeFleet: (user) => user.send("sim/p1/power_cut", "5", true, 1),
  });
  try {
    const { user } = rig;
    const mark = user.log.length;
    const sent: Array<[string, string]> = [
      ["sim/p1/humidity", "50"], // a fan's knob
      ["sim/f1/load", "100"], // a plug's knob
      ["sim/p1/power_cut", "-1"],
      ["sim/p1/power_cut", "1e9"],
      ["sim/f1/sensor", "BROKEN"],
      ["sim/f1/levitate", "1"],
    ];
    for (const [topic, payload] of sent) await user.send(topic, payload);
    // Not for this fleet: a device another process of a split fleet may run.
    await user.send("sim/nobody/load", "100");
    // Not a knob: one level too many.
    await user.send("sim/p1/power_cut/now", "1");
    // The sync knob is answered after all of the above.
    await user.knob("f1", "sensor", "ok");
    const errors = user.log.slice(mark).filter((m) =>
      m.topic.endsWith("/errors") && JSON.parse(m.payload).knob !== "sync"
    );
    assert.deepEqual(errors.map((m) => `${m.topic}:${JSON.parse(m.payload).knob}`), [
      "sim/p1/errors:humidity",
      "sim/f1/errors:load",
      "sim/p1/errors:power_cut",
      "sim/p1/errors:power_cut",
      "sim/f1/errors:sensor",
      "sim/f1/errors:levitate",
    ]);
    for (const error of errors) assert.ok(JSON.parse(error.payload).error.length > 5);
    await rig.advance(10_000);
    assert.equal(rig.plug("p1").powered, true);
    assert.equal(rig.plug("p1").boots, 1);
  } finally {
    await rig.close();
  }
});
