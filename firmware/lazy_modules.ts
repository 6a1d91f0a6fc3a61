/**
 * Turns the top-level bindings of chosen modules of an (unminified) esbuild IIFE bundle
 * into bindings that exist only while they are used, so an ESP8266 can run all of `lib/`.
 *
 * Why: Espruino keeps each function object in RAM, about 4 variables plus one per
 * parameter even when its code stays in flash, and a bundle's top-level functions live
 * as long as the program. The plug's bundle has some 350 of them: several times the
 * 1,600 variables of an ESP8266. But `lib/` is pure (no module-level state, only plain data
 * crosses its boundary), so each of its functions and constants can be made when first
 * used and dropped after the current task: only what one event touches is in memory.
 *
 * How: every reference to a lazy binding becomes `__g(k)`, one resident function that
 * makes binding `k` (by `__make(k)`, a `switch` over all of them) and caches it in one
 * array until the end of the task (a zero-delay timer clears the cache). Short literal
 * constants are written in place instead. A function made this way keeps only the
 * maker's small activation, so a lazy function handed to long-lived code keeps nothing
 * else alive.
 *
 * The `switch` that makes binding `k` is for V8 and tests: on Espruino, reaching a case
 * means reading through the text of every case before it, so the build replaces it with
 * reads from flash (flash_bindings.ts).
 *
 * Measured on Espruino 2v29 (Linux build, plug firmware, see firmware/MEMORY.md): whole
 * modules made on use (an earlier form of this transform) took idle use from about 3,050
 * to 1,600 variables, but a web command still made some 2,700 variables of functions
 * and tables, most of which it never ran; per binding, a task makes only what it runs
 * (the relay command's peak fell from 4,632 to 2,838 variables, idle from 1,382 to 1,250).
 * A long task also drops the bindings it made every {@linkcode MADE_PER_TASK} bindings
 * (2,111 to 1,534 at that command with 16; 8 takes 40 to 90 more off every request's
 * peak; dropping the constants as well as the functions another 50 to 100, for some 10 to
 * 25% more time per request, measured on the 32-bit Linux build); with whole modules that
 * was tried and cost more, since a module came back whole each time.
 *
 * @module
 */

import { parse } from "acorn";
import { analyze } from "eslint-scope";
import { type AstNode, childrenOf } from "./ast.ts";

interface ScopeReference {
  identifier: AstNode;
  isWrite(): boolean;
  init?: boolean;
}

interface ScopeVariable {
  name: string;
  references: ScopeReference[];
}

/** The function that makes lazy binding `n` (see flash_bindings.ts). */
const LAZY_MAKER = "__make";

/** The start of the error `__make` throws for an unknown binding; marks it after minifying. */
export const NO_BINDING = "housegrid: no lazy binding ";

/** How many bindings a task makes before those it made so far are dropped. */
export const MADE_PER_TASK = 8;

/**
 * Built-in classes the bundle's tasks drop from Espruino's root scope when they end, and a
 * long task with its bindings every {@linkcode MADE_PER_TASK} bindings. Only classes whose
 * prototypes the bundle never changes and whose instances it never tests with `instanceof`
 * against a class made since (`Uint8Array` and the like still pass; `Error` and `RegExp`
 * would not: espruino_subset.ts refuses such tests).
 */
const BUILT_IN_CLASSES: readonly string[] = [
  "Object",
  "Function",
  "String",
  "Number",
  "Boolean",
  "Array",
  "Date",
  "Error",
  "RegExp",
  "ArrayBuffer",
  "ArrayBufferView",
  "Uint8Array",
  "Uint16Array",
  "Int16Array",
  "Uint32Array",
  "Float32Array",
  "Float64Array",
  "DataView",
  "File",
  "httpSrv",
  "httpSRq",
  "httpSRs",
  "Socket",
  "I2C",
];

// A literal this short costs less written at each use than made and cached.
const INLINE_STRING_MAX = 32;

const parentsOf = (root: AstNode): Map<AstNode, AstNode> => {
  const parents = new Map<AstNode, AstNode>();
  const walk = (node: AstNode): void => {
    for (const child of childrenOf(node)) {
      parents.set(child, node);
      walk(child);
    }
  };
  walk(root);
  return parents;
};

// A number, boolean, null or short string, possibly negated: safe to copy to each use.
const isInlineLiteral = (node: AstNode): boolean => {
  if (node.type === "UnaryExpression" && (node.operator === "-" || node.operator === "!")) {
    return isInlineLiteral(node.argument as AstNode);
  }
  if (node.type !== "Literal" || node.regex !== undefined) return false;
  return typeof node.value !== "string" || node.value.length <= INLINE_STRING_MAX;
};

