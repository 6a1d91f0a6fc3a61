/**
 * Runs every example as a user would (`deno run ...` in the repository's folder) and
 * checks what it prints, so none can rot. Short durations keep the whole file under
 * about 30 seconds.
 *
 * @module
 */

import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `deno run -A examples/<file> ...args` from the repository's root. */
async function runExample(file: string, args: string[] = []): Promise<Run> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `examples/${file}`, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const run = {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
  assert.equal(run.code, 0, `${file} exited with ${run.code}:\n${run.stdout}\n${run.stderr}`);
  return run;
}

Deno.test("plug_metering: readings and energy totals that match the load profile", async () => {
  const { stdout } = await runExample("plug_metering.ts", ["--minutes", "30", "--every", "5"]);
  assert.match(stdout, /23:45:00 +kettle +230\.0 +8\.69\d +2000\.0 +1\.00/);
  assert.match(stdout, /00:00:00 +fridge +230\.0 +0\.74\d +120\.0 +0\.70/);
  const energy = /total ([\d.]+) Wh \(today ([\d.]+), yesterday ([\d.]+)\).* gives ([\d.]+) Wh/
    .exec(stdout);
  assert.ok(energy, stdout);
  const [totalWh, todayWh, yesterdayWh, expectedWh] = energy.slice(1).map(Number) as number[];
  assert.ok(Math.abs(totalWh! - expectedWh!) / expectedWh! < 0.01);
  assert.ok(Math.abs(todayWh! + yesterdayWh! - totalWh!) < 0.002); // split at midnight
  assert.ok(todayWh! > 0 && yesterdayWh! > 0);
  assert.match(stdout, /current only, kettle: 2000\.\d W \(estimated: true/);
});

Deno.test("fan_replay: decisions on the recorded showers and an ASCII chart", async () => {
  const { stdout } = await runExample("fan_replay.ts");
  assert.match(stdout, /2016-01-13 06:40 +84\.9 %RH +shower starts/);
  assert.match(stdout, /2016-01-13 06:40 +84\.9 %RH +fan speed 2 +reason: humidity/);
  assert.match(stdout, /2 of 2 showers caught/);
  assert.match(stdout, /fan \|[ #]*#+[ #]*  +# running for humidity/);
  assert.match(stdout, /shower \| *\^/);
});

Deno.test("fan_replay: --set checks settings, --svg writes a chart", async () => {
  const svg = await Deno.makeTempFile({ suffix: ".svg" });
  try {
    const { stdout } = await runExample("fan_replay.ts", [
      "--start=2016-03-01",
      "--days=1",
      "--set=hum_on=70",
      "--set=hum_off=60", // only valid once hum_on moved: applied on the second pass
      `--svg=${svg}`,
    ]);
    assert.match(stdout, /hum_on 70, hum_off 60/);
    assert.match(stdout, /chart written to /);
    const text = await Deno.readTextFile(svg);
    assert.ok(text.startsWith("<svg") && text.includes("Bathroom fan on recorded humidity"));
  } finally {
    await Deno.remove(svg);
  }
  const bad = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "examples/fan_replay.ts", "--set=hum_on=150"],
    cwd: ROOT,
    stderr: "piped",
    stdout: "null",
  }).output();
  assert.equal(bad.code, 2);
  assert.match(new TextDecoder().decode(bad.stderr), /hum_on must be between 1 and 100/);
});

Deno.test("custom_device: a thermostat heater answers its own MQTT commands", async () => {
  const { stdout } = await runExample("custom_device.ts", ["--hours", "5"]);
  assert.match(stdout, /heaters\/heater1 is online/);
  assert.match(stdout, /06:00 +heater ON at 17 °C/);
  assert.match(stdout, /rejected: temp_on must be below temp_off \(20\.5 °C\), got 21/);
  assert.match(stdout, /temp_off = 22\n.*-> temp_on 21\n.*temp_on = 21/);
  assert.match(stdout, /09:00 +heater ON at [\d.]+ °C\n09:10 +heater OFF/); // the 600 s boost
  assert.match(stdout, /fault = over_power: 2000 W > 1500 W/);
  assert.match(stdout, /done: room at [\d.]+ °C, heater used [\d.]+ kWh/);
});

Deno.test("watch_fleet: an external client sees the fleet and switches a plug", async () => {
  const { stdout } = await runExample("watch_fleet.ts", ["--seconds", "9", "--every", "1.5"]);
  assert.match(stdout, /simulator started: broker mqtt:\/\/127\.0\.0\.1:\d+/);
  for (const key of ["plugs/plug1", "plugs/plug2", "fans/fan1", "fans/fan2"]) {
    assert.match(stdout, new RegExp(`${key} +online`));
  }
  assert.match(stdout, /plug1 says: power ON/);
  assert.match(stdout, /plugs\/plug1 +online +power ON, [12]\d{3}(\.\d)? W/); // its heater
  // At 300x the bathroom fan's check, 30 virtual minutes (6 s) in, sees the shower.
  assert.match(stdout, /fans\/fan1 +online +power ON, speed 2, reason humidity/);
});

Deno.test("ha_discovery: retained config messages for a plug and a fan", async () => {
  const plug = await runExample("ha_discovery.ts");
  const topics = plug.stdout.split("\n").filter((line) => line.startsWith("homeassistant/"));
  assert.ok(topics.includes("homeassistant/switch/plug1/power/config"));
  assert.ok(topics.includes("homeassistant/sensor/plug1/energy_total/config"));
  assert.match(plug.stderr, /16 retained messages for plugs\/plug1/);
  const fan = await runExample("ha_discovery.ts", ["--kind", "fan", "--id", "bath", "--mosquitto"]);
  assert.match(
    fan.stdout,
    /mosquitto_pub -r -t 'homeassistant\/fan\/bath\/power\/config' -m '\{.*"percentage_command_topic":"fans\/bath\/commands\/speed"/,
  );
});
