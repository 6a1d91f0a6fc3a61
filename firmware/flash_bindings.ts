/**
 * Moves the code of a bundle's lazy bindings (see lazy_modules.ts) out of the function
 * that makes them and into a block at the bundle's start, from where the chip reads and
 * evaluates one binding at a time, straight from flash.
 *
 * Why: Espruino runs code by reading its text. `lazyModules` leaves a `switch` that
 * makes binding `n`; to reach a case Espruino reads past the text of every case before
 * it, some 100 KB for the last ones, and it does so at every binding made: on 2v29's
 * Linux build the plug did not get through its boot in a minute. A function that
 * Espruino makes while it evaluates text held in flash keeps only a pointer into that
 * text (its code is never copied to RAM), and `require("Storage").read(file, offset,
 * length)` gives such text without copying it. So the maker becomes: look up binding
 * `n`'s place in the block's table, read that slice of the bundle's own Storage file,
 * and `eval` it in the maker's scope (which sees the bundle's top-level names as the
 * `switch` did).
 *
 * The bindings come first, as `if(0){"<signature><table>";(<binding 0>);(<binding 1>);...}`
 * (parsed at boot, never run), then the bundle's own script. The file read is the one
 * `load(file)` ran (`__FILE__`, a trial of an update) or else the boot file; places count
 * from the block's opening, found at start within the file's first bytes (after a version
 * tag line, say). The signature (a hash of the
 * table and the bindings' code) is checked when the bundle starts: a bundle that does not
 * run from its own Storage file (typed at the REPL, or a file holding another build)
 * stops with a message instead of reading another bundle's code.
 *
 * Functions are made by `Function(params..., body)` instead of `eval` on Espruino: `eval`
 * gives every function made inside the maker a copied scope chain (an array and the
 * maker's activation, about 5 variables each), while `Function` makes one with no scope.
 * Such a function sees the globals only, so the bundle's IIFE goes: its body becomes the
 * script's top level, its names begun with `$` so none hides one of Espruino's globals
 * (top_level_names.ts). A function made at the top level, or by `Function`, then has no
 * scope at all, and a closure made inside one holds its maker's activation alone instead of
 * a copied array of two scopes (3 variables less each). In V8 (the shim, where the script's
 * top level is a function's body) `eval` is used. Measured on 2v29's Linux build (plug):
 * relay command peak 2,657 → 2,220 (functions by `Function`); round 10 in
 * firmware/MEMORY.md for the top level.
 *
 * A constant that is a long text without escapes (a table of setting specs, say) is not
 * evaluated either: the loader returns its slice of the file, which Espruino keeps as one
 * flash string instead of copying the text to RAM.
 *
 * @module
 */

import { parse } from "acorn";
import { type AstNode, childrenOf, isNode } from "./ast.ts";
import { NO_BINDING } from "./lazy_modules.ts";
import { prefixTopLevelNames } from "./top_level_names.ts";

const findNode = (root: AstNode, test: (node: AstNode) => boolean): AstNode | undefined => {
  if (test(root)) return root;
  for (const child of childrenOf(root)) {
    const found = findNode(child, test);
    if (found !== undefined) return found;
  }
  return undefined;
};

// Table entries: how the binding is made (`f` a function, `s` a text read as is, `e` eval),
// its offset in the block, its length and the length of its parameter list, in base 36.
const OFFSET_DIGITS = 5;
const LENGTH_DIGITS = 3;
const PARAMS_DIGITS = 2;
const ENTRY = 1 + OFFSET_DIGITS + LENGTH_DIGITS + PARAMS_DIGITS;
const SIGNATURE_CHARS = 8;
// How far into the file the block's opening is looked for.
const PREFIX_MAX = 300;

// Whether the script runs elsewhere than on Espruino (V8 in the shim), where `Function`
// makes functions that see none of the bundle's names, as a script's top level there is a
// function's body: `eval` is used instead. Espruino's root holds a hidden `\xFF` object.
const NOT_ESPRUINO = 'typeof global!="object"||!("\\xFF"in global)';