/** One lazy top-level binding: the expression that makes it. */
interface LazyBinding {
  /** Source range of the expression (for a function declaration, the whole of it). */
  start: number;
  end: number;
  declaration: boolean;
  inline: boolean;
}

/**
 * Rewrites a bundle so the top-level bindings of the modules `isLazy` picks are made on
 * use and dropped after each task. Module boundaries are esbuild's `// path` comments.
 *
 * A lazy module may hold only function, class and `var`/`let`/`const` declarations with
 * initialisers, and its bindings may not be assigned after their declaration.
 *
 * @param code An unminified esbuild bundle in IIFE format.
 * @param isLazy Which module paths (as in the comments, e.g. `lib/power.ts`) to make lazy.
 * @returns The rewritten script (still unminified).
 * @throws When the code is not such a bundle, or a lazy module holds other statements or
 *   assigns a binding.
 * @example
 * ```ts
 * import { lazyModules } from "./lazy_modules.ts";
 * import assert from "node:assert/strict";
 * const code = "(() => {\n  // lib/a.ts\n  function twice(x) {\n    return 2 * x;\n  }\n\n" +
 *   "  // main.ts\n  globalThis.out = [twice(2), [1].map(twice)[0]];\n})();\n";
 * const lazy = lazyModules(code, (path) => path.startsWith("lib/"));
 * const scope: Record<string, unknown> = {};
 * new Function("globalThis", "setTimeout", lazy)(scope, () => 0);
 * assert.deepEqual(scope.out, [4, 2]);
 * ```
 */
