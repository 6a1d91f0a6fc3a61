import assert from "node:assert/strict";
import { join } from "node:path";
import { checkXml, renderChart } from "./chart.ts";
import { parseCommandLine } from "./cli.ts";
import { parseCsv, toCsv } from "./csv.ts";
import { HOUR_MS, MINUTE_MS, type ScenarioResult } from "./scenario.ts";
import { runScenarioCommand } from "./scenario_cli.ts";
import { BATHROOM_SHOWERS } from "./scenario_fan.ts";
import { runScenario, SCENARIO_NAMES } from "./scenarios.ts";

/** The result as the files a user gets: CSV rows by column name, and the SVG. */
const files = (result: ScenarioResult) => {
  const csv = parseCsv(toCsv(result.columns, result.rows));
  const [header, ...rows] = csv;
  assert.deepEqual(header, result.columns);
  const svg = renderChart(result.chart);
  assert.equal(checkXml(svg), null, "the SVG is well-formed");
  assert.ok(svg.length < 200_000, `SVG of ${svg.length} bytes`);
  const col = (name: string): string[] => {
    const index = result.columns.indexOf(name);
    assert.ok(index >= 0, `column ${name}`);
    return rows.map((row) => row[index]!);
  };
  const num = (name: string): number[] => col(name).map(Number);
  return { rows, svg, col, num };
};

/** Index of the first row at or after `hour`. */
const rowAt = (hours: number[], hour: number): number => hours.findIndex((h) => h >= hour - 1e-9);

for (
  const [label, checkPeriodS, withinMin] of [
    ["default settings: caught at the next check run", undefined, 30 + 2 + 3],
    ["check_period 600 s: caught within 15 min", 600, 15],
  ] as const
) {
  Deno.test(`bathroom-day (${label}), then the fan stops`, () => {
    const result = runScenario("bathroom-day", { seed: 1, checkPeriodS });
    assert.equal(result.rows.length, (24 * HOUR_MS) / MINUTE_MS);
    const { col, num } = files(result);
    const hours = num("hour");
    const reason = col("reason");
    const speed = num("fan_speed");
    const room = num("room_humidity_pct");
    assert.equal(num("occupied").filter((o) => o === 1).length, 10 + 12);
    for (const shower of BATHROOM_SHOWERS) {
      const start = rowAt(hours, shower.startMs / HOUR_MS);
      assert.ok(Math.max(...room.slice(start, start + 15)) > 85, "the shower wets the air");
      const caught = reason.findIndex((r, n) => n >= start && r === "humidity");
      const delayMin = (hours[caught]! - hours[start]!) * 60;
      assert.ok(caught >= 0 && delayMin <= withinMin, `caught after ${delayMin} min`);
      assert.ok(speed[caught]! > 0);
      const stopped = reason.findIndex((r, n) => n > caught && r === "none" && speed[n] === 0);
      assert.ok(stopped > caught, "the fan stops again");
      assert.ok(hours[stopped]! - hours[caught]! < 2, "within max_run");
    }
    assert.equal(result.facts.caught, 2);
    // At boot it has neither sensor reading nor network yet; from the first minute on, both.
    assert.equal(col("control")[0], "timer");
    assert.ok(col("control").slice(1).every((c) => c === "full"), "online all day");
    // Morning and evening: no humidity run before the first shower.
    assert.ok(!reason.slice(0, rowAt(hours, 7)).includes("humidity"));
  });
}

Deno.test("toilet-day: seeded visits, the same run for the same seed", () => {
  const a = runScenario("toilet-day", { seed: 7, durationMs: 12 * HOUR_MS });
  const b = runScenario("toilet-day", { seed: 7, durationMs: 12 * HOUR_MS });
  const c = runScenario("toilet-day", { seed: 8, durationMs: 12 * HOUR_MS });
  assert.equal(a.rows.length, 720);
  assert.deepEqual(a.rows, b.rows);
  assert.notDeepEqual(a.rows, c.rows);
  const { num, col } = files(a);
  assert.ok(a.facts.activities! >= 1, "visits in the first 12 h");
  assert.ok(num("occupied").some((o) => o === 1));
  assert.ok(col("reason").includes("check"), "the periodic check runs");
  assert.ok(Math.max(...num("room_humidity_pct")) > 50, "visits add vapour");
});

Deno.test("kettle: energy adds up to the boils", () => {
  const result = runScenario("kettle", { seed: 3 });
  assert.equal(result.rows.length, 360);
  const { num } = files(result);
  const boils = result.facts.boils!;
  assert.ok(boils >= 3 && boils <= 4);
  const energy = num("energy_wh");
  const expectedWh = (boils * 2200 * 3) / 60;
  assert.ok(Math.abs(energy[energy.length - 1]! - expectedWh) < expectedWh * 0.02);
  assert.ok(energy.every((e, n) => n === 0 || e >= energy[n - 1]!), "energy never falls");
  const power = num("power_w");
  assert.ok(Math.abs(Math.max(...power) - 2200) < 2200 * 0.02);
  // Each boil shows as about 3 min (18 samples of 10 s) of full power.
  const boiling = power.filter((p) => p > 2000).length;
  assert.ok(Math.abs(boiling - boils * 18) <= boils * 2, `${boiling} samples at full power`);
});

