// The simulator benchmark scripts run end to end with a tiny fleet and print and write
// what they promise. Only the shape of the output is checked: timings vary with the
// machine, so no figure is compared with a threshold.

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const runScript = async (
  script: string,
  args: string[],
): Promise<{ stdout: string; json: Record<string, unknown> }> => {
  const jsonPath = await Deno.makeTempFile({ suffix: ".json" });
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        fileURLToPath(new URL(script, import.meta.url)),
        ...args,
        "--json",
        jsonPath,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(output.stdout);
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, `${script} failed:\n${stdout}\n${stderr}`);
    return { stdout, json: JSON.parse(await Deno.readTextFile(jsonPath)) };
  } finally {
    await Deno.remove(jsonPath);
  }
};

const assertNumber = (value: unknown, name: string): void => {
  assert.equal(typeof value, "number", `${name} should be a number, got ${JSON.stringify(value)}`);
};

const assertMachine = (json: Record<string, unknown>): void => {
  const machine = json.machine as Record<string, unknown>;
  assert.equal(typeof machine.cpu, "string");
  assertNumber(machine.cores, "machine.cores");
  assert.equal(typeof machine.deno, "string");
};

Deno.test("sim_scale prints a table and writes every figure for both phases", async () => {
  const { stdout, json } = await runScript("./sim_scale.ts", ["--devices", "20", "--seconds", "2"]);
  assert.match(stdout, /\| figure \| simulator \| raw mqtt\.js \| ratio \|/);
  assert.equal(json.bench, "sim_scale");
  assert.equal(json.devices, 20);
  assert.equal(json.transport, "memory"); // the default on the in-process broker
  assert.match(stdout, /in-memory streams/);
  assertMachine(json);
  for (
    const name of ["snapshotBytes", "plugMessagesPerSecond", "startFleetMs", "throughputRatio"]
  ) {
    assertNumber(json[name], name);
  }
  for (const phase of ["sim", "raw"]) {
    const figures = json[phase] as Record<string, unknown>;
    for (const name of ["connected", "connectSpreadMs", "snapshotsPerSecond", "cpuPercent"]) {
      assertNumber(figures[name], `${phase}.${name}`);
    }
    assertNumber((figures.lag as Record<string, unknown>).p99Ms, `${phase}.lag.p99Ms`);
    assertNumber(figures.peakRssMiB, `${phase}.peakRssMiB`);
  }
});

Deno.test("sim_scale refuses an unknown transport, and memory with an external broker", async () => {
  for (
    const args of [
      ["--transport", "udp"],
      ["--transport", "memory", "--broker", "mqtt://127.0.0.1:1"],
    ]
  ) {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", fileURLToPath(new URL("./sim_scale.ts", import.meta.url)), ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(output.code, 2, args.join(" "));
    assert.match(new TextDecoder().decode(output.stderr), /--transport/);
  }
});

Deno.test("sim_latency prints a table and writes percentiles for both kinds", async () => {
  const { stdout, json } = await runScript("./sim_latency.ts", [
    "--devices",
    "20",
    "--seconds",
    "2",
    "--round-trips",
    "40",
  ]);
  assert.match(stdout, /\| figure \| simulator \| raw echo \| ratio \|/);
  assert.equal(json.bench, "sim_latency");
  assertMachine(json);
  for (const kind of ["sim", "raw"]) {
    const stats = json[kind] as Record<string, unknown>;
    for (const name of ["count", "lost", "p50Ms", "p99Ms", "maxMs", "meanMs"]) {
      assertNumber(stats[name], `${kind}.${name}`);
    }
  }
  assertNumber(json.p50Ratio, "p50Ratio");
  assertNumber(json.p99Ratio, "p99Ratio");
});

Deno.test("sim_virtual_time prints a table and writes both workloads", async () => {
  const { stdout, json } = await runScript("./sim_virtual_time.ts", [
    "--devices",
    "2",
    "--seconds",
    "2",
  ]);
  assert.match(stdout, /\| workload \(24 h\) \|/);
  assert.equal(json.bench, "sim_virtual_time");
  assertMachine(json);
  for (const row of ["scenario", "fleet"]) {
    const figures = json[row] as Record<string, unknown>;
    for (const name of ["simDeviceHoursPerSecond", "pureDeviceHoursPerSecond", "ratio", "runs"]) {
      assertNumber(figures[name], `${row}.${name}`);
    }
  }
});
