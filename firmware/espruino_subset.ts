/**
 * A checker for the JavaScript subset that Espruino 2v29 runs (see
 * `shared/espruino-2v29.md`): it parses code with acorn and reports every construct or
 * built-in the interpreter lacks, with its line and column.
 *
 * What it cannot see: whether a `for (let ...)` closure relies on a per-iteration
 * binding, and calls to a hoisted function made indirectly (through another function
 * invoked before the declaration runs). Direct early references are reported.
 *
 * @module
 */

import { parse } from "acorn";

/** One construct the interpreter cannot run. */
export interface SubsetViolation {
  /** 1-based line. */
  line: number;
  /** 0-based column. */
  column: number;
  /** What is wrong, e.g. `optional chaining (?.)`. */
  message: string;
}

interface Node {
  type: string;
  start: number;
  end: number;
  loc?: { start: { line: number; column: number } };
  [key: string]: unknown;
}

const FORBIDDEN_GLOBALS = new Set([
  "Map",
  "Set",
  "WeakMap",
  "WeakSet",
  "Symbol",
  "BigInt",
  "Proxy",
  "Reflect",
  "TextDecoder",
  "TextEncoder",
  "structuredClone",
  "queueMicrotask",
]);

// The firmware drops built-in classes from the root scope between tasks (lazy_modules.ts);
// an instance of one of these made before then fails `instanceof` against the class made
// again (measured on 2v29; arrays, typed arrays, objects and functions pass).
const INSTANCEOF_UNRELIABLE = new Set([
  "Error",
  "RegExp",
  "Date",
  "DataView",
  "String",
  "Number",
  "Boolean",
]);

const FORBIDDEN_STATICS: Record<string, string[]> = {
  Array: ["from", "of"],
  Promise: ["allSettled", "any"],
  Math: ["trunc", "hypot", "log2", "log10", "cbrt", "fround", "clz32", "expm1", "log1p"],
  Number: ["isNaN", "isInteger", "isSafeInteger", "isFinite", "EPSILON", "MAX_SAFE_INTEGER"],
  Object: ["groupBy", "hasOwn"],
};

const FORBIDDEN_METHODS = new Set([
  "flat",
  "flatMap",
  "finally",
  "trimStart",
  "trimEnd",
  "at",
  "findLast",
  "findLastIndex",
  "toSorted",
  "toReversed",
]);

const FORBIDDEN_OPERATORS: Record<string, string> = {
  "**": "exponent operator (**)",
  "**=": "exponent assignment (**=)",
  "&&=": "logical assignment (&&=)",
  "||=": "logical assignment (||=)",
  "??=": "logical assignment (??=)",
};

const ALLOWED_REGEXP_FLAGS = /^[gim]*$/;

/**
 * Checks JavaScript source against the Espruino 2v29 subset.
 *
 * @param code JavaScript source (a script, not a module).
 * @returns Every violation found, in source order; empty when the code fits.
 * @example
 * ```ts
 * import { checkEspruinoSubset } from "./espruino_subset.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(checkEspruinoSubset("var a = [1, 2].map((x) => x * 2);"), []);
 * assert.equal(checkEspruinoSubset("var b = a?.c;")[0]?.message, "optional chaining (?.)");
 * ```
 */
export function checkEspruinoSubset(code: string): SubsetViolation[] {
  let program: Node;
  try {
    program = parse(code, {
      ecmaVersion: "latest",
      sourceType: "script",
      locations: true,
    }) as unknown as Node;
  } catch (error) {
    return [{ line: 0, column: 0, message: "does not parse: " + String(error) }];
  }
  const violations: SubsetViolation[] = [];
  const report = (node: Node, message: string) => {
    const start = node.loc ? node.loc.start : { line: 0, column: 0 };
    violations.push({ line: start.line, column: start.column, message });
  };
  visit(program, null, (node, parent) => checkNode(node, parent, report));
  violations.sort((a, b) => a.line - b.line || a.column - b.column);
  return violations;
}

function checkNode(node: Node, parent: Node | null, report: (n: Node, m: string) => void): void {
  switch (node.type) {
    case "AssignmentPattern":
      report(node, "default parameter or default value");
      break;
    case "ObjectPattern":
    case "ArrayPattern":
      report(node, "destructuring");
      break;
    case "RestElement":
      report(node, "rest element (...)");
      break;
    case "SpreadElement":
      report(node, "spread (...)");
      break;
    case "ChainExpression":
      report(node, "optional chaining (?.)");
      break;
    case "TaggedTemplateExpression":
      report(node, "tagged template");
      break;
    case "LabeledStatement":
      report(node, "label");
      break;
    case "AwaitExpression":
    case "YieldExpression":
      report(node, node.type === "AwaitExpression" ? "await" : "yield");
      break;
    case "ImportExpression":
    case "MetaProperty":
    case "ImportDeclaration":
    case "ExportNamedDeclaration":
    case "ExportDefaultDeclaration":
    case "ExportAllDeclaration":
      report(node, "modules (import/export)");
      break;
    case "PrivateIdentifier":
      report(node, "private class member (#name)");
      break;
    case "StaticBlock":
      report(node, "class static block");
      break;
    case "FunctionDeclaration":
    case "FunctionExpression":
    case "ArrowFunctionExpression":
      if (node.async) report(node, "async function");
      if (node.generator) report(node, "generator function");
      break;
    case "PropertyDefinition":
      // Espruino 2v29 fails to parse a class field declared without a value.
      if (node.value === null) report(node, "class field without an initializer");
      if (node.computed) report(node, "computed key ([expr])");
      break;
    case "Property":
    case "MethodDefinition":
      if (node.computed) report(node, "computed key ([expr])");
      break;
    case "BinaryExpression":
    case "AssignmentExpression":
    case "LogicalExpression": {
      const message = FORBIDDEN_OPERATORS[node.operator as string];
      if (message) report(node, message);
      const right = node.right as Node;
      if (
        node.operator === "instanceof" && right.type === "Identifier" &&
        INSTANCEOF_UNRELIABLE.has(right.name as string)
      ) {
        report(node, "instanceof " + right.name + " (the class is made again between tasks)");
      }
      break;
    }
    case "Literal":
      if (node.bigint !== undefined) report(node, "BigInt literal");
      if (node.regex) {
        const regex = node.regex as { pattern: string; flags: string };
        if (!ALLOWED_REGEXP_FLAGS.test(regex.flags)) report(node, "RegExp flags /" + regex.flags);
        const problem = regExpProblem(regex.pattern);
        if (problem !== null) report(node, problem);
      }
      break;
    case "Identifier":
      if (FORBIDDEN_GLOBALS.has(node.name as string) && isReference(node, parent)) {
        report(node, "missing built-in " + node.name);
      }
      break;
    case "MemberExpression":
      checkMember(node, parent, report);
      break;
    case "ClassDeclaration":
    case "ClassExpression": {
      const superClass = node.superClass as Node | null;
      if (
        superClass && superClass.type === "Identifier" && /Error$/.test(superClass.name as string)
      ) {
        report(node, "class extending " + superClass.name + " (instanceof breaks)");
      }
      break;
    }
    case "Program":
    case "BlockStatement":
      checkHoisting(node.body as Node[], report);
      break;
  }
}

