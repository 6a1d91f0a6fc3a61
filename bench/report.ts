/**
 * `deno task bench`: runs the library micro-benchmarks (`deno bench --json` on each
 * `*_bench.ts`) and the simulator's scale and latency runs (`sim_scale.ts`,
 * `sim_latency.ts` with `--json`), then writes `bench/RESULTS.md` and `bench/results.json`:
 * for each figure our value, the baseline measured in the same run and the ratio, plus the
 * machine. Only ratios compare across machines; absolute figures describe this run.
 *
 * Run: `deno run -A bench/report.ts [--devices 10000] [--seconds 20] [--latency-devices 20]
 * [--round-trips 500] [--broker mqtt://host:port] [--skip-micro] [--skip-sim] [--out DIR]`
 * (about 8 minutes with the defaults on 2 cores).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type MachineInfo, machineInfo, markdownTable } from "./sim_bench_common.ts";
// Types only: sim_scale.ts installs a process-wide handler for uncaught errors when loaded.
import type { LatencyResult } from "./sim_latency.ts";
import type { ScaleResult } from "./sim_scale.ts";

/** The micro-benchmark files, in the order they run. */
export const MICRO_BENCHES: readonly string[] = [
  "power_bench.ts",
  "energy_bench.ts",
  "fan_bench.ts",
  "scenario_bench.ts",
  "loads_bench.ts",
];

/** One `Deno.bench` case as `deno bench --json` reports it (times in ns). */
export interface MicroCase {
  /** Bench file name. */
  file: string;
  /** The `group` of the case. */
  group: string;
  /** The case's name. */
  name: string;
  /** Whether it is its group's baseline. */
  baseline: boolean;
  /** Iterations measured. */
  n: number;
  /** Mean time per iteration, ns. */
  avgNs: number;
  /** Fastest iteration, ns. */
  minNs: number;
  /** 75th percentile, ns. */
  p75Ns: number;
  /** Why the case failed, if it did. */
  error?: string;
}

/** One line of the summary table. */
export interface Figure {
  /** What is measured. */
  figure: string;
  /** Its unit. */
  unit: string;
  /** Our value. */
  ours: number;
  /** The baseline's value in the same run. */
  baseline: number;
  /** What the baseline is. */
  baselineName: string;
  /** `ours / baseline`. */
  ratio: number;
  /** Which way is better. */
  better: "lower" | "higher";
}

/** Everything `bench/results.json` holds. */
export interface BenchReport {
  /** When the run began (ISO 8601). */
  date: string;
  /** Where it ran. */
  machine: MachineInfo;
  /** How the run was asked for. */
  options: Record<string, unknown>;
  /** The summary figures. */
  figures: Figure[];
  /** Every micro-benchmark case. */
  micro: MicroCase[];
  /** Lines the bench files printed (context such as events per iteration). */
  notes: string[];
  /** The scale run's own JSON, or `null` when skipped or failed. */
  simScale: ScaleResult | null;
  /** The latency run's own JSON, or `null` when skipped or failed. */
  simLatency: LatencyResult | null;
  /** The tables the simulator runs printed, as they printed them. */
  simTables: { scale: string | null; latency: string | null };
  /** What failed, if anything. */
  errors: string[];
}

interface DenoBenchJson {
  benches: Array<{
    group: string | null;
    name: string;
    baseline: boolean;
    results: Array<{ ok?: { n: number; avg: number; min: number; p75: number } } & object>;
  }>;
}

/**
 * Reads the output of `deno bench --json`: the JSON document, after whatever the bench
 * files printed themselves (those lines come back as notes).
 *
 * @param file The bench file's name, kept with each case.
 * @param stdout Everything the command printed on stdout.
 * @returns The cases and the other printed lines.
 * @example
 * ```ts
 * import { parseDenoBenchJson } from "./report.ts";
 * import assert from "node:assert/strict";
 * const json = JSON.stringify({ version: 1, benches: [{ group: "g", name: "a", baseline: true,
 *   results: [{ ok: { n: 10, avg: 2000, min: 1500, p75: 2100 } }] }] }, null, 2);
 * const parsed = parseDenoBenchJson("x_bench.ts", `fan bench: 5 events\n${json}\n`);
 * assert.deepEqual(parsed.notes, ["fan bench: 5 events"]);
 * assert.equal(parsed.cases[0]?.avgNs, 2000);
 * assert.equal(parsed.cases[0]?.baseline, true);
 * ```
 */
