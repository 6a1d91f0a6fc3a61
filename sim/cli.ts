/**
 * The simulator's command line: flags parsed with `node:util` `parseArgs`, a clear error
 * for anything unknown or malformed, and `--help` for every command.
 *
 * @module
 */

import { parseArgs } from "node:util";

/** Options of `deno task sim` (the fleet). */
export interface RunOptions {
  /** Marks a fleet run. */
  command: "run";
  /** External broker URL, or `null` for the in-process aedes broker. */
  brokerUrl: string | null;
  /** Username for an external broker (`--username`), or `null`. */
  brokerUsername: string | null;
  /** Password for an external broker (`--password`), or `null`. */
  brokerPassword: string | null;
  /** Port of the in-process broker (a free one if taken). */
  mqttPort: number;
  /** Port of the web server (0 = any free port). */
  webPort: number;
  /** Host the servers listen on. */
  host: string;
  /** Virtual time speed: N x real time. */
  speed: number;
  /** Data folder for settings and energy totals. */
  dataDir: string;
  /** Topic prefix, empty or ending with `/`. */
  prefix: string;
  /** Seed of every random choice. */
  seed: number;
  /** Fleet file (JSON), or `null` for flags/defaults. */
  fleetFile: string | null;
  /** Number of plugs (`--plugs`); with `fans`, overrides the default fleet. `null` if unset. */
  plugs: number | null;
  /** Number of fans (`--fans`); with `plugs`, overrides the default fleet. `null` if unset. */
  fans: number | null;
  /** Added to every device number, so split fleets get disjoint ids (`--id-offset`). */
  idOffset: number;
  /** Require per-device credentials and the ACL on the in-process broker. */
  secure: boolean;
  /** Run devices from the built firmware bundles inside the Espruino shim. */
  firmware: boolean;
}

/** Options of `deno task sim scenario <name>`. */
export interface ScenarioOptions {
  /** Marks a scenario run. */
  command: "scenario";
  /** Scenario name. */
  name: string;
  /** Output folder for the CSV and SVG. */
  outDir: string;
  /** Seed of every random choice. */
  seed: number;
}

/** What the command line asks for. */
export type CliRequest =
  | RunOptions
  | ScenarioOptions
  | { command: "help"; text: string }
  | { command: "error"; message: string };

/** Help text of the fleet command. */
export const RUN_HELP = `housegrid simulator: fake plugs and fans on a virtual clock over MQTT

Usage: deno task sim [options]
       deno task sim scenario <name> [options]   (deno task sim scenario --help)

Options:
  --broker URL          use an external broker (mqtt://host:port) instead of the
                        in-process aedes broker
  --username NAME       username for the external broker
  --password SECRET     password for the external broker
  --mqtt-port N         port of the in-process broker (default 1883; a free port if taken)
  --web-port N          port of the web pages (default 8080; 0 = any free port)
  --host ADDR           address to listen on (default 127.0.0.1)
  --speed N             virtual time runs N x real time (default 1)
  --data DIR            folder for settings and energy totals (default ./.housegrid)
  --prefix P            topic prefix, e.g. home/ (default none)
  --seed N              seed of every random choice (default 1)
  --fleet FILE          fleet file (JSON) choosing kinds, counts, ids and scenarios
  --plugs N             run N plugs (plug1..plugN) instead of the default fleet
  --fans N              run N fans (fan1..fanN) instead of the default fleet
  --id-offset N         number ids from N+1 (split a fleet over several processes)
  --secure              per-device credentials and ACL on the in-process broker
  --firmware            run devices from the built firmware bundles
  -h, --help            show this help
`;

/** Help text of the scenario command. */
export const SCENARIO_HELP =
  `Run a named scenario as fast as possible; write a CSV and an SVG chart.

Usage: deno task sim scenario <name> [--out DIR] [--seed N]

Scenarios:
  bathroom-day    a bathroom fan through a day with two showers
  toilet-day      a toilet fan through a day of visits
  kettle          a plug with a kettle
  fridge          a plug with a fridge-like cycling load
  overload        a plug whose load exceeds max_power

Options:
  --out DIR       output folder (default ./out)
  --seed N        seed of every random choice (default 1)
  -h, --help      show this help
`;

const SCENARIOS = ["bathroom-day", "toilet-day", "kettle", "fridge", "overload"];

