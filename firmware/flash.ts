/**
 * `deno task flash`: builds a device kind's bundle and uploads it with the `espruino`
 * command-line tool from npm (Telnet `tcp://<ip>:23` or a serial port), together with
 * the device configuration, which lands in Storage as `housegrid.json`.
 *
 * The upload uses the tool's own mechanisms: `--storage housegrid.json:<file>` writes
 * the configuration once (it is not part of the boot code), `--storage
 * hg.page.gz:dist/page.html.gz` the gzipped device page the chip's web server streams,
 * and "save on send" direct to flash (`SAVE_ON_SEND=1`) stores the bundle as
 * `.bootcde`, so it runs from flash at every boot, then `load()` starts it.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { buildFirmware, buildPage } from "./build.ts";
import { CONFIG_FILE, parseDeviceConfig } from "./config.ts";
import { PAGE_FILE } from "./web_page.ts";

/** The npm package that uploads, pinned. */
export const ESPRUINO_CLI = "npm:espruino@0.1.67";

/** Usage text of `deno task flash`. */
export const FLASH_USAGE =
  `Usage: deno task flash --port <port> --kind plug|fan [--config file.json]

Builds dist/<kind>.js and uploads it with the espruino tool (npm) to run from flash at
every boot, with the gzipped device page (Storage file ${PAGE_FILE}). With --config,
the device configuration is checked and written to Storage as ${CONFIG_FILE} first.

Options:
  --port <port>      tcp://<ip>:23 (Telnet, Wi-Fi) or a serial port (/dev/ttyUSB0, COM3)
  --kind plug|fan    which firmware
  --config <file>    device configuration JSON (id, pins, calibration, mqtt, wifi, web)
  --baud <rate>      serial speed (default 115200, the ESP8266 build's)
  --dry-run          print what would be run, upload nothing
  -h, --help         this text`;

/** What the flash task was asked. */
export interface FlashRequest {
  /** Where the board is. */
  port: string;
  /** Which firmware. */
  kind: "plug" | "fan";
  /** Configuration file, or `null` to keep the board's. */
  configPath: string | null;
  /** Serial speed. */
  baud: number;
  /** Print only. */
  dryRun: boolean;
}

/** The outcome of reading the command line. */
export type FlashArgs =
  | { type: "help" }
  | { type: "error"; error: string }
  | { type: "flash"; request: FlashRequest };

/**
 * Reads the flash task's command line.
 *
 * @param args The arguments (`Deno.args`).
 * @returns Help, a clear error, or the request.
 * @example
 * ```ts
 * import { parseFlashArgs } from "./flash.ts";
 * import assert from "node:assert/strict";
 * const parsed = parseFlashArgs(["--port", "tcp://10.0.0.9:23", "--kind", "fan"]);
 * assert.equal(parsed.type, "flash");
 * assert.deepEqual(parseFlashArgs(["--kind", "lamp", "--port", "/dev/ttyUSB0"]), {
 *   type: "error",
 *   error: '--kind must be plug or fan, got "lamp"',
 * });
 * ```
 */
export function parseFlashArgs(args: string[]): FlashArgs {
  let values;
  try {
    values = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: "string" },
        kind: { type: "string" },
        config: { type: "string" },
        baud: { type: "string" },
        "dry-run": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (error) {
    return { type: "error", error: error instanceof Error ? error.message : String(error) };
  }
  if (values.help) return { type: "help" };
  const port = values.port ?? "";
  if (port === "") {
    return { type: "error", error: "--port is required (tcp://<ip>:23 or /dev/ttyUSB0)" };
  }
  if (!/^tcp:\/\/[^\s/:]+(:\d+)?$/.test(port) && !/^(\/dev\/\S+|COM\d+)$/.test(port)) {
    return {
      type: "error",
      error: "--port must be tcp://<host>[:port] or a serial port like /dev/ttyUSB0 or COM3, got " +
        JSON.stringify(port),
    };
  }
  const kind = values.kind;
  if (kind !== "plug" && kind !== "fan") {
    return {
      type: "error",
      error: "--kind must be plug or fan, got " + JSON.stringify(kind ?? ""),
    };
  }
  const baud = values.baud === undefined ? 115200 : Number(values.baud);
  if (!Number.isInteger(baud) || baud < 300 || baud > 4000000) {
    return {
      type: "error",
      error: "--baud must be a whole number of bits per second, got " + values.baud,
    };
  }
  return {
    type: "flash",
    request: {
      port,
      kind,
      configPath: values.config ?? null,
      baud,
      dryRun: values["dry-run"] === true,
    },
  };
}