// A name that appears nowhere in the bundle.
const freeName = (code: string, stem: string): string => {
  let name = stem;
  for (let i = 0; code.includes(name); i++) name = stem + i;
  return name;
};

const base36 = (value: number, digits: number): string => {
  const text = value.toString(36);
  if (text.length > digits) throw new Error("flashBindings: " + value + " does not fit the table");
  return text.padStart(digits, "0");
};

// FNV-1a, 32 bits: tells one build's block from another's.
const signatureOf = (text: string): string => {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(SIGNATURE_CHARS, "0");
};

/**
 * Rewrites a minified bundle made by `lazyModules` so its lazy bindings are evaluated
 * from the bundle's own Storage file, one at a time (see the module doc).
 *
 * @param code The minified bundle, an IIFE whose maker function holds the `switch`.
 * @param bootFile The Storage file the bundle runs from at boot (`.bootcde`).
 * @returns The rewritten bundle, the IIFE's body as its top level; without lazy bindings,
 *   `code` unchanged.
 * @throws When the bundle is not ASCII (the table counts characters, Storage bytes), or
 *   the maker's `switch` does not have the shape `lazyModules` gives it.
 * @example
 * ```ts
 * import { flashBindings } from "./flash_bindings.ts";
 * import { lazyModules } from "./lazy_modules.ts";
 * import assert from "node:assert/strict";
 * const code = lazyModules(
 *   "(() => {\n  // lib/a.ts\n  function twice(x) {\n    return 2 * x;\n  }\n\n" +
 *     "  // main.ts\n  globalThis.out = twice(21);\n})();\n",
 *   (path) => path.startsWith("lib/"),
 * );
 * const bundle = flashBindings(code, "app.js");
 * // What Espruino's Storage.read gives: a slice of the stored file.
 * const storage = { read: (name: string, at: number, length: number) => bundle.substr(at, length) };
 * const scope: Record<string, unknown> = {};
 * new Function("globalThis", "setTimeout", "require", "print", bundle)(
 *   scope, () => 0, () => storage, () => {},
 * );
 * assert.equal(scope.out, 42);
 * ```
 */
