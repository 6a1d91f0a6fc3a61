/**
 * What the simulator benchmark scripts (`sim_scale.ts`, `sim_latency.ts`,
 * `sim_virtual_time.ts`) share: flag parsing, the machine description, event-loop lag and
 * CPU meters, percentiles, and the markdown/JSON output. Figures are ratios against a
 * baseline measured in the same run; absolute times only describe the run.
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";

/** Flags every simulator benchmark takes. */
export interface BenchFlags {
  /** How many devices (or round trips, for latency). */
  devices: number;
  /** How long to measure, in wall seconds. */
  seconds: number;
  /** Where to write the JSON result, if anywhere. */
  json: string | null;
  /** Values of the script's own string flags, by name. */
  extra: Record<string, string | undefined>;
}

/**
 * Parses `--devices N --seconds S --json FILE` (and `--help`).
 *
 * @param args Command-line arguments.
 * @param defaults Values for missing flags.
 * @param usage Text printed for `--help` or a bad flag.
 * @param extraFlags Names of the script's own string flags.
 * @returns The flags, or `null` after printing usage (the caller exits).
 * @example
 * ```ts
 * import { parseBenchFlags } from "./sim_bench_common.ts";
 * import assert from "node:assert/strict";
 * const defaults = { devices: 1000, seconds: 20, json: null, extra: {} };
 * const flags = parseBenchFlags(["--devices", "20", "--x", "y"], defaults, "", ["x"]);
 * assert.deepEqual(flags, { devices: 20, seconds: 20, json: null, extra: { x: "y" } });
 * ```
 */
export function parseBenchFlags(
  args: string[],
  defaults: BenchFlags,
  usage: string,
  extraFlags: string[] = [],
): BenchFlags | null {
  const options: Record<string, { type: "string" } | { type: "boolean"; short: string }> = {
    devices: { type: "string" },
    seconds: { type: "string" },
    json: { type: "string" },
    help: { type: "boolean", short: "h" },
  };
  for (const name of extraFlags) options[name] = { type: "string" };
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    return null;
  }
  const values = parsed.values;
  if (values.help) {
    console.log(usage);
    return null;
  }
  const devices = typeof values.devices === "string" ? Number(values.devices) : defaults.devices;
  const seconds = typeof values.seconds === "string" ? Number(values.seconds) : defaults.seconds;
  if (!Number.isInteger(devices) || devices < 1 || !(seconds > 0)) {
    console.error(`--devices must be a whole number >= 1 and --seconds above 0\n\n${usage}`);
    return null;
  }
  const extra: Record<string, string | undefined> = { ...defaults.extra };
  for (const name of extraFlags) {
    const value = values[name];
    if (typeof value === "string") extra[name] = value;
  }
  const json = typeof values.json === "string" ? values.json : defaults.json;
  return { devices, seconds, json, extra };
}

/** The machine a result was measured on. */
export interface MachineInfo {
  /** CPU model from /proc/cpuinfo. */
  cpu: string;
  /** Logical cores. */
  cores: number;
  /** Deno version. */
  deno: string;
  /** V8 version. */
  v8: string;
  /** Total memory in GiB. */
  memoryGiB: number;
  /** 1-minute load average when the run began (other work on the machine skews figures). */
  loadAverage1m: number;
  /** The code measured: git commit, with `+dirty` when `sim/` or `lib/` had changes. */
  revision: string;
}

const gitRevision = (): string => {
  try {
    const cwd = new URL("..", import.meta.url).pathname;
    const git = (args: string[]): string =>
      new TextDecoder().decode(
        new Deno.Command("git", { args, cwd, stderr: "null" }).outputSync().stdout,
      ).trim();
    const commit = git(["rev-parse", "--short", "HEAD"]);
    if (commit === "") return "unknown";
    return git(["status", "--porcelain", "--", "sim", "lib"]) === "" ? commit : `${commit}+dirty`;
  } catch {
    return "unknown";
  }
};

/**
 * Describes this machine.
 *
 * @returns CPU model, cores, Deno and V8 versions, memory.
 * @example
 * ```ts
 * import { machineInfo } from "./sim_bench_common.ts";
 * import assert from "node:assert/strict";
 * assert.ok(machineInfo().cores >= 1);
 * ```
 */
export function machineInfo(): MachineInfo {
  let cpu = "unknown";
  try {
    const line = Deno.readTextFileSync("/proc/cpuinfo").split("\n")
      .find((text) => text.startsWith("model name"));
    if (line !== undefined) cpu = line.slice(line.indexOf(":") + 1).trim();
  } catch {
    // Not Linux: the model stays unknown.
  }
  return {
    cpu,
    cores: navigator.hardwareConcurrency,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    memoryGiB: Math.round(Deno.systemMemoryInfo().total / 2 ** 30),
    loadAverage1m: Deno.loadavg()[0] ?? NaN,
    revision: gitRevision(),
  };
}