/**
 * Checks a configuration file's text for a device kind.
 *
 * @param text The file's contents.
 * @param kind The firmware being flashed.
 * @returns The compact JSON to store, or every problem found.
 * @example
 * ```ts
 * import { checkConfigText } from "./flash.ts";
 * import assert from "node:assert/strict";
 * const text = '{ "kind": "plug", "id": "desk", "mqtt": { "host": "10.0.0.5" } }';
 * assert.deepEqual(checkConfigText(text, "plug"), {
 *   ok: true,
 *   value: '{"kind":"plug","id":"desk","mqtt":{"host":"10.0.0.5"}}',
 * });
 * assert.equal(checkConfigText(text, "fan").ok, false);
 * ```
 */
export function checkConfigText(
  text: string,
  kind: "plug" | "fan",
): { ok: true; value: string } | { ok: false; error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      error: "not valid JSON: " + (error instanceof Error ? error.message : error),
    };
  }
  const parsed = parseDeviceConfig(value);
  if (!parsed.ok) return parsed;
  if (parsed.value.kind !== kind) {
    return {
      ok: false,
      error: "the configuration is for a " + parsed.value.kind + ", not a " + kind,
    };
  }
  return { ok: true, value: JSON.stringify(value) };
}

/**
 * The arguments of the `deno` command that runs the espruino tool.
 *
 * @param request The flash request.
 * @param bundlePath The bundle to upload.
 * @param configFile A file holding the configuration JSON, or `null` to keep the board's.
 * @param pageFile The gzipped device page to store, or `null` to keep the board's.
 * @returns Arguments for `deno` (`Deno.execPath()`).
 * @example
 * ```ts
 * import { espruinoArgs } from "./flash.ts";
 * import assert from "node:assert/strict";
 * const args = espruinoArgs({
 *   port: "tcp://10.0.0.9:23", kind: "plug", configPath: "p.json", baud: 115200, dryRun: false,
 * }, "dist/plug.js", "/tmp/p.json");
 * assert.deepEqual(args.slice(-3), ["--storage", "housegrid.json:/tmp/p.json", "dist/plug.js"]);
 * ```
 */
export function espruinoArgs(
  request: FlashRequest,
  bundlePath: string,
  configFile: string | null,
  pageFile: string | null = null,
): string[] {
  const args = [
    "run",
    "-A",
    ESPRUINO_CLI,
    "--no-ble",
    "--port",
    request.port,
    "-b",
    String(request.baud),
    // Run from flash at every boot; no line numbers (a variable per function); never
    // fetch modules: the bundle needs only Espruino's built-in ones.
    "--config",
    "SAVE_ON_SEND=1",
    "--config",
    "STORE_LINE_NUMBERS=false",
    "--config",
    "MODULE_URL=",
  ];
  if (pageFile !== null) args.push("--storage", PAGE_FILE + ":" + pageFile);
  if (configFile !== null) args.push("--storage", CONFIG_FILE + ":" + configFile);
  args.push(bundlePath);
  return args;
}

const main = async (args: string[]): Promise<number> => {
  const parsed = parseFlashArgs(args);
  if (parsed.type === "help") {
    console.log(FLASH_USAGE);
    return 0;
  }
  if (parsed.type === "error") {
    console.error("flash: " + parsed.error + "\n\n" + FLASH_USAGE);
    return 2;
  }
  const request = parsed.request;
  let configJson: string | null = null;
  if (request.configPath !== null) {
    let text: string;
    try {
      text = await Deno.readTextFile(request.configPath);
    } catch (error) {
      console.error("flash: cannot read " + request.configPath + ": " + String(error));
      return 2;
    }
    const checked = checkConfigText(text, request.kind);
    if (!checked.ok) {
      console.error("flash: " + request.configPath + ": " + checked.error);
      return 2;
    }
    configJson = checked.value;
  }
  const built = await buildFirmware(request.kind);
  await Deno.mkdir("dist", { recursive: true });
  const bundlePath = "dist/" + request.kind + ".js";
  await Deno.writeTextFile(bundlePath, built.code);
  console.log(bundlePath + "  " + built.bytes + " bytes");
  const page = await buildPage("dist");
  console.log(page.path + "  " + page.bytes + " bytes");
  const configFile = configJson === null ? null : await Deno.makeTempFile({ suffix: ".json" });
  try {
    if (configFile !== null && configJson !== null) {
      await Deno.writeTextFile(configFile, configJson);
    }
    const args = espruinoArgs(request, bundlePath, configFile, page.path);
    if (request.dryRun) {
      console.log("would run: deno " + args.join(" "));
      if (configJson !== null) {
        const shown = JSON.stringify(
          JSON.parse(configJson),
          (key, value) => (/password/i.test(key) && value !== "" ? "***" : value),
        );
        console.log("with " + CONFIG_FILE + " = " + shown);
      }
      return 0;
    }
    const status = await new Deno.Command(Deno.execPath(), { args }).spawn().status;
    return status.code;
  } finally {
    if (configFile !== null) await Deno.remove(configFile);
  }
};

if (import.meta.main) Deno.exit(await main(Deno.args));
