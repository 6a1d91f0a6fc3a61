/**
 * Rewrites arrow functions as plain `function` expressions where that means the same,
 * for the firmware bundle.
 *
 * Why: Espruino keeps every function object in RAM, and an arrow function carries one
 * variable more than a plain function (its bound `this`). Measured on Espruino 2v29
 * (Linux build): ten arrows `(x, y) => x + y` took 82 variables, ten
 * `function (x, y) { return x + y; }` 74. lib/ and firmware/ are written with arrows,
 * so the build turns every arrow that uses neither `this`, `arguments`, `super` nor
 * `new.target` into a function expression. Nothing else changes.
 *
 * @module
 */

import { parse } from "acorn";
import { type AstNode, childrenOf } from "./ast.ts";

// Whether an arrow's own code (not that of plain functions inside it) needs its lexical
// `this`, `arguments`, `super` or `new.target`.
const usesLexicalContext = (node: AstNode): boolean => {
  if (node.type === "ThisExpression" || node.type === "Super" || node.type === "MetaProperty") {
    return true;
  }
  if (node.type === "Identifier" && node.name === "arguments") return true;
  if (node.type === "FunctionExpression" || node.type === "FunctionDeclaration") return false;
  // Class bodies bind their own `this`, but computed keys and `extends` are outside.
  if (node.type === "ClassBody") return false;
  return childrenOf(node).some(usesLexicalContext);
};

/**
 * Turns arrow functions that do not use `this`, `arguments`, `super` or `new.target`
 * into `function` expressions (expression bodies become `{ return (...); }`).
 *
 * @param code A script (unminified is fine).
 * @returns The same script with those arrows rewritten.
 * @throws When the script does not parse.
 * @example
 * ```ts
 * import { arrowsToFunctions } from "./arrow_functions.ts";
 * import assert from "node:assert/strict";
 * const code = "var add = (a, b) => a + b; var obj = () => ({ k: 1 });";
 * const out = arrowsToFunctions(code);
 * assert.equal(out.includes("=>"), false);
 * const scope = new Function(out + "; return [add(2, 3), obj().k];");
 * assert.deepEqual(scope(), [5, 1]);
 * ```
 */
export function arrowsToFunctions(code: string): string {
  const program = parse(code, {
    ecmaVersion: "latest",
    sourceType: "script",
  }) as unknown as AstNode;
  // Edits are insertions or replacements at distinct nested ranges; `depth` orders the
  // closing insertions of arrows that end at the same place (inner first).
  const edits: Array<{ start: number; end: number; text: string; depth: number }> = [];
  const visit = (node: AstNode, depth: number): void => {
    if (node.type === "ArrowFunctionExpression" && !usesLexicalContext(node.body as AstNode)) {
      const params = node.params as AstNode[];
      const body = node.body as AstNode;
      const first = params[0];
      const last = params[params.length - 1];
      const headEnd = last === undefined ? node.start : last.end;
      const arrowAt = code.indexOf("=>", headEnd);
      const paramsText = first === undefined || last === undefined
        ? ""
        : code.slice(first.start, last.end);
      const prefix = node.async === true ? "async function (" : "function (";
      edits.push({ start: node.start, end: arrowAt + 2, text: prefix + paramsText + ")", depth });
      if (node.expression === true || body.type !== "BlockStatement") {
        edits.push({ start: arrowAt + 2, end: arrowAt + 2, text: " { return (", depth });
        edits.push({ start: node.end, end: node.end, text: "); }", depth });
      }
    }
    for (const child of childrenOf(node)) visit(child, depth + 1);
  };
  visit(program, 0);
  // At one offset: replacements (an arrow's head) come after closings of arrows ending
  // there, and inner closings before outer ones.
  edits.sort((a, b) =>
    a.start - b.start || (a.end - a.start) - (b.end - b.start) || b.depth - a.depth
  );
  let out = "";
  let at = 0;
  for (const edit of edits) {
    out += code.slice(at, edit.start) + edit.text;
    at = Math.max(at, edit.end);
  }
  return out + code.slice(at);
}