export function lazyModules(code: string, isLazy: (path: string) => boolean): string {
  const markers: Array<{ at: number; path: string }> = [];
  const program = parse(code, {
    ecmaVersion: "latest",
    sourceType: "script",
    ranges: true, // eslint-scope reads node.range
    onComment: (block: boolean, text: string, start: number) => {
      const path = text.trim();
      if (!block && /^[\w./-]+\.[jt]s$/.test(path)) markers.push({ at: start, path });
    },
  }) as unknown as AstNode;
  const body = program.body as AstNode[];
  const first = body.length === 1 ? body[0] : undefined;
  const call = first !== undefined && first.type === "ExpressionStatement"
    ? first.expression as AstNode
    : null;
  const iife = call !== null && call.type === "CallExpression" ? call.callee as AstNode : null;
  if (iife === null || !/FunctionExpression$/.test(iife.type)) {
    throw new Error("lazyModules: expected one IIFE");
  }
  const statements = (iife.body as AstNode).body as AstNode[];
  // Only comments between top-level statements mark modules; others are ordinary comments.
  const between = markers.filter((marker) =>
    !statements.some((statement) => statement.start < marker.at && marker.at < statement.end)
  );
  const moduleAt = (offset: number): string => {
    let path = "";
    for (const marker of between) if (marker.at < offset) path = marker.path;
    return path;
  };

  const lazyStatements = new Set<AstNode>();
  const bindings = new Map<string, LazyBinding>();
  for (const statement of statements) {
    const path = moduleAt(statement.start);
    if (!isLazy(path)) continue;
    lazyStatements.add(statement);
    const id = statement.id as AstNode | null | undefined;
    if (
      (statement.type === "FunctionDeclaration" || statement.type === "ClassDeclaration") &&
      id !== null && id !== undefined
    ) {
      bindings.set(id.name as string, {
        start: statement.start,
        end: statement.end,
        declaration: true,
        inline: false,
      });
      continue;
    }
    if (statement.type === "VariableDeclaration") {
      for (const declarator of statement.declarations as AstNode[]) {
        const target = declarator.id as AstNode;
        const init = declarator.init as AstNode | null;
        if (target.type !== "Identifier" || init === null) {
          throw new Error("lazyModules: " + path + " declares a binding without a value");
        }
        bindings.set(target.name as string, {
          start: init.start,
          end: init.end,
          declaration: false,
          inline: isInlineLiteral(init),
        });
      }
      continue;
    }
    throw new Error(
      "lazyModules: " + path + " runs a statement at load: " +
        code.slice(statement.start, statement.start + 40),
    );
  }

  const scopes = analyze(program as never, { ecmaVersion: 2022, sourceType: "script" });
  const scope = scopes.acquire(iife as never) as unknown as { variables: ScopeVariable[] } | null;
  if (scope === null) throw new Error("lazyModules: no scope for the IIFE");
  const parents = parentsOf(program);
  const indexOf = new Map<string, number>();
  const edits: Array<{ start: number; end: number; text: string }> = [];
  for (const variable of scope.variables) {
    const binding = bindings.get(variable.name);
    if (binding === undefined) continue;
    for (const reference of variable.references) {
      const id = reference.identifier;
      if (reference.init === true) continue;
      if (reference.isWrite()) {
        throw new Error(
          "lazyModules: " + variable.name + " of " + moduleAt(binding.start) +
            " is assigned in " + moduleAt(id.start),
        );
      }
      let text: string;
      if (binding.inline) {
        text = "(" + code.slice(binding.start, binding.end) + ")";
      } else {
        if (!indexOf.has(variable.name)) indexOf.set(variable.name, indexOf.size);
        text = "__g(" + indexOf.get(variable.name) + ")";
      }
      const parent = parents.get(id);
      if (parent !== undefined && parent.type === "Property" && parent.shorthand === true) {
        text = variable.name + ": " + text;
      }
      edits.push({ start: id.start, end: id.end, text });
    }
  }
  edits.sort((a, b) => a.start - b.start);
  const slice = (start: number, end: number): string => {
    let out = "";
    let at = start;
    for (const edit of edits) {
      if (edit.start < start || edit.end > end) continue;
      out += code.slice(at, edit.start) + edit.text;
      at = edit.end;
    }
    return out + code.slice(at, end);
  };
  // A declaration becomes an expression: its name goes (every use is `__g(k)`).
  const expressionOf = (binding: LazyBinding): string => {
    const text = slice(binding.start, binding.end);
    if (!binding.declaration) return text;
    return text.replace(/^((?:async\s+)?function\s*\*?|class)\s+[\w$]+/, "$1 ");
  };

  // Espruino (whose root holds the hidden object "\xFF") keeps every built-in class code
  // asked for in its root scope, 6 to 9 variables each: the next use makes it again. Written
  // out where it runs rather than called: a function of its own would stay in RAM.
  const dropClasses = 'if (typeof global == "object" && "\\xFF" in global) {' +
    BUILT_IN_CLASSES.map((name) => " delete global." + name + ";").join("") + " }";
  const out: string[] = ["(() => {"];
  if (indexOf.size > 0) {
    out.push("  var __evictPending = false;");
    out.push("  var __c = [];");
    out.push("  var __made = 0;");
    out.push("  function __evict() {");
    out.push("    __evictPending = false;");
    out.push("    __c = [];");
    out.push("    __made = 0;");
    out.push("    " + dropClasses);
    out.push("  }");
    out.push("  function __g(n) {");
    out.push("    var m = __c[n];");
    out.push("    if (m === undefined) {");
    // A long task drops the bindings it made so far now and then: functions still running
    // and values still referenced stay alive, the others go. Constants go too (the defaults
    // of a device's settings alone are some 55 variables); lib/ never compares them by
    // identity, so a constant made again is as good as the first.
    out.push("      if (++__made > " + MADE_PER_TASK + ") {");
    out.push("        __made = 0;");
    out.push("        __c = [];");
    // The classes a long task asked for so far go too (5 or 6 of them at a settings
    // change, some 45 variables).
    out.push("        " + dropClasses);
    out.push("      }");
    // Made first, stored after: in `__c[n] = __make(n)` Espruino 2v29 holds the slot of
    // the array `__c` was before the make, which a nested make may drop (above); its
    // garbage collector does not see that pending slot, frees the array and the store
    // then writes into freed variables (a corrupt heap, found with a collection forced at
    // every make; firmware/MEMORY.md round 15).
    out.push("      m = " + LAZY_MAKER + "(n);");
    out.push("      __c[n] = m;");
    out.push("      if (!__evictPending) {");
    out.push("        __evictPending = true;");
    out.push("        setTimeout(__evict, 0);");
    out.push("      }");
    out.push("    }");
    out.push("    return m;");
    out.push("  }");
    // Kept apart from `__g` so what it makes keeps only `n` alive, and so that
    // flash_bindings.ts can replace its body with reads from flash.
    out.push("  function " + LAZY_MAKER + "(n) {");
    out.push("    switch (n) {");
    for (const [name, index] of indexOf) {
      const binding = bindings.get(name) as LazyBinding;
      out.push("      // " + moduleAt(binding.start) + " " + name);
      out.push("      case " + index + ": return " + expressionOf(binding) + ";");
    }
    out.push("      default: throw new Error(" + JSON.stringify(NO_BINDING) + " + n);");
    out.push("    }");
    out.push("  }");
  }
  for (const statement of statements) {
    if (!lazyStatements.has(statement)) out.push(slice(statement.start, statement.end));
  }
  out.push("})();");
  return out.join("\n") + "\n";
}