export function parseDenoBenchJson(
  file: string,
  stdout: string,
): { cases: MicroCase[]; notes: string[] } {
  const start = stdout.search(/^\{\s*"version"/m);
  if (start < 0) throw new Error(`${file}: no JSON in the output of deno bench`);
  const end = stdout.lastIndexOf("}") + 1;
  const document = JSON.parse(stdout.slice(start, end)) as DenoBenchJson;
  const notes = (stdout.slice(0, start) + stdout.slice(end)).split("\n")
    .map((line) => line.trim()).filter((line) => line !== "");
  const cases = document.benches.map((bench): MicroCase => {
    const result = bench.results[0] ?? {};
    const ok = result.ok;
    return {
      file,
      group: bench.group ?? "",
      name: bench.name,
      baseline: bench.baseline,
      n: ok?.n ?? 0,
      avgNs: ok?.avg ?? NaN,
      minNs: ok?.min ?? NaN,
      p75Ns: ok?.p75 ?? NaN,
      ...(ok === undefined ? { error: JSON.stringify(result).slice(0, 300) } : {}),
    };
  });
  return { cases, notes };
}

/**
 * Compares every case with its group's baseline (mean time per iteration).
 *
 * @param cases Cases of one or more bench files.
 * @returns One figure per non-baseline case whose group has a baseline.
 * @example
 * ```ts
 * import { microFigures } from "./report.ts";
 * import assert from "node:assert/strict";
 * const common = { file: "f", group: "g", n: 1, minNs: 1, p75Ns: 1 };
 * const figures = microFigures([
 *   { ...common, name: "plain loop", baseline: true, avgNs: 1e6 },
 *   { ...common, name: "acRms", baseline: false, avgNs: 1.5e6 },
 * ]);
 * assert.equal(figures.length, 1);
 * assert.equal(figures[0]?.ratio, 1.5);
 * assert.equal(figures[0]?.baselineName, "plain loop");
 * ```
 */
export function microFigures(cases: MicroCase[]): Figure[] {
  const figures: Figure[] = [];
  for (const item of cases) {
    if (item.baseline) continue;
    const base = cases.find((c) => c.baseline && c.group === item.group && c.file === item.file);
    if (base === undefined) continue;
    figures.push({
      figure: `${item.group}: ${item.name}`,
      unit: "ms/iter",
      ours: item.avgNs / 1e6,
      baseline: base.avgNs / 1e6,
      baselineName: base.name,
      ratio: round(item.avgNs / base.avgNs, 3),
      better: "lower",
    });
  }
  return figures;
}

/**
 * The simulator runs' headline figures: throughput at scale, command round-trip latency.
 *
 * @param scale The scale run, if any.
 * @param latency The latency run, if any.
 * @returns Their figures against the raw mqtt.js baselines.
 * @example
 * ```ts
 * import { simFigures } from "./report.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(simFigures(null, null), []);
 * ```
 */
export function simFigures(scale: ScaleResult | null, latency: LatencyResult | null): Figure[] {
  const figures: Figure[] = [];
  if (scale !== null) {
    figures.push({
      figure:
        `sim scale: snapshots/s from ${scale.devices} plugs (telemetry 1 s, ${scale.telemetryMode} mode)`,
      unit: "msg/s",
      ours: scale.sim.snapshotsPerSecond,
      baseline: scale.raw.snapshotsPerSecond,
      baselineName: `${scale.devices} raw mqtt.js clients`,
      ratio: scale.throughputRatio,
      better: "higher",
    });
  }
  if (latency !== null) {
    for (const [label, key] of [["p50", "p50Ms"], ["p99", "p99Ms"]] as const) {
      figures.push({
        figure: `sim latency: command -> state round trip ${label} (${latency.devices} plugs)`,
        unit: "ms",
        ours: latency.sim[key],
        baseline: latency.raw[key],
        baselineName: "raw mqtt.js echo clients",
        ratio: round(latency.sim[key] / latency.raw[key], 2),
        better: "lower",
      });
    }
  }
  return figures;
}

function round(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}

/** Formats a value with about 3 significant digits. */
const formatValue = (value: number, unit: string): string => {
  if (!Number.isFinite(value)) return "n/a";
  const digits = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toPrecision(3));
  if (unit === "ms/iter") {
    if (value >= 1000) return `${digits(value / 1000)} s`;
    if (value >= 1) return `${digits(value)} ms`;
    return `${digits(value * 1000)} µs`;
  }
  return `${digits(value)} ${unit}`;
};

/** What went wrong in a run: failed steps, and scale phases that stopped early. */
const problemsOf = (report: BenchReport): string[] => {
  const problems = report.errors.slice();
  const scale = report.simScale;
  if (scale !== null) {
    for (const [name, phase] of [["simulator", scale.sim], ["raw clients", scale.raw]] as const) {
      if (phase.aborted !== null) {
        problems.push(
          `sim_scale.ts: the ${name} phase stopped early (${phase.aborted}); ` +
            `${phase.connected} of ${phase.devices} connected`,
        );
      }
    }
  }
  return problems;
};

