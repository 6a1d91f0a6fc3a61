import assert from "node:assert/strict";
import mqtt from "mqtt";
import { buildFirmware } from "../build.ts";
import { type BundleHarness, startBundleHarness } from "./bundle_harness.ts";

// The bundle, not the TypeScript sources: built once for this file.
const PLUG = (await buildFirmware("plug")).code;
const BASE = "plugs/p1";

async function bench(adcValue = 0.5): Promise<BundleHarness> {
  return await startBundleHarness({
    code: PLUG,
    config: { kind: "plug", id: "p1", wifi: { ntp: "" } },
    hardware: (pins) => ({
      digitalWrite: (pin, high) => (pins[pin] = high),
      analogRead: () => adcValue,
    }),
  });
}

const last = (h: BundleHarness, topic: string): string | undefined => h.on(topic).at(-1)?.payload;

Deno.test("plug bundle: online, retained states, and power ON/OFF/TOGGLE drive the relay", async () => {
  const h = await bench();
  try {
    const shim = h.boot();
    await h.drive(() => last(h, `${BASE}/availability`) === "online", "online");
    await h.drive(() => last(h, `${BASE}/states/power`) === "OFF", "states");
    assert.match(shim.printed.join("\n"), /plug p1 up/);
    // A client that comes later, once every state went out, gets them as retained messages.
    await h.drive(() => last(h, `${BASE}/state`) !== undefined, "snapshot");
    const late = await mqtt.connectAsync(h.broker.url, { clientId: "late" });
    const retained: Record<string, string> = {};
    late.on("message", (topic, payload, packet) => {
      if (packet.retain) retained[topic] = payload.toString();
    });
    await late.subscribeAsync(`${BASE}/#`);
    await h.drive(() => retained[`${BASE}/state`] !== undefined, "retained snapshot");
    await late.endAsync(true);
    assert.equal(retained[`${BASE}/availability`], "online");
    assert.equal(retained[`${BASE}/states/power`], "OFF");
    assert.equal(JSON.parse(retained[`${BASE}/state`] as string).power, "OFF");

    for (const [command, expected] of [["ON", "ON"], ["off", "OFF"], ["TOGGLE", "ON"]]) {
      await h.send(`${BASE}/commands/power`, command as string);
      await h.drive(() => last(h, `${BASE}/states/power`) === expected, `power ${command}`);
      assert.equal(h.pins.D12, expected === "ON", `relay after ${command}`);
    }
    assert.deepEqual(shim.errors, []);
  } finally {
    await h.stop();
  }
});

Deno.test("plug bundle: the last will says offline when its socket dies; it reconnects", async () => {
  const h = await bench();
  try {
    const shim = h.boot();
    await h.drive(() => last(h, `${BASE}/availability`) === "online", "online");
    const mark = h.messages.length;
    shim.net.dropAll();
    await h.drive(() => h.on(`${BASE}/availability`, mark).length >= 2, "offline, then online");
    assert.deepEqual(h.on(`${BASE}/availability`, mark).map((m) => m.payload), [
      "offline",
      "online",
    ]);
    // A power cut: the bundle is gone, the broker speaks for it.
    const cut = h.messages.length;
    await h.kill();
    await h.drive(() => h.on(`${BASE}/availability`, cut).length > 0, "last will");
    assert.equal(last(h, `${BASE}/availability`), "offline");
  } finally {
    await h.stop();
  }
});

