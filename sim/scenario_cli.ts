/**
 * `deno task sim scenario <name> [--out DIR] [--seed N]`: runs a named scenario as fast as
 * possible, shows progress on stderr (a bar on a terminal, a few plain lines otherwise),
 * writes `<name>.csv` and `<name>.svg` into the output folder and prints a summary.
 *
 * @module
 */

import { join } from "node:path";
import { renderChart } from "./chart.ts";
import type { ScenarioOptions } from "./cli.ts";
import { toCsv } from "./csv.ts";
import { HOUR_MS, type ProgressFn, round, type ScenarioResult } from "./scenario.ts";
import { isScenarioName, runScenario, SCENARIO_DURATION_MS, SCENARIO_NAMES } from "./scenarios.ts";

export type { ScenarioOptions };

/** Where the command writes text; tests pass their own. */
export interface ScenarioIo {
  /** Progress (stderr). */
  progress(text: string): void;
  /** Results (stdout). */
  out(text: string): void;
  /** Whether progress goes to a terminal (draw a bar) or not (plain lines). */
  isTerminal: boolean;
}

const encoder = new TextEncoder();

/** The process's own stdout and stderr. */
const processIo = (): ScenarioIo => ({
  progress: (text) => void Deno.stderr.writeSync(encoder.encode(text)),
  out: (text) => void Deno.stdout.writeSync(encoder.encode(text)),
  isTerminal: Deno.stderr.isTerminal(),
});

/**
 * Makes a progress reporter: on a terminal a bar redrawn in place when the percentage
 * changes; otherwise one line at each quarter.
 *
 * @param label What runs, e.g. the scenario name.
 * @param simulatedMs Simulated time of the whole run (shown as `h:mm of h:mm`).
 * @param write Where the text goes.
 * @param isTerminal Draw a bar (true) or print plain lines.
 * @returns A {@linkcode ProgressFn}; it ends the bar's line at 100 %.
 * @example
 * ```ts
 * import { progressReporter } from "./scenario_cli.ts";
 * import assert from "node:assert/strict";
 * const lines: string[] = [];
 * const report = progressReporter("kettle", 3600000, (t) => lines.push(t), false);
 * for (let n = 1; n <= 100; n++) report(n / 100);
 * assert.deepEqual(lines.map((l) => l.trim().split(" ")[1]), ["25%", "50%", "75%", "100%"]);
 * ```
 */
export function progressReporter(
  label: string,
  simulatedMs: number,
  write: (text: string) => void,
  isTerminal: boolean,
): ProgressFn {
  let shown = -1;
  const clock = (fraction: number): string => {
    const minutes = Math.round((fraction * simulatedMs) / 60000);
    return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, "0")}`;
  };
  return (fraction) => {
    const percent = Math.floor(Math.min(1, Math.max(0, fraction)) * 100);
    if (isTerminal) {
      if (percent === shown) return;
      shown = percent;
      const width = 30;
      const filled = Math.round((percent / 100) * width);
      write(
        `\r${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ` +
          `${String(percent).padStart(3)}%  ${clock(fraction)} of ${clock(1)} simulated` +
          (percent === 100 ? "\n" : ""),
      );
      return;
    }
    const quarter = Math.floor(percent / 25) * 25;
    if (quarter <= shown || quarter === 0) return;
    shown = quarter;
    write(`${label}: ${quarter}% (${clock(quarter / 100)} of ${clock(1)} simulated)\n`);
  };
}

/** Paths and sizes of what {@linkcode writeScenarioFiles} wrote. */
export interface WrittenFiles {
  /** The CSV file. */
  csvPath: string;
  /** The SVG file. */
  svgPath: string;
  /** SVG size in bytes. */
  svgBytes: number;
}

/**
 * Writes a result as `<outDir>/<name>.csv` and `<outDir>/<name>.svg`, creating the folder.
 *
 * @param result A scenario's result.
 * @param outDir The output folder.
 * @returns The paths written.
 */
export async function writeScenarioFiles(
  result: ScenarioResult,
  outDir: string,
): Promise<WrittenFiles> {
  await Deno.mkdir(outDir, { recursive: true });
  const csvPath = join(outDir, `${result.name}.csv`);
  const svgPath = join(outDir, `${result.name}.svg`);
  const svg = renderChart(result.chart);
  await Deno.writeTextFile(csvPath, toCsv(result.columns, result.rows));
  await Deno.writeTextFile(svgPath, svg);
  return { csvPath, svgPath, svgBytes: encoder.encode(svg).length };
}

/**
 * Simulation speed of a run: device-hours simulated per second of wall time.
 *
 * @param result A scenario's result.
 * @returns Device-hours per wall second.
 * @example
 * ```ts
 * import { deviceHoursPerSecond } from "./scenario_cli.ts";
 * import assert from "node:assert/strict";
 * const speed = deviceHoursPerSecond({ simulatedMs: 86400000, deviceCount: 1, wallMs: 500 });
 * assert.equal(speed, 48);
 * ```
 */
export function deviceHoursPerSecond(
  result: Pick<ScenarioResult, "simulatedMs" | "deviceCount" | "wallMs">,
): number {
  const deviceHours = (result.deviceCount * result.simulatedMs) / HOUR_MS;
  return deviceHours / Math.max(result.wallMs / 1000, 1e-6);
}

/**
 * Runs a scenario from the command line: progress on stderr, files into `--out`, a
 * summary on stdout.
 *
 * @param options Parsed options (name, output folder, seed).
 * @param io Where text goes (default the process's stdout and stderr).
 * @returns The exit code: 0 when the files were written, 1 on failure, 2 for an unknown name.
 */
export async function runScenarioCommand(
  options: ScenarioOptions,
  io: ScenarioIo = processIo(),
): Promise<number> {
  const name = options.name;
  if (!isScenarioName(name)) {
    io.progress(`housegrid sim: unknown scenario "${name}"; known: ${SCENARIO_NAMES.join(", ")}\n`);
    return 2;
  }
  try {
    const onProgress = progressReporter(
      name,
      SCENARIO_DURATION_MS[name],
      io.progress,
      io.isTerminal,
    );
    const result = runScenario(name, { seed: options.seed, onProgress });
    const files = await writeScenarioFiles(result, options.outDir);
    const deviceHours = (result.deviceCount * result.simulatedMs) / HOUR_MS;
    io.out(
      `${name}: ${result.summary}\n` +
        `  simulated ${round(deviceHours, 2)} device-h in ${round(result.wallMs / 1000, 2)} s ` +
        `(${round(deviceHoursPerSecond(result), 1)} device-h per wall second), ` +
        `${result.messages} MQTT messages, seed ${options.seed}\n` +
        `  wrote ${files.csvPath} (${result.rows.length} rows) and ${files.svgPath} ` +
        `(${round(files.svgBytes / 1024, 1)} KB)\n`,
    );
    return 0;
  } catch (error) {
    io.progress(
      `\nhousegrid sim: scenario ${name} failed: ${
        error instanceof Error ? error.message : String(error)
      }\n`,
    );
    return 1;
  }
}