/**
 * Renders the whole report as markdown.
 *
 * @param report The results.
 * @returns The text of `RESULTS.md`.
 * @example
 * ```ts
 * import { renderResults } from "./report.ts";
 * import assert from "node:assert/strict";
 * const machine = {
 *   cpu: "X", cores: 2, deno: "2.9.6", v8: "1", memoryGiB: 4, loadAverage1m: 0, revision: "abc",
 * };
 * const text = renderResults({
 *   date: "2026-01-01T00:00:00.000Z", machine, options: {}, micro: [], notes: [],
 *   simScale: null, simLatency: null, simTables: { scale: null, latency: null }, errors: [],
 *   figures: [{ figure: "f", unit: "ms", ours: 2, baseline: 1, baselineName: "b", ratio: 2, better: "lower" }],
 * });
 * assert.ok(text.includes("| f | 2.00 ms | 1.00 ms (b) | 2 | lower |"));
 * ```
 */
export function renderResults(report: BenchReport): string {
  const m = report.machine;
  const lines = [
    "# Benchmark results",
    "",
    `Measured by \`deno task bench\` on ${report.date.slice(0, 10)}: ${m.cpu}, ${m.cores} ` +
    `logical cores, ${m.memoryGiB} GiB, Deno ${m.deno} (V8 ${m.v8}), 1-minute load ` +
    `${m.loadAverage1m.toFixed(1)} at the start. Every figure is compared with a baseline ` +
    "measured in the same run on the same machine; the ratio (ours / baseline) is what " +
    "carries over to other machines, the absolute values describe this one.",
    "",
    "## Summary",
    "",
    markdownTable(
      ["figure", "ours", "baseline (same run)", "ratio", "better"],
      report.figures.map((f) => [
        f.figure,
        formatValue(f.ours, f.unit),
        `${formatValue(f.baseline, f.unit)} (${f.baselineName})`,
        f.ratio,
        f.better,
      ]),
    ),
    "",
  ];
  const problems = problemsOf(report);
  if (problems.length > 0) {
    lines.push("**Failed in this run:**", "", ...problems.map((e) => `- ${e}`), "");
  }
  if (report.micro.length > 0) {
    lines.push(
      "## Library micro-benchmarks",
      "",
      "`deno bench` on " + MICRO_BENCHES.map((f) => `\`bench/${f}\``).join(", ") +
        "; times per iteration (mean, 75th percentile, fastest), each case against its " +
        "group's baseline.",
      "",
      markdownTable(
        ["group", "case", "mean", "p75", "min", "iterations", "vs baseline"],
        report.micro.map((c) => {
          const base = report.micro.find((b) =>
            b.baseline && b.group === c.group && b.file === c.file
          );
          const versus = c.baseline
            ? "baseline"
            : base === undefined
            ? ""
            : `${round(c.avgNs / base.avgNs, 3)}x`;
          return [
            c.group,
            c.error === undefined ? c.name : `${c.name} (failed: ${c.error})`,
            formatValue(c.avgNs / 1e6, "ms/iter"),
            formatValue(c.p75Ns / 1e6, "ms/iter"),
            formatValue(c.minNs / 1e6, "ms/iter"),
            c.n,
            versus,
          ];
        }),
      ),
      "",
    );
    if (report.notes.length > 0) {
      lines.push("Printed by the bench files:", "", ...report.notes.map((n) => `- ${n}`), "");
    }
  }
  if (report.simTables.scale !== null) {
    lines.push("## Simulator scale (`bench/sim_scale.ts`)", "", report.simTables.scale, "");
  }
  if (report.simTables.latency !== null) {
    lines.push("## Simulator latency (`bench/sim_latency.ts`)", "", report.simTables.latency, "");
  }
  lines.push(
    "Regenerate: `deno task bench` (options: `deno task bench --help`); the same data is in " +
      "`bench/results.json`.",
    "",
  );
  return lines.join("\n");
}

const USAGE = `Usage: deno task bench [options]

  --devices N          plugs (and raw clients) in the scale run (default 10000)
  --seconds S          measuring window of the scale run (default 20)
  --latency-devices N  plugs in the latency run (default 20)
  --round-trips R      round trips of each kind in the latency run (default 500)
  --broker URL         run the simulator benchmarks against an external broker
  --skip-micro         leave out the deno bench files
  --skip-sim           leave out the simulator runs
  --out DIR            where RESULTS.md and results.json go (default: bench/)
  -h, --help           this text`;

const here = new URL(".", import.meta.url);
const root = new URL("..", import.meta.url);
const began = performance.now();
const progress = (text: string): void => {
  const seconds = ((performance.now() - began) / 1000).toFixed(0).padStart(4);
  console.error(`[bench ${seconds} s] ${text}`);
};

/** Runs a deno subcommand from the repository root; stderr goes to ours (progress). */
async function deno(args: string[]): Promise<{ code: number; stdout: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  return { code: output.code, stdout: new TextDecoder().decode(output.stdout) };
}