Deno.test("plug bundle: settings and the relay survive a restart on the same Storage", async () => {
  const h = await bench();
  try {
    h.boot();
    await h.drive(() => last(h, `${BASE}/availability`) === "online", "online");
    await h.send(`${BASE}/commands/power_on_state`, "LAST");
    await h.send(`${BASE}/commands/max_power`, "1200");
    await h.send(`${BASE}/commands/power`, "ON");
    await h.drive(() => last(h, `${BASE}/states/power`) === "ON", "relay on");
    await h.drive(() => last(h, `${BASE}/states/max_power`) === "1200", "max_power");
    // A stale retained command must not switch the relay at the next connection.
    await h.send(`${BASE}/commands/power`, "OFF", true);
    await h.drive(() => last(h, `${BASE}/states/power`) === "OFF", "off");
    await h.send(`${BASE}/commands/power`, "ON");
    await h.drive(() => last(h, `${BASE}/states/power`) === "ON", "on again");
    await h.runFor(6000); // past the store's 5 s write interval
    assert.match(h.storage.files()["hg.settings"] ?? "", /1200/);
    await h.kill();
    const mark = h.messages.length;
    const shim = h.boot();
    assert.equal(h.pins.D12, true, "power_on_state LAST closes the relay at boot");
    await h.drive(() => h.on(`${BASE}/states/max_power`, mark).length > 0, "states after boot");
    assert.equal(h.on(`${BASE}/states/max_power`, mark)[0]?.payload, "1200");
    assert.equal(h.on(`${BASE}/states/power_on_state`, mark)[0]?.payload, "LAST");
    await h.runFor(3000);
    assert.equal(last(h, `${BASE}/states/power`), "ON", "the retained OFF was ignored");
    assert.equal(h.pins.D12, true);
    assert.deepEqual(shim.errors, []);
  } finally {
    await h.send(`${BASE}/commands/power`, "", true); // clear the retained command
    await h.stop();
  }
});

Deno.test("plug bundle: reconnects after the broker restarts", async () => {
  const h = await bench();
  try {
    const shim = h.boot();
    await h.drive(() => last(h, `${BASE}/availability`) === "online", "online");
    await h.broker.restart();
    const mark = h.messages.length;
    await h.drive(
      () => h.on(`${BASE}/availability`, mark).some((m) => m.payload === "online"),
      "back",
    );
    await h.send(`${BASE}/commands/power`, "ON");
    await h.drive(() => last(h, `${BASE}/states/power`) === "ON", "command after restart");
    assert.equal(h.pins.D12, true);
    assert.match(shim.printed.join("\n"), /mqtt down/);
    assert.deepEqual(shim.errors, []);
  } finally {
    await h.stop();
  }
});

Deno.test("plug bundle: bad input over MQTT is refused on errors and the plug keeps running", async () => {
  const h = await bench();
  try {
    const shim = h.boot();
    await h.drive(() => last(h, `${BASE}/availability`) === "online", "online");
    const bad: Array<[string, string | Uint8Array]> = [
      ["power", "MAYBE"],
      ["max_power", "abc"],
      ["max_power", "-5"],
      ["telemetry", "0"],
      ["pulse", "1e9"],
      ["energy_reset", "lots"],
      ["power", new Uint8Array([0xff, 0xfe, 0x4f, 0x4e])],
      ["no_such_command", "1"],
    ];
    for (const [param, payload] of bad) await h.send(`${BASE}/commands/${param}`, payload);
    await h.drive(() => h.on(`${BASE}/errors`).length >= bad.length, "an error per bad command");
    const errors = h.on(`${BASE}/errors`).map((m) => JSON.parse(m.payload));
    assert.deepEqual(errors.map((e) => e.param), bad.map(([param]) => param));
    for (const error of errors) {
      assert.ok(typeof error.error === "string" && error.error.length > 5);
    }
    assert.match(errors[0].error, /ON, OFF or TOGGLE/);
    // An oversized message (the session's limit is 1 KB) costs the connection, no more.
    const mark = h.messages.length;
    await h.send(`${BASE}/commands/power`, "x".repeat(5000));
    await h.drive(() => h.on(`${BASE}/availability`, mark).length >= 2, "a new session");
    assert.deepEqual(h.on(`${BASE}/availability`, mark).map((m) => m.payload), [
      "offline",
      "online",
    ]);
    assert.match(shim.printed.join("\n"), /packet of 5028 bytes exceeds the maximum of 1024/);
    await h.send(`${BASE}/commands/power`, "ON");
    await h.drive(() => last(h, `${BASE}/states/power`) === "ON", "still obeys");
    assert.equal(h.pins.D12, true);
    assert.deepEqual(shim.errors, []);
  } finally {
    await h.stop();
  }
});