/**
 * The value at a percentile of ascending numbers (nearest rank).
 *
 * @param sorted Numbers in ascending order.
 * @param p Percentile, 0..100.
 * @returns The value, or `NaN` for no numbers.
 * @example
 * ```ts
 * import { percentile } from "./sim_bench_common.ts";
 * import assert from "node:assert/strict";
 * assert.equal(percentile([1, 2, 3, 4], 50), 2);
 * assert.equal(percentile([1, 2, 3, 4], 99), 4);
 * ```
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** How late the event loop ran a periodic timer, in ms. */
export interface LagSummary {
  /** Median lateness. */
  p50Ms: number;
  /** 99th percentile. */
  p99Ms: number;
  /** Worst. */
  maxMs: number;
}

/** Measures event-loop lag and peak RSS with a periodic timer. */
export class LoopMeter {
  #lags: number[] = [];
  #timer: ReturnType<typeof setInterval> | undefined;
  #last = 0;
  #periodMs: number;
  /** Peak resident set size seen, in bytes. */
  peakRssBytes = 0;

  /**
   * Creates a meter (not started).
   *
   * @param periodMs Timer period.
   */
  constructor(periodMs = 100) {
    this.#periodMs = periodMs;
  }

  /** Starts measuring, forgetting earlier lags (the RSS peak is kept). */
  start(): void {
    this.stop();
    this.#lags = [];
    this.#last = performance.now();
    this.#timer = setInterval(() => {
      const now = performance.now();
      this.#lags.push(Math.max(0, now - this.#last - this.#periodMs));
      this.#last = now;
      this.peakRssBytes = Math.max(this.peakRssBytes, Deno.memoryUsage().rss);
    }, this.#periodMs);
  }

  /** Stops the timer. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Lag since `start`. */
  summary(): LagSummary {
    const sorted = this.#lags.slice().sort((a, b) => a - b);
    return {
      p50Ms: round(percentile(sorted, 50), 1),
      p99Ms: round(percentile(sorted, 99), 1),
      maxMs: round(sorted.at(-1) ?? NaN, 1),
    };
  }
}

/** Measures CPU time (all threads) against wall time. */
export class CpuMeter {
  #cpu = process.cpuUsage();
  #wall = performance.now();

  /** Restarts the measurement. */
  reset(): void {
    this.#cpu = process.cpuUsage();
    this.#wall = performance.now();
  }

  /** CPU time since `reset` as a percentage of one core over the same wall time. */
  percentOfOneCore(): number {
    const used = process.cpuUsage(this.#cpu);
    const wallMs = performance.now() - this.#wall;
    return round(((used.user + used.system) / 1000 / wallMs) * 100, 0);
  }
}

/**
 * Rounds to a number of decimals.
 *
 * @param value The number.
 * @param decimals Decimals kept.
 * @returns The rounded number.
 * @example
 * ```ts
 * import { round } from "./sim_bench_common.ts";
 * import assert from "node:assert/strict";
 * assert.equal(round(1.2345, 2), 1.23);
 * ```
 */
export function round(value: number, decimals: number): number {
  const scale = Math.pow(10, decimals);
  return Math.round(value * scale) / scale;
}

/**
 * Formats rows as a markdown table.
 *
 * @param header Column names.
 * @param rows Cells.
 * @returns The table text.
 * @example
 * ```ts
 * import { markdownTable } from "./sim_bench_common.ts";
 * import assert from "node:assert/strict";
 * assert.equal(markdownTable(["a"], [["1"]]), "| a |\n| --- |\n| 1 |");
 * ```
 */
export function markdownTable(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]): string => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/**
 * Waits some wall time.
 *
 * @param ms Milliseconds.
 * @returns A promise resolved after `ms`.
 * @example
 * ```ts
 * import { sleep } from "./sim_bench_common.ts";
 * await sleep(1);
 * ```
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Writes a result as pretty JSON when a path was given.
 *
 * @param path Output file, or `null` for none.
 * @param value The result.
 * @example
 * ```ts
 * import { writeJson } from "./sim_bench_common.ts";
 * await writeJson(null, { nothing: true });
 * ```
 */
export async function writeJson(path: string | null, value: unknown): Promise<void> {
  if (path !== null) await Deno.writeTextFile(path, JSON.stringify(value, null, 2) + "\n");
}