/**
 * Finds what Espruino 2v29's small RegExp engine cannot match (measured on its Linux
 * build): it has classes, `.`, `*`, `+`, anchors, alternation and plain groups, but no
 * `?` quantifier, no `{m,n}`, no quantified group and no `(?` group syntax. Such a
 * pattern does not throw there: it silently never matches, so it must not be written.
 */
function regExpProblem(pattern: string): string | null {
  let inClass = false;
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index];
    if (char === "\\") {
      index++;
      continue;
    }
    if (inClass) {
      if (char === "]") inClass = false;
      continue;
    }
    const next = pattern[index + 1];
    if (char === "[") inClass = true;
    else if (char === "?") return "RegExp ? quantifier (unsupported)";
    else if (char === "{" && next !== undefined && /[0-9]/.test(next)) {
      return "RegExp {m,n} quantifier (unsupported)";
    } else if (char === "(" && next === "?") return "RegExp (? group syntax (unsupported)";
    else if (char === ")" && next !== undefined && "*+?{".includes(next)) {
      return "RegExp quantified group (unsupported)";
    }
  }
  return null;
}

function checkMember(
  node: Node,
  parent: Node | null,
  report: (n: Node, m: string) => void,
): void {
  if (node.computed) return;
  const object = node.object as Node;
  const property = (node.property as Node).name as string;
  if (object.type === "Identifier") {
    const statics = FORBIDDEN_STATICS[object.name as string];
    if (statics && statics.includes(property)) {
      report(node, "missing built-in " + object.name + "." + property);
      return;
    }
  }
  const isCalled = parent !== null && parent.type === "CallExpression" && parent.callee === node;
  if (isCalled && FORBIDDEN_METHODS.has(property)) report(node, "missing method ." + property);
}

/** Reports uses of a function declaration's name that run before its line does. */
function checkHoisting(body: Node[], report: (n: Node, m: string) => void): void {
  const declaredAt = new Map<string, number>();
  body.forEach((statement, index) => {
    if (statement.type === "FunctionDeclaration" && statement.id) {
      declaredAt.set((statement.id as Node).name as string, index);
    }
  });
  if (declaredAt.size === 0) return;
  body.forEach((statement, index) => {
    // `if (0) { ... }` never runs (flash_bindings.ts keeps code there to be read, not run).
    const test = statement.type === "IfStatement" ? statement.test as Node : null;
    if (test !== null && test.type === "Literal" && !test.value && !statement.alternate) return;
    visitEager(statement, null, (node, parent) => {
      if (node.type !== "Identifier" || !isReference(node, parent)) return;
      const at = declaredAt.get(node.name as string);
      if (at !== undefined && at > index) {
        report(node, "function " + node.name + " used before its declaration runs (no hoisting)");
      }
    });
  });
}

/** Visits what runs when a statement runs, skipping nested function bodies. */
function visitEager(
  node: Node,
  parent: Node | null,
  callback: (node: Node, parent: Node | null) => void,
): void {
  const isFunction = node.type === "FunctionDeclaration" || node.type === "FunctionExpression" ||
    node.type === "ArrowFunctionExpression";
  if (isFunction) return;
  callback(node, parent);
  forEachChild(node, (child) => visitEager(child, node, callback));
}

function isReference(node: Node, parent: Node | null): boolean {
  if (!parent) return true;
  if (parent.type === "MemberExpression" && parent.property === node && !parent.computed) {
    return false;
  }
  if ((parent.type === "Property" || parent.type === "MethodDefinition") && parent.key === node) {
    return parent.type === "Property" && parent.shorthand === true;
  }
  return true;
}

function visit(node: Node, parent: Node | null, callback: (n: Node, p: Node | null) => void) {
  callback(node, parent);
  forEachChild(node, (child) => visit(child, node, callback));
}

function forEachChild(node: Node, callback: (child: Node) => void): void {
  for (const key of Object.keys(node)) {
    if (key === "loc" || key === "type") continue;
    const value = node[key];
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) callback(item);
    } else if (isNode(value)) {
      callback(value);
    }
  }
}

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null &&
    typeof (value as { type?: unknown }).type === "string";
}
