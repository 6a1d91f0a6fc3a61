/**
 * Gives the top-level names of a bundle's IIFE names that begin with `$`, so its body can
 * run as a script's top level (see flash_bindings.ts) without hiding a global: Espruino's
 * globals (`E`, `D1`, `print`, ...) never begin with `$`, and a minifier's short names may
 * well be `E` or `D1`.
 *
 * @module
 */

import { parse } from "acorn";
import { analyze } from "eslint-scope";
import { type AstNode, childrenOf } from "./ast.ts";

interface ScopeVariable {
  name: string;
  identifiers: AstNode[];
  references: Array<{ identifier: AstNode }>;
}

function* dollarNames(): Generator<string> {
  const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  for (const a of letters) yield "$" + a;
  for (const a of letters) for (const b of letters) yield "$" + a + b;
  for (const a of letters) for (const b of letters) for (const c of letters) yield "$" + a + b + c;
}

/**
 * Renames the variables and functions declared at the top of a bundle's IIFE (and every
 * use of them) to names that begin with `$`; a name that already does is kept.
 *
 * @param code A script that is one IIFE, `(function(){...})();` or an arrow.
 * @returns The script with those names replaced.
 * @throws When the script is not one IIFE.
 * @example
 * ```ts
 * import { prefixTopLevelNames } from "./top_level_names.ts";
 * import assert from "node:assert/strict";
 * const code = "(function(){var E=2,$k=1;function D1(x){return {E}}out=D1(E).E+$k})();";
 * const out = prefixTopLevelNames(code);
 * assert.equal(out, "(function(){var $a=2,$k=1;function $b(x){return {E:$a}}out=$b($a).E+$k})();");
 * ```
 */
export function prefixTopLevelNames(code: string): string {
  const program = parse(code, {
    ecmaVersion: "latest",
    sourceType: "script",
    ranges: true, // eslint-scope reads node.range
  }) as unknown as AstNode;
  const statements = program.body as AstNode[];
  const only = statements.length === 1 ? statements[0] : undefined;
  const call = only?.type === "ExpressionStatement" ? only.expression as AstNode : undefined;
  const iife = call?.type === "CallExpression" ? call.callee as AstNode : undefined;
  if (iife === undefined || !/FunctionExpression$/.test(iife.type)) {
    throw new Error("prefixTopLevelNames: expected one IIFE");
  }
  const scope = analyze(program as never, { ecmaVersion: 2022, sourceType: "script" })
    .acquire(iife as never) as unknown as { variables: ScopeVariable[] } | null;
  if (scope === null) throw new Error("prefixTopLevelNames: no scope for the IIFE");

  const used = new Set<string>();
  // Where shorthand properties' names are (`{ x }`, `{ x = 1 }` in a pattern).
  const shorthands = new Set<number>();
  const collect = (node: AstNode): void => {
    if (node.type === "Identifier") used.add(String(node.name));
    if (node.type === "Property" && node.shorthand === true) shorthands.add(node.start);
    for (const child of childrenOf(node)) collect(child);
  };
  collect(program);

  const fresh = dollarNames();
  const edits = new Map<number, { end: number; text: string }>();
  for (const variable of scope.variables) {
    if (variable.name === "arguments" || variable.name.startsWith("$")) continue;
    let name = fresh.next().value as string;
    while (used.has(name)) name = fresh.next().value as string;
    const identifiers = variable.identifiers.concat(
      variable.references.map((reference) => reference.identifier),
    );
    for (const identifier of identifiers) {
      // `{ x }` keeps its key: `{ x: $a }`.
      const text = shorthands.has(identifier.start) ? variable.name + ":" + name : name;
      edits.set(identifier.start, { end: identifier.end, text });
    }
  }
  let out = code;
  for (const start of [...edits.keys()].sort((a, b) => b - a)) {
    const edit = edits.get(start)!;
    out = out.slice(0, start) + edit.text + out.slice(edit.end);
  }
  return out;
}
