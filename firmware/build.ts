/**
 * The firmware build (`deno task build:firmware`): bundles each entry point into one
 * minified IIFE script (`dist/plug.js`, `dist/fan.js`), checks that the bundle is in
 * the subset Espruino 2v29 runs and `require`s nothing but Espruino's built-in modules,
 * gzips the device page (`dist/page.html.gz`, which the flash task stores for the chip's
 * web server), and prints each file's size. Any violation fails the build.
 *
 * @module
 */

import { gzipSync } from "node:zlib";
import { parse } from "acorn";
import { bundleScript } from "./bundle.ts";
import { checkEspruinoSubset } from "./espruino_subset.ts";
import { arrowsToFunctions } from "./arrow_functions.ts";
import { lazyModules } from "./lazy_modules.ts";
import { flashBindings } from "./flash_bindings.ts";
import { internalPropertyNames, renameProperties } from "./property_names.ts";
import { settingFieldsInTables } from "./setting_fields.ts";
import { BOOT_FILE, BUNDLE_END } from "./web_update.ts";

/** Modules an ESP8266 Espruino build ships; nothing else may be `require`d. */
export const ALLOWED_MODULES: readonly string[] = [
  "Wifi",
  "Storage",
  "net",
  "http",
  "crypto",
  "Flash",
];

/**
 * Whether a bundled module's bindings are made lazy (see lazy_modules.ts): all of lib/ and
 * of firmware/ but the entry points (`plug_main.ts`, `fan_main.ts`, which run at load).
 * What stays in memory is what the running closures hold; the functions that made them go
 * once the boot's task is over. Measured on Espruino 2v29 (Linux build): making the
 * runtime, MQTT, store, Wi-Fi, sensor and history modules lazy too took the plug's idle
 * from 1,160 to 1,060 variables.
 *
 * @param path The module's path, e.g. `lib/power.ts`.
 * @returns `true` to make its bindings lazy, `false` to keep them resident.
 * @example
 * ```ts
 * import { isLazyModule } from "./build.ts";
 * import assert from "node:assert/strict";
 * assert.equal(isLazyModule("lib/power.ts"), true);
 * assert.equal(isLazyModule("firmware/mqtt_net.ts"), true);
 * assert.equal(isLazyModule("firmware/plug_main.ts"), false);
 * ```
 */
export function isLazyModule(path: string): boolean {
  const entries = Object.values(FIRMWARE_ENTRIES).map((entry) => "firmware/" + entry);
  return path.startsWith("lib/") || (path.startsWith("firmware/") && !entries.includes(path));
}

/**
 * The interfaces that describe the firmware's internal state only: no configuration, setting,
 * JSON view or Espruino API. Their members that no other interface has get short names in
 * the bundle (see property_names.ts); each costs the chip a variable or more per object
 * holding it when longer than 4 characters.
 */
export const INTERNAL_STATE_TYPES: readonly string[] = [
  // lib/: the MQTT session, its parser and packets
  "MqttSessionConfig",
  "MqttSession",
  "MqttInflight",
  "MqttPendingSubscribe",
  "MqttSessionStep",
  "MqttParser",
  "MqttFeedResult",
  "Cursor",
  "RemainingLength",
  "MqttConnectPacket",
  "MqttConnackPacket",
  "MqttPublishPacket",
  "MqttSubscribePacket",
  "MqttSubackPacket",
  "MqttUnsubscribePacket",
  // lib/: the devices' state and the sums behind a reading
  "PlugDeviceState",
  "FanDeviceState",
  "RelayState",
  "EnergyState",
  "EnergyOptions",
  "PowerReading",
  "Sums",
  "PairPlan",
  "CycleWindow",
  "FanState",
  "HumidityBaseline",
  "PublishingState",
  "PublishBatch",
  "StatesEffect",
  "EffectPublish",
  "StateMessage",
  "CommandText",
  "PlugDeviceStep",
  "FanDeviceStep",
  "FanStep",
  "PlugBoot",
  "PlugBootStep",
  "FanBoot",
  "FanBootStep",
  "Wish",
  "SettingSpec",
  "SettingOrderRule",
  "RepairedSettings",
  "DecodedSettings",
  "WebRequest",
  "WebResponse",
  "ApiOutcome",
  "WebCommands",
  "LoginGate",
  "WebAuthState",
  "WebSession",
  "LoginFailures",
  "AuthLimits",
  // firmware/: the adapters' own records
  "BoundedStore",
  "StoreLimits",
  "ChipHistory",
  "ChipWeb",
  "WebView",
  "WebWifiStatus",
  "MqttNetPlatform",
  "MqttNetHandlers",
  "MqttNet",
  "Runtime",
  "RuntimePorts",
  // lib/: the settings objects; their keys stay the format, in the settings tables (see
  // setting_fields.ts)
  "PlugSettings",
  "FanSettings",
];