/** Runs a simulator benchmark script with `--json`: its result and the table it printed. */
async function simRun<T>(script: string, args: string[]): Promise<{ result: T; table: string }> {
  const jsonFile = await Deno.makeTempFile({ prefix: "housegrid-bench-", suffix: ".json" });
  try {
    const run = await deno(["run", "-A", `bench/${script}`, ...args, "--json", jsonFile]);
    if (run.code !== 0) throw new Error(`${script} exited with ${run.code}`);
    const result = JSON.parse(await Deno.readTextFile(jsonFile)) as T;
    // The script's context lines above its table would run together in markdown.
    const text = run.stdout.trim();
    const split = text.indexOf("\n\n");
    const context = split < 0 ? "" : text.slice(0, split).split("\n").join("; ");
    return { result, table: split < 0 ? text : `${context}\n\n${text.slice(split + 2)}` };
  } finally {
    await Deno.remove(jsonFile).catch(() => {});
  }
}

if (import.meta.main) {
  let values;
  try {
    values = parseArgs({
      args: Deno.args,
      strict: true,
      options: {
        devices: { type: "string", default: "10000" },
        seconds: { type: "string", default: "20" },
        "latency-devices": { type: "string", default: "20" },
        "round-trips": { type: "string", default: "500" },
        broker: { type: "string" },
        "skip-micro": { type: "boolean", default: false },
        "skip-sim": { type: "boolean", default: false },
        out: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    Deno.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const report: BenchReport = {
    date: new Date().toISOString(),
    machine: machineInfo(),
    options: values,
    figures: [],
    micro: [],
    notes: [],
    simScale: null,
    simLatency: null,
    simTables: { scale: null, latency: null },
    errors: [],
  };
  if (!values["skip-micro"]) {
    for (const file of MICRO_BENCHES) {
      progress(`deno bench ${file}`);
      try {
        const run = await deno(["bench", "-A", "--json", `bench/${file}`]);
        const parsed = parseDenoBenchJson(file, run.stdout);
        report.micro.push(...parsed.cases);
        report.notes.push(...parsed.notes);
        if (run.code !== 0) report.errors.push(`${file}: deno bench exited with ${run.code}`);
      } catch (error) {
        report.errors.push(`${file}: ${(error as Error).message}`);
      }
    }
  }
  const brokerArgs = values.broker === undefined ? [] : ["--broker", values.broker];
  if (!values["skip-sim"]) {
    progress(`sim_scale.ts: ${values.devices} devices, ${values.seconds} s window`);
    try {
      const run = await simRun<ScaleResult>("sim_scale.ts", [
        "--devices",
        values.devices,
        "--seconds",
        values.seconds,
        ...brokerArgs,
      ]);
      report.simScale = run.result;
      report.simTables.scale = run.table;
      if (report.simScale.crash !== null) {
        report.errors.push(`sim_scale.ts: ${report.simScale.crash}`);
      }
    } catch (error) {
      report.errors.push(`sim_scale.ts: ${(error as Error).message}`);
    }
    progress(`sim_latency.ts: ${values["latency-devices"]} devices`);
    try {
      const run = await simRun<LatencyResult>("sim_latency.ts", [
        "--devices",
        values["latency-devices"],
        "--round-trips",
        values["round-trips"],
        ...brokerArgs,
      ]);
      report.simLatency = run.result;
      report.simTables.latency = run.table;
    } catch (error) {
      report.errors.push(`sim_latency.ts: ${(error as Error).message}`);
    }
  }
  report.figures = [
    ...microFigures(report.micro),
    ...simFigures(report.simScale, report.simLatency),
  ];
  const outDir = values.out === undefined
    ? here
    : new URL(`${values.out}/`, `file://${Deno.cwd()}/`);
  await Deno.mkdir(outDir, { recursive: true });
  const markdownUrl = new URL("RESULTS.md", outDir);
  const jsonUrl = new URL("results.json", outDir);
  await Deno.writeTextFile(markdownUrl, renderResults(report));
  await Deno.writeTextFile(jsonUrl, JSON.stringify(report, null, 2) + "\n");
  // deno fmt aligns the tables, so `deno fmt --check` stays clean on the committed files.
  await deno(["fmt", "-q", markdownUrl.pathname, jsonUrl.pathname]);
  progress(`wrote ${markdownUrl.pathname} and ${jsonUrl.pathname}`);
  const markdown = await Deno.readTextFile(markdownUrl); // as deno fmt aligned it
  const summaryAt = markdown.indexOf("## Summary");
  console.log(markdown.slice(summaryAt, markdown.indexOf("\n## ", summaryAt + 1)));
  Deno.exit(problemsOf(report).length === 0 ? 0 : 1);
}
