/**
 * Shortens the property names of the firmware's internal state, for the bundle.
 *
 * Why: Espruino keeps a property's name in RAM with every object that has it, and on an
 * ESP8266 a name of up to 4 characters fits the variable that holds the property, while 5 to
 * 13 characters take one variable more, 14 to 23 two more (firmware/MEMORY.md, round 10).
 * The plug's idle heap held 160 names longer than 4 characters, 237 variables; most were
 * the MQTT session's, the device state's and the energy counters' (`phaseSinceMs`,
 * `lastTelemetryMs`, `yesterdayRestUj`), names no one outside the firmware ever reads.
 *
 * Which names: the members of the interfaces the build names as internal state (read from
 * their TypeScript sources), less every name that is also a member of any other interface
 * (a configuration, a setting, a JSON view, an Espruino API), that occurs as a word in a
 * string of the bundle without a space (`"x" in o`, `o["x"]`, a list of keys), as a key of
 * an object literal given to `JSON.stringify`, or in the device page (which reads the JSON
 * the device answers with). What is left is renamed everywhere in the bundle: member
 * accesses, object literal keys (shorthand ones made long), destructuring keys and class
 * members.
 *
 * @module
 */

import { parse } from "acorn";
import { type AstNode, childrenOf } from "./ast.ts";

/** An interface of TypeScript source: its name and its members' names. */
export interface InterfaceMembers {
  /** The interface's name. */
  name: string;
  /** Its members' names, in source order. */
  members: string[];
}

/**
 * Lists the interfaces declared in TypeScript source written the project's way (`deno fmt`:
 * one member per line, indented by two spaces).
 *
 * @param source A module's text.
 * @returns Each interface with its members.
 * @example
 * ```ts
 * import { interfacesOf } from "./property_names.ts";
 * import assert from "node:assert/strict";
 * const source =
 *   "export interface Point {\n  x: number;\n  readonly y?: number;\n  at(): void;\n}\n";
 * assert.deepEqual(interfacesOf(source), [{ name: "Point", members: ["x", "y", "at"] }]);
 * ```
 */