// Every module the bundles are made of may declare a type a bundle's object has.
const typeSources = async (): Promise<string[]> => {
  const sources: string[] = [];
  for (const folder of ["../lib/", "./"]) {
    const url = new URL(folder, import.meta.url);
    for await (const entry of Deno.readDir(url)) {
      if (!entry.name.endsWith(".ts") || entry.name.endsWith("_test.ts")) continue;
      sources.push(await Deno.readTextFile(new URL(entry.name, url)));
    }
  }
  return sources;
};

/** The device kinds and their entry points. */
export const FIRMWARE_ENTRIES: Readonly<Record<"plug" | "fan", string>> = {
  plug: "plug_main.ts",
  fan: "fan_main.ts",
};

/** One built bundle. */
export interface BuiltFirmware {
  /** `plug` or `fan`. */
  kind: "plug" | "fan";
  /** The script. */
  code: string;
  /** Size in bytes (UTF-8). */
  bytes: number;
}

interface AstNode {
  type: string;
  loc?: { start: { line: number; column: number } };
  [key: string]: unknown;
}

const isAstNode = (value: unknown): value is AstNode =>
  typeof value === "object" && value !== null && typeof (value as AstNode).type === "string";

const walk = (
  node: AstNode,
  parent: AstNode | null,
  visit: (n: AstNode, p: AstNode | null) => void,
) => {
  visit(node, parent);
  for (const key of Object.keys(node)) {
    if (key === "loc") continue;
    const value = node[key];
    const children = Array.isArray(value) ? value : [value];
    for (const child of children) if (isAstNode(child)) walk(child, node, visit);
  }
};

/**
 * Finds every use of `require` that is not a call with a literal name of an Espruino
 * built-in module (a bare `require("x")` or a member call like `globalThis.require("x")`).
 *
 * @param code A script.
 * @param allowed The module names allowed.
 * @returns One message per bad use, with its line and column; empty when all is well.
 * @example
 * ```ts
 * import { checkRequires } from "./build.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(checkRequires('var s = g.require("Storage");', ["Storage"]), []);
 * assert.deepEqual(checkRequires('var m = require("MQTT");', ["Storage"]), [
 *   '1:8 require("MQTT") is not an Espruino built-in module',
 * ]);
 * ```
 */
export function checkRequires(code: string, allowed: readonly string[]): string[] {
  const problems: string[] = [];
  let program: AstNode;
  try {
    program = parse(code, {
      ecmaVersion: "latest",
      sourceType: "script",
      locations: true,
    }) as unknown as AstNode;
  } catch (error) {
    return ["does not parse: " + String(error)];
  }
  const where = (node: AstNode): string =>
    node.loc ? node.loc.start.line + ":" + node.loc.start.column + " " : "";
  walk(program, null, (node, parent) => {
    const isName = node.type === "Identifier" && node.name === "require";
    const isMember = node.type === "MemberExpression" && !node.computed &&
      (node.property as AstNode).type === "Identifier" &&
      (node.property as AstNode).name === "require";
    if (!isName && !isMember) return;
    // The property node of `x.require` is seen through its MemberExpression; a key
    // named `require` in an object literal is no use of it.
    if (
      isName && parent !== null && parent.type === "MemberExpression" && parent.property === node
    ) {
      return;
    }
    if (
      isName && parent !== null &&
      (parent.type === "Property" || parent.type === "MethodDefinition") &&
      parent.key === node && parent.computed !== true && parent.shorthand !== true
    ) {
      return;
    }
    const call = parent !== null && parent.type === "CallExpression" && parent.callee === node
      ? parent
      : null;
    const argument = call === null ? undefined : (call.arguments as AstNode[])[0];
    if (call === null || argument === undefined || argument.type !== "Literal") {
      problems.push(where(node) + 'require used other than as require("<module>")');
      return;
    }
    const name = String(argument.value);
    if (!allowed.includes(name)) {
      problems.push(
        where(call) + "require(" + JSON.stringify(name) + ") is not an Espruino built-in module",
      );
    }
  });
  return problems;
}

/**
 * Bundles and checks one device kind's firmware.
 *
 * @param kind `plug` or `fan`.
 * @returns The minified bundle and its size.
 * @throws When the bundle leaves the Espruino subset or requires a module Espruino lacks.
 * @example
 * ```ts ignore
 * import { buildFirmware } from "./build.ts";
 * const built = await buildFirmware("plug");
 * console.log(built.bytes);
 * ```
 */
