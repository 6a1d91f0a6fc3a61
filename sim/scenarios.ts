/**
 * The named scenarios of `deno task sim scenario <name>`, and one entry point to run any
 * of them.
 *
 * @module
 */

import { HOUR_MS, MINUTE_MS, type ProgressFn, type ScenarioResult } from "./scenario.ts";
import { bathroomDay, toiletDay } from "./scenario_fan.ts";
import { fridgeScenario, kettleScenario, overloadScenario } from "./scenario_plug.ts";

export type { ScenarioResult } from "./scenario.ts";

/** Every scenario name, as the command line accepts them. */
export const SCENARIO_NAMES = [
  "bathroom-day",
  "toilet-day",
  "kettle",
  "fridge",
  "overload",
] as const;

/** A scenario name. */
export type ScenarioName = typeof SCENARIO_NAMES[number];

/** How long each scenario simulates unless told otherwise. */
export const SCENARIO_DURATION_MS: Readonly<Record<ScenarioName, number>> = {
  "bathroom-day": 24 * HOUR_MS,
  "toilet-day": 24 * HOUR_MS,
  kettle: HOUR_MS,
  fridge: 24 * HOUR_MS,
  overload: 20 * MINUTE_MS,
};

/** Options of {@linkcode runScenario}. */
export interface ScenarioRunOptions {
  /** Seed of every random choice (default 1). */
  seed?: number;
  /** Simulated time instead of the scenario's own (tests shorten runs). */
  durationMs?: number;
  /** Told the fraction done, 0..1. */
  onProgress?: ProgressFn;
  /** Fan scenarios: a `check_period` (s) sent to the fan once online. */
  checkPeriodS?: number;
}

/**
 * Tells whether a text names a scenario.
 *
 * @param name Any text.
 * @returns `true` for one of {@linkcode SCENARIO_NAMES}.
 * @example
 * ```ts
 * import { isScenarioName } from "./scenarios.ts";
 * import assert from "node:assert/strict";
 * assert.equal(isScenarioName("kettle"), true);
 * assert.equal(isScenarioName("teapot"), false);
 * ```
 */
export function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name);
}

/**
 * Runs a named scenario to the end, as fast as possible.
 *
 * @param name The scenario.
 * @param options Seed, duration, progress.
 * @returns Rows, chart, summary and figures.
 * @example
 * ```ts
 * import { runScenario } from "./scenarios.ts";
 * import assert from "node:assert/strict";
 * const result = runScenario("overload", { durationMs: 60000 });
 * assert.equal(result.facts.tripped, 1);
 * assert.equal(result.rows.length, 12); // a sample every 5 s
 * ```
 */
export function runScenario(name: ScenarioName, options: ScenarioRunOptions = {}): ScenarioResult {
  const common = {
    seed: options.seed ?? 1,
    durationMs: options.durationMs ?? SCENARIO_DURATION_MS[name],
    onProgress: options.onProgress,
  };
  switch (name) {
    case "bathroom-day":
      return bathroomDay({ ...common, checkPeriodS: options.checkPeriodS });
    case "toilet-day":
      return toiletDay({ ...common, checkPeriodS: options.checkPeriodS });
    case "kettle":
      return kettleScenario(common);
    case "fridge":
      return fridgeScenario(common);
    case "overload":
      return overloadScenario(common);
  }
}