const RUN_OPTIONS = {
  broker: { type: "string" },
  username: { type: "string" },
  password: { type: "string" },
  "mqtt-port": { type: "string", default: "1883" },
  "web-port": { type: "string", default: "8080" },
  host: { type: "string", default: "127.0.0.1" },
  speed: { type: "string", default: "1" },
  data: { type: "string", default: "./.housegrid" },
  prefix: { type: "string", default: "" },
  seed: { type: "string", default: "1" },
  fleet: { type: "string" },
  plugs: { type: "string" },
  fans: { type: "string" },
  "id-offset": { type: "string", default: "0" },
  secure: { type: "boolean", default: false },
  firmware: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

const SCENARIO_OPTIONS = {
  out: { type: "string", default: "./out" },
  seed: { type: "string", default: "1" },
  help: { type: "boolean", short: "h", default: false },
} as const;

/**
 * Parses the simulator's command line.
 *
 * @param args The arguments after the script name.
 * @returns What to run, the help text, or a clear error.
 * @example
 * ```ts
 * import { parseCommandLine } from "./cli.ts";
 * import assert from "node:assert/strict";
 * const request = parseCommandLine(["--speed", "60"]);
 * assert.equal(request.command === "run" && request.speed, 60);
 * assert.deepEqual(parseCommandLine(["--sped", "60"]), {
 *   command: "error",
 *   message: "unknown option --sped; did you mean --speed? (try --help)",
 * });
 * ```
 */
export function parseCommandLine(args: string[]): CliRequest {
  const scenario = args[0] === "scenario";
  try {
    return scenario ? parseScenario(args.slice(1)) : parseRun(args);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const unknown = /^Unknown option '([^']+)'/.exec(message);
    if (unknown === null) return { command: "error", message };
    // node:util's own wording suggests `--` for positionals, which misleads here.
    const option = unknown[1]!;
    const known = Object.keys(scenario ? SCENARIO_OPTIONS : RUN_OPTIONS);
    const typed = option.replace(/^-+/, "");
    const near = known.find((name) => editDistance(typed, name) <= (typed.length >= 3 ? 2 : 0));
    const hint = near === undefined ? "" : `; did you mean --${near}?`;
    return {
      command: "error",
      message: `unknown option ${option}${hint} (try ${scenario ? "scenario " : ""}--help)`,
    };
  }
}

/** Levenshtein distance, for "did you mean" hints on mistyped options. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function parseRun(args: string[]): CliRequest {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: RUN_OPTIONS,
  });
  if (values.help) return { command: "help", text: RUN_HELP };
  if (positionals.length > 0) {
    throw new Error(`unknown command "${positionals[0]}" (try --help)`);
  }
  const brokerUrl = values.broker ?? null;
  if (brokerUrl !== null && !/^(mqtts?|wss?|tcp):\/\/[^/\s]+/.test(brokerUrl)) {
    throw new Error(`--broker must look like mqtt://host:port, got "${brokerUrl}"`);
  }
  if (values.secure && brokerUrl !== null) {
    throw new Error(
      "--secure sets up credentials on the in-process broker; for an external broker " +
        "give its --username and --password instead",
    );
  }
  const prefix = values.prefix;
  if (prefix !== "" && !/^[A-Za-z0-9_\-/]*\/$/.test(prefix)) {
    throw new Error(`--prefix must be empty or end with "/" (e.g. home/), got "${prefix}"`);
  }
  return {
    command: "run",
    brokerUrl,
    brokerUsername: values.username ?? null,
    brokerPassword: values.password ?? null,
    mqttPort: integer("--mqtt-port", values["mqtt-port"], 0, 65535),
    webPort: integer("--web-port", values["web-port"], 0, 65535),
    host: values.host,
    speed: positive("--speed", values.speed),
    dataDir: values.data,
    prefix,
    seed: integer("--seed", values.seed, 0, 2 ** 32 - 1),
    fleetFile: values.fleet ?? null,
    plugs: values.plugs === undefined ? null : integer("--plugs", values.plugs, 0, 100000),
    fans: values.fans === undefined ? null : integer("--fans", values.fans, 0, 100000),
    idOffset: integer("--id-offset", values["id-offset"], 0, 10_000_000),
    secure: values.secure,
    firmware: values.firmware,
  };
}

function parseScenario(args: string[]): CliRequest {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: SCENARIO_OPTIONS,
  });
  if (values.help) return { command: "help", text: SCENARIO_HELP };
  const name = positionals[0];
  if (name === undefined) throw new Error("scenario needs a name: " + SCENARIOS.join(", "));
  if (!SCENARIOS.includes(name)) {
    throw new Error(`unknown scenario "${name}"; known: ${SCENARIOS.join(", ")}`);
  }
  if (positionals.length > 1) throw new Error(`unexpected argument "${positionals[1]}"`);
  return {
    command: "scenario",
    name,
    outDir: values.out,
    seed: integer("--seed", values.seed, 0, 2 ** 32 - 1),
  };
}

function integer(flag: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) throw new Error(`${flag} must be a whole number, got "${text}"`);
  const value = Number(text);
  if (value < min || value > max) {
    throw new Error(`${flag} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

function positive(flag: string, text: string): number {
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(value > 0)) {
    throw new Error(`${flag} must be a positive number, got "${text}"`);
  }
  return value;
}