export async function buildFirmware(kind: "plug" | "fan"): Promise<BuiltFirmware> {
  const entry = new URL(FIRMWARE_ENTRIES[kind], import.meta.url);
  // Bindings are made per use (see lazy_modules.ts), then everything is minified.
  const bundled = await bundleScript(entry.pathname, { minify: false });
  const lazy = await Deno.makeTempFile({ prefix: "housegrid-" + kind + "-", suffix: ".js" });
  let code: string;
  try {
    // All but the entry points' bindings are made lazy (see isLazyModule). Plain
    // functions cost Espruino one variable less than arrows (see arrow_functions.ts).
    const shortened = renameProperties(
      arrowsToFunctions(lazyModules(bundled, isLazyModule)),
      internalPropertyNames(await typeSources(), INTERNAL_STATE_TYPES),
      await readByOthers(),
    );
    await Deno.writeTextFile(lazy, settingFieldsInTables(shortened.code, shortened.renamed).code);
    // The lazy bindings' code is then read from flash one binding at a time.
    code = flashBindings(await bundleScript(lazy, { minify: true, format: "esm" }), BOOT_FILE) +
      BUNDLE_END + "\n";
  } finally {
    await Deno.remove(lazy);
  }
  const problems = checkEspruinoSubset(code)
    .map((v) => v.line + ":" + v.column + " " + v.message)
    .concat(checkRequires(code, ALLOWED_MODULES));
  if (problems.length > 0) {
    throw new Error(kind + " firmware does not fit Espruino 2v29:\n  " + problems.join("\n  "));
  }
  return { kind, code, bytes: new TextEncoder().encode(code).length };
}

// The page and the API's description: the JSON names they read keep their meaning.
const readByOthers = async (): Promise<string[]> => [
  await Deno.readTextFile(new URL("../web/device.html", import.meta.url)),
  await Deno.readTextFile(new URL("../web/API.md", import.meta.url)),
];

/** The gzipped page's file name in the build's output folder. */
export const PAGE_BUILD_FILE = "page.html.gz";

/**
 * Gzips the device page for the chip (it serves the bytes as they are, with
 * `Content-Encoding: gzip`). The gzip header's time is zero, so the same page always
 * gives the same bytes.
 *
 * @param html The page, `web/device.html` by default.
 * @returns The gzip bytes.
 * @example
 * ```ts
 * import { gzipPage } from "./build.ts";
 * import { gunzipSync } from "node:zlib";
 * import assert from "node:assert/strict";
 * const page = "<!doctype html><title>x</title>".repeat(50);
 * const gz = gzipPage(page);
 * assert.ok(gz.length < page.length / 5);
 * assert.equal(new TextDecoder().decode(gunzipSync(gz)), page);
 * ```
 */
export function gzipPage(html: string): Uint8Array {
  return new Uint8Array(gzipSync(new TextEncoder().encode(html), { level: 9 }));
}

/**
 * Gzips `web/device.html` into a folder.
 *
 * @param outDir Where to write {@linkcode PAGE_BUILD_FILE}.
 * @returns The file's path and size.
 */
export async function buildPage(outDir: string): Promise<{ path: string; bytes: number }> {
  const html = await Deno.readTextFile(new URL("../web/device.html", import.meta.url));
  const gz = gzipPage(html);
  await Deno.mkdir(outDir, { recursive: true });
  const path = outDir + "/" + PAGE_BUILD_FILE;
  await Deno.writeFile(path, gz);
  return { path, bytes: gz.length };
}

/**
 * Builds both bundles, and the gzipped page, into a folder.
 *
 * @param outDir Where to write `plug.js`, `fan.js` and `page.html.gz`.
 * @returns The bundles built.
 */
export async function buildAll(outDir: string): Promise<BuiltFirmware[]> {
  await Deno.mkdir(outDir, { recursive: true });
  const built: BuiltFirmware[] = [];
  for (const kind of ["plug", "fan"] as const) {
    const firmware = await buildFirmware(kind);
    await Deno.writeTextFile(outDir + "/" + kind + ".js", firmware.code);
    built.push(firmware);
  }
  await buildPage(outDir);
  return built;
}

if (import.meta.main) {
  const outDir = Deno.args[0] ?? "dist";
  try {
    for (const firmware of await buildAll(outDir)) {
      console.log(`${outDir}/${firmware.kind}.js  ${firmware.bytes} bytes`);
    }
    const page = await Deno.stat(outDir + "/" + PAGE_BUILD_FILE);
    console.log(`${outDir}/${PAGE_BUILD_FILE}  ${page.size} bytes`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    Deno.exit(1);
  }
}