Deno.test("fridge: energy equals mean power x time", () => {
  const durationMs = 3 * HOUR_MS;
  const result = runScenario("fridge", { seed: 2, durationMs });
  assert.equal(result.rows.length, durationMs / MINUTE_MS);
  const { num } = files(result);
  const energyWh = result.facts.energyWh!;
  const meanW = result.facts.meanPowerW!;
  assert.ok(Math.abs(energyWh - meanW * 3) < energyWh * 0.01, `${energyWh} Wh vs ${meanW} W x 3 h`);
  assert.ok(meanW > 30 && meanW < 55, `about a third of 120 W, got ${meanW}`);
  assert.ok(result.facts.cycles! >= 3);
  const power = num("power_w");
  assert.ok(power.some((p) => Math.abs(p - 120) < 5) && power.some((p) => p < 1));
  const today = num("energy_today_wh");
  assert.equal(today[today.length - 1], num("energy_wh")[today.length - 1], "one day so far");
});

Deno.test("overload: the relay opens and fault says why", () => {
  const result = runScenario("overload", { seed: 1 });
  assert.equal(result.rows.length, (20 * MINUTE_MS) / 5000);
  const { num, col } = files(result);
  const hours = num("hour");
  const relay = col("relay");
  const fault = col("fault");
  const surge = rowAt(hours, result.facts.overloadAtS! / 3600);
  assert.equal(result.facts.tripped, 1);
  assert.ok(result.facts.tripDelayS! >= 2 && result.facts.tripDelayS! <= 3.5);
  assert.ok(relay.slice(2, surge).every((r) => r === "ON"), "on before the surge");
  assert.ok(num("power_w").slice(2, surge).every((p) => Math.abs(p - 2000) < 40));
  assert.ok(fault.slice(0, surge).every((f) => f === ""));
  assert.deepEqual(new Set(relay.slice(surge + 1)), new Set(["OFF"]));
  assert.ok(
    fault.slice(surge + 1).every((f) => f.startsWith("over_power")),
    String(fault[surge + 1]),
  );
  assert.ok(num("power_w").slice(surge + 1).every((p) => p < 5), "no current once open");
  assert.ok(num("max_power_w").slice(3).every((w) => w === 2500));
});

Deno.test("every scenario name of the command line runs", () => {
  for (const name of SCENARIO_NAMES) {
    const request = parseCommandLine(["scenario", name]);
    assert.equal(request.command, "scenario", name);
    const result = runScenario(name, { durationMs: 2 * MINUTE_MS });
    assert.ok(result.rows.length >= 2 && result.summary.length > 0, name);
    files(result);
  }
});

Deno.test("runScenarioCommand draws a bar on a terminal and writes both files", async () => {
  const outDir = await Deno.makeTempDir();
  const progress: string[] = [];
  const out: string[] = [];
  const code = await runScenarioCommand(
    { command: "scenario", name: "overload", outDir, seed: 1 },
    { progress: (t) => progress.push(t), out: (t) => out.push(t), isTerminal: true },
  );
  assert.equal(code, 0);
  assert.ok(progress.length > 50 && progress.every((p) => p.startsWith("\roverload [")));
  assert.ok(progress[progress.length - 1]!.includes("100%"));
  assert.match(out.join(""), /overload: relay opened .*\n.*device-h per wall second.*\n.*wrote /);
  const svg = await Deno.readTextFile(join(outDir, "overload.svg"));
  assert.equal(checkXml(svg), null);
  assert.equal((await Deno.readTextFile(join(outDir, "overload.csv"))).split("\n").length, 242);
  await Deno.remove(outDir, { recursive: true });
});

Deno.test("deno task sim scenario: a subprocess writes CSV and SVG and exits 0", async () => {
  const outDir = await Deno.makeTempDir();
  const main = new URL("./main.ts", import.meta.url).pathname;
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, "scenario", "kettle", "--out", outDir, "--seed", "5"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(run.stdout);
  const stderr = new TextDecoder().decode(run.stderr);
  assert.equal(run.code, 0, stderr);
  assert.match(stdout, /^kettle: \d boils/);
  assert.ok(stdout.includes(join(outDir, "kettle.csv")) && stdout.includes("kettle.svg"));
  // Not a terminal: a few plain progress lines, no bar.
  assert.deepEqual(stderr.trim().split("\n").map((l) => l.split(" ")[1]), [
    "25%",
    "50%",
    "75%",
    "100%",
  ]);
  const csv = parseCsv(await Deno.readTextFile(join(outDir, "kettle.csv")));
  assert.equal(csv.length, 1 + 360);
  assert.equal(checkXml(await Deno.readTextFile(join(outDir, "kettle.svg"))), null);
  const unknown = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, "scenario", "teapot", "--out", outDir],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(unknown.code, 2);
  assert.match(new TextDecoder().decode(unknown.stderr), /unknown scenario "teapot"/);
  await Deno.remove(outDir, { recursive: true });
});
