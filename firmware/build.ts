/**
 * The firmware build (`deno task build:firmware`): bundles each entry point into one
 * minified IIFE script (`dist/plug.js`, `dist/fan.js`), checks that the bundle is in
 * the subset Espruino 2v29 runs and `require`s nothing but Espruino's built-in modules,
 * and prints each file's size. Any violation fails the build.
 *
 * @module
 */

import { parse } from "acorn";
import { bundleScript } from "./bundle.ts";
import { checkEspruinoSubset } from "./espruino_subset.ts";
import { lazyModules } from "./lazy_modules.ts";

/** Modules an ESP8266 Espruino build ships; nothing else may be `require`d. */
export const ALLOWED_MODULES: readonly string[] = ["Wifi", "Storage", "net", "http", "crypto"];

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
  // lib/ is instantiated per use (see lazy_modules.ts), then everything is minified.
  const bundled = await bundleScript(entry.pathname, { minify: false });
  const lazy = await Deno.makeTempFile({ prefix: "housegrid-" + kind + "-", suffix: ".js" });
  let code: string;
  try {
    // Only lib/ is made lazy: firmware modules hold the long-lived closures anyway, and
    // making them lazy too was measured to cost more than it saves.
    await Deno.writeTextFile(lazy, lazyModules(bundled, (path) => path.startsWith("lib/")));
    code = await bundleScript(lazy, { minify: true });
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

/**
 * Builds both bundles into a folder.
 *
 * @param outDir Where to write `plug.js` and `fan.js`.
 * @returns What was built.
 */
export async function buildAll(outDir: string): Promise<BuiltFirmware[]> {
  await Deno.mkdir(outDir, { recursive: true });
  const built: BuiltFirmware[] = [];
  for (const kind of ["plug", "fan"] as const) {
    const firmware = await buildFirmware(kind);
    await Deno.writeTextFile(outDir + "/" + kind + ".js", firmware.code);
    built.push(firmware);
  }
  return built;
}

if (import.meta.main) {
  const outDir = Deno.args[0] ?? "dist";
  try {
    for (const firmware of await buildAll(outDir)) {
      console.log(`${outDir}/${firmware.kind}.js  ${firmware.bytes} bytes`);
    }
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    Deno.exit(1);
  }
}
