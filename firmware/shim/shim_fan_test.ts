import assert from "node:assert/strict";
import { buildFirmware } from "../build.ts";
import { type BundleHarness, startBundleHarness } from "./bundle_harness.ts";
import { type Air, Bme280Emulator } from "./shim_bme280.ts";

// The bundle, not the TypeScript sources: built once for this file.
const FAN = (await buildFirmware("fan")).code;
const BASE = "fans/f1";

async function bench(air: Air, chip: { emulator?: Bme280Emulator }): Promise<BundleHarness> {
  return await startBundleHarness({
    code: FAN,
    config: {
      kind: "fan",
      id: "f1",
      wifi: { ntp: "" },
      pins: { speeds: ["D12", "D13"] },
      sensor: { periodMs: 5000 },
    },
    hardware: (pins) => {
      chip.emulator = new Bme280Emulator(() => air);
      return { digitalWrite: (pin, high) => (pins[pin] = high), i2c: { 0x76: chip.emulator } };
    },
  });
}

const last = (h: BundleHarness, param: string): string | undefined =>
  h.on(`${BASE}/states/${param}`).at(-1)?.payload;

Deno.test("fan bundle: reads the emulated BME280 and obeys speed and power commands", async () => {
  const air = { tempC: 22.4, humidityPct: 55.3 };
  const chip: { emulator?: Bme280Emulator } = {};
  const h = await bench(air, chip);
  try {
    const shim = h.boot();
    await h.drive(() => h.on(`${BASE}/availability`).at(-1)?.payload === "online", "online");
    // The snapshot ends a batch of states: every state went out.
    await h.drive(() => h.on(`${BASE}/state`).length > 0, "every state");
    assert.equal(last(h, "humidity"), "55.3");
    assert.equal(last(h, "temperature"), "22.4");
    assert.equal(last(h, "max_speed"), "2", "two speed pins");
    assert.ok((chip.emulator?.conversions ?? 0) >= 1);
    air.humidityPct = 71.8;
    await h.drive(() => last(h, "humidity") === "71.8", "the next reading");

    await h.send(`${BASE}/commands/speed`, "2");
    await h.drive(() => last(h, "speed") === "2" && last(h, "mode") === "manual", "speed 2");
    assert.deepEqual([h.pins.D12, h.pins.D13], [false, true], "one winding at a time");
    await h.send(`${BASE}/commands/speed`, "1");
    await h.drive(() => last(h, "speed") === "1", "speed 1");
    assert.deepEqual([h.pins.D12, h.pins.D13], [true, false]);
    await h.send(`${BASE}/commands/power`, "OFF");
    await h.drive(() => last(h, "power") === "OFF", "off");
    assert.deepEqual([h.pins.D12, h.pins.D13], [false, false]);
    assert.deepEqual(shim.errors, []);
  } finally {
    await h.stop();
  }
});

Deno.test("fan bundle: a sensor that stops answering leaves remote control; bad commands are refused", async () => {
  const chip: { emulator?: Bme280Emulator } = {};
  const h = await bench({ tempC: 20, humidityPct: 50 }, chip);
  try {
    const shim = h.boot();
    await h.drive(() => last(h, "control") === "full", "full control");
    (chip.emulator as Bme280Emulator).present = false;
    // The last reading stays in force until it is stale (5 minutes).
    const lostAt = h.clock.nowMs();
    await h.drive(() => last(h, "control") === "remote", "remote control without a sensor", 1000);
    assert.ok(h.clock.nowMs() - lostAt >= 5 * 60000);
    (chip.emulator as Bme280Emulator).present = true;
    await h.drive(() => last(h, "control") === "full", "the sensor is picked up again");

    await h.send(`${BASE}/commands/hum_off`, "95");
    await h.send(`${BASE}/commands/speed`, "7");
    await h.send(`${BASE}/commands/power`, "SIDEWAYS");
    await h.drive(() => h.on(`${BASE}/errors`).length >= 3, "three errors");
    const errors = h.on(`${BASE}/errors`).map((m) => JSON.parse(m.payload));
    assert.deepEqual(errors.map((e) => e.param), ["hum_off", "speed", "power"]);
    assert.match(errors[0].error, /below hum_on/);
    await h.send(`${BASE}/commands/speed`, "2");
    await h.drive(() => last(h, "speed") === "2", "still obeys");
    assert.deepEqual(shim.errors, []);
  } finally {
    await h.stop();
  }
});
