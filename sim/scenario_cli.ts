/**
 * `deno task sim scenario <name>`: not yet.
 *
 * @module
 */

import type { ScenarioOptions } from "./cli.ts";

/**
 * Runs a scenario from the command line.
 *
 * @param options Parsed options.
 * @returns The exit code.
 */
export function runScenarioCommand(options: ScenarioOptions): Promise<number> {
  console.error(`scenario ${options.name}: not yet`);
  return Promise.resolve(1);
}