export function flashBindings(code: string, bootFile: string): string {
  // Storage.read counts bytes; the offsets below count characters.
  if (/[\u0080-\uffff]/.test(code)) {
    throw new Error("flashBindings: the bundle is not ASCII");
  }
  // The IIFE's body becomes the script's top level (see the module doc).
  code = prefixTopLevelNames(code);
  const program = parse(code, {
    ecmaVersion: "latest",
    sourceType: "script",
  }) as unknown as AstNode;
  const maker = findNode(program, (node) => {
    if (node.type !== "FunctionDeclaration" && node.type !== "FunctionExpression") return false;
    const first = ((node.body as AstNode).body as AstNode[])[0];
    return first !== undefined && first.type === "SwitchStatement" &&
      code.slice(first.start, first.end).includes(JSON.stringify(NO_BINDING).slice(1, -1));
  });
  if (maker === undefined) return code;
  const param = (maker.params as AstNode[])[0];
  if (param === undefined || param.type !== "Identifier") {
    throw new Error("flashBindings: the maker takes no binding number");
  }
  const sources: string[] = [];
  const cases = (((maker.body as AstNode).body as AstNode[])[0] as AstNode).cases as AstNode[];
  for (const clause of cases) {
    const test = clause.test as AstNode | null;
    if (test === null) continue; // the default: an unknown binding
    const made = (clause.consequent as AstNode[])[0];
    const value = made === undefined ? undefined : made.argument as AstNode | null | undefined;
    if (test.type !== "Literal" || test.value !== sources.length || !isNode(value)) {
      throw new Error("flashBindings: unexpected case " + code.slice(clause.start, clause.end));
    }
    sources.push("(" + code.slice(value.start, value.end) + ")");
  }

  // A plain function with simple parameters is made by `Function(...)` on Espruino (see
  // the module doc); anything else by `eval`.
  const FUNCTION = /^\(function\(((?:[\w$]+,)*[\w$]+)?\)\{/;
  // A text whose source is its value (no escapes) is read as is: one variable on the chip.
  const TEXT = /^\("[^"\\]{16,}"\)$/;
  let table = "";
  let at = 0;
  for (const source of sources) {
    const head = source.match(FUNCTION);
    const params = head === null ? 0 : (head[1] ?? "").length;
    const made = head !== null && source.endsWith("})") && source.length - params - 14 > 0;
    const kind = made ? "f" : TEXT.test(source) ? "s" : "e";
    table += kind + base36(at, OFFSET_DIGITS) +
      base36(source.length, LENGTH_DIGITS) + base36(params, PARAMS_DIGITS);
    at += source.length + 1; // and its `;`
  }
  const body = sources.join(";") + ";";
  const signature = signatureOf(table + body);
  const name = param.name as string;
  const loader = freeName(code, "$hg");
  // The block comes first, so its places do not depend on the rest; they count from where
  // the block begins, found at boot: after a version-tag line (see web_update.ts), or
  // whatever an upload tool might put before it.
  const opening = 'if(0){"';
  const places = {
    signature: opening.length,
    table: opening.length + SIGNATURE_CHARS,
    body: opening.length + SIGNATURE_CHARS + table.length + 2,
  };
  const block = opening + signature + table + '";' + body + "}\n";
  const file = loader + "f";
  const base = loader + "b";
  // The maker keeps `n` as its only name: `eval` runs in its scope, and any other name
  // could hide one of the bundle's that the evaluated code uses.
  const makerBody = "{return " + loader + "(" + name + ",0)||eval(" + loader + "(" + name +
    ",1))}";
  const read = (offset: string, length: string) =>
    "S.read(" + file + "," + offset + "," + length + ")";
  const number = (offset: string, digits: number) =>
    "parseInt(" + read(offset, String(digits)) + ",36)";
  const loaderFunction = "function " + loader + '(n,e){var S=require("Storage"),t=' + base +
    "+" + places.table + "+n*" + ENTRY + ",o=" + base + "+" + places.body + "+" +
    number("t+1", OFFSET_DIGITS) + ",l=" + number("t+" + (1 + OFFSET_DIGITS), LENGTH_DIGITS) +
    ",p=" + number("t+" + (1 + OFFSET_DIGITS + LENGTH_DIGITS), PARAMS_DIGITS) + ",k=" +
    read("t", "1") + ";if(e)return " + read("o", "l") + ';if(k==="s")return ' +
    read("o+2", "l-4") + ';if(k!=="f"||' + NOT_ESPRUINO + ")return 0;return Function.apply(0,(p?" +
    read("o+10", "p") + '.split(","):[]).concat(' + read("o+p+12", "l-p-14") + "))}";
  // The file: the one `load(file)` ran (a trial of an update), else the boot file.
  const storage = 'require("Storage")';
  const where = "var " + file + '=typeof __FILE__=="string"&&__FILE__||' +
    JSON.stringify(bootFile) + "," + base + "=(" + storage + ".read(" + file + ",0," +
    PREFIX_MAX + ')||"").indexOf(' + JSON.stringify(opening) + ");if(" + storage + ".read(" + file +
    "," + base + "+" + places.signature + "," + SIGNATURE_CHARS + ")!==" +
    JSON.stringify(signature) + ")throw new Error(" +
    JSON.stringify("housegrid: this bundle must run from its own Storage file, not ") + "+" +
    file + ");";
  const iife = findNode(
    program,
    (node) => node.type === "ArrowFunctionExpression" || node.type === "FunctionExpression",
  ) as AstNode;
  const iifeBody = iife.body as AstNode;
  const makerBlock = maker.body as AstNode;
  // Without the IIFE's opening and closing: its body is the script.
  return block + where + loaderFunction + code.slice(iifeBody.start + 1, makerBlock.start) +
    makerBody + code.slice(makerBlock.end, iifeBody.end - 1) + "\n";
}