export function interfacesOf(source: string): InterfaceMembers[] {
  const found: InterfaceMembers[] = [];
  const declarations = /^(?:export )?interface (\w+)[^{]*\{\n([\s\S]*?)^\}/gm;
  for (const match of source.matchAll(declarations)) {
    const members = [...match[2]!.matchAll(/^ {2}(?:readonly )?([A-Za-z_$][\w$]*)\??[:(<]/gm)]
      .map((member) => member[1]!);
    found.push({ name: match[1]!, members });
  }
  return found;
}

/**
 * The property names to shorten: members of the internal interfaces that are members of no
 * other interface.
 *
 * @param sources Every module's text (the firmware's and the library's, tests left out).
 * @param internal The names of the interfaces that describe internal state only.
 * @returns The names, sorted.
 * @throws When an internal interface is not found in the sources (a renamed type).
 * @example
 * ```ts
 * import { internalPropertyNames } from "./property_names.ts";
 * import assert from "node:assert/strict";
 * const sources = [
 *   "interface Session {\n  phaseSinceMs: number;\n  password: string;\n}\n",
 *   "interface Config {\n  password: string;\n}\n",
 * ];
 * assert.deepEqual(internalPropertyNames(sources, ["Session"]), ["phaseSinceMs"]);
 * ```
 */
export function internalPropertyNames(
  sources: readonly string[],
  internal: readonly string[],
): string[] {
  const interfaces = sources.flatMap(interfacesOf);
  const missing = internal.filter((name) => !interfaces.some((found) => found.name === name));
  if (missing.length > 0) throw new Error("no interface named " + missing.join(", "));
  const inner = new Set<string>();
  const outer = new Set<string>();
  for (const { name, members } of interfaces) {
    for (const member of members) (internal.includes(name) ? inner : outer).add(member);
  }
  return [...inner].filter((name) => !outer.has(name)).sort();
}

const isJsonStringify = (callee: AstNode): boolean =>
  callee.type === "MemberExpression" && (callee.object as AstNode).name === "JSON" &&
  (callee.property as AstNode).name === "stringify";

/** What {@linkcode renameProperties} did. */
export interface RenamedProperties {
  /** The script with the names replaced. */
  code: string;
  /** Each renamed property's old name and new one. */
  renamed: Map<string, string>;
  /** The asked-for names left alone, each with why. */
  kept: Map<string, string>;
}

// Characters of a name that fit the variable holding the property on an ESP8266: a
// shorter name saves nothing.
const NAME_FITS = 4;

// Short names no script property, Espruino built-in or Object.prototype member has: a
// capital Q then one or two letters or digits.
function* shortNames(): Generator<string> {
  const symbols = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  for (const a of symbols) yield "Q" + a;
  for (const a of symbols) for (const b of symbols) yield "Q" + a + b;
}

/**
 * Renames properties throughout a script. A name is left alone when it occurs as a word in
 * one of the script's strings that hold no space (a key, a list of keys, a topic; a text
 * with spaces is a message for people), as a key of an object literal given to
 * `JSON.stringify` or in `alsoReadBy` (texts that read the script's output, such as a page
 * reading its JSON), or when it has at most 4 characters (an ESP8266 holds those with the
 * property at no cost).
 *
 * @param code A script (unminified or minified).
 * @param names The property names to rename.
 * @param alsoReadBy Texts whose words must keep their meaning.
 * @returns The renamed script, the renames and the names kept.
 * @throws When the script does not parse.
 * @example
 * ```ts
 * import { renameProperties } from "./property_names.ts";
 * import assert from "node:assert/strict";
 * const code = 'var s = { phaseSinceMs: 1, tag: "x" }; var { phaseSinceMs } = s;' +
 *   'var o = { lastError: "lastError" }; var r = [s.phaseSinceMs, phaseSinceMs];';
 * const out = renameProperties(code, ["phaseSinceMs", "lastError"], []);
 * assert.equal(out.code.includes("phaseSinceMs:"), false);
 * assert.equal(out.renamed.get("phaseSinceMs"), "Qa");
 * assert.equal(out.kept.get("lastError"), "in a string");
 * assert.deepEqual(new Function(out.code + "; return r;")(), [1, 1]);
 * ```
 */
export function renameProperties(
  code: string,
  names: readonly string[],
  alsoReadBy: readonly string[],
): RenamedProperties {
  const program = parse(code, {
    ecmaVersion: "latest",
    sourceType: "script",
  }) as unknown as AstNode;
  const words = new Set<string>();
  const identifiers = new Set<string>();
  const addWords = (text: string) => {
    for (const word of text.match(/[A-Za-z_$][\w$]*/g) ?? []) words.add(word);
  };
  // A text with a space in it is a message for people, not a key or a list of keys.
  const addKeyWords = (text: string) => {
    if (!/\s/.test(text)) addWords(text);
  };
  const addObjectKeys = (node: AstNode): void => {
    if (node.type !== "ObjectExpression") return;
    for (const property of node.properties as AstNode[]) {
      const key = property.key as AstNode | undefined;
      if (key?.type === "Identifier") words.add(String(key.name));
      if (property.value !== undefined) addObjectKeys(property.value as AstNode);
    }
  };
  const collect = (node: AstNode): void => {
    if (node.type === "Literal" && typeof node.value === "string") addKeyWords(node.value);
    if (node.type === "TemplateElement") addKeyWords(String((node.value as { raw: string }).raw));
    if (node.type === "Identifier" || node.type === "PrivateIdentifier") {
      identifiers.add(String(node.name));
    }
    // The keys of an object written straight into JSON are a format, not state.
    if (node.type === "CallExpression" && isJsonStringify(node.callee as AstNode)) {
      for (const argument of node.arguments as AstNode[]) addObjectKeys(argument);
    }
    for (const child of childrenOf(node)) collect(child);
  };
  collect(program);
  for (const text of alsoReadBy) addWords(text);

  const renamed = new Map<string, string>();
  const kept = new Map<string, string>();
  const fresh = shortNames();
  for (const name of names) {
    if (words.has(name)) {
      kept.set(name, "in a string");
      continue;
    }
    if (name.length <= NAME_FITS) {
      kept.set(name, "short already");
      continue;
    }
    let short = fresh.next().value as string;
    while (identifiers.has(short) || words.has(short)) short = fresh.next().value as string;
    renamed.set(name, short);
  }

  const edits: Array<{ start: number; end: number; text: string }> = [];
  const renameKey = (owner: AstNode, key: AstNode): void => {
    if (owner.computed === true || key.type !== "Identifier") return;
    const short = renamed.get(String(key.name));
    if (short === undefined) return;
    // `{ x }` and `{ x = 1 }` keep `x` as the value's name and get a key before it.
    if (owner.shorthand === true) {
      edits.push({ start: key.start, end: key.start, text: short + ":" });
    } else edits.push({ start: key.start, end: key.end, text: short });
  };
  const visit = (node: AstNode): void => {
    if (node.type === "MemberExpression") renameKey(node, node.property as AstNode);
    if (
      node.type === "Property" || node.type === "MethodDefinition" ||
      node.type === "PropertyDefinition"
    ) {
      renameKey(node, node.key as AstNode);
    }
    for (const child of childrenOf(node)) visit(child);
  };
  visit(program);
  edits.sort((a, b) => b.start - a.start);
  let out = code;
  for (const edit of edits) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  return { code: out, renamed, kept };
}
