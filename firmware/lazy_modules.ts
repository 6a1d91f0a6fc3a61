/**
 * Turns chosen modules of an (unminified) esbuild IIFE bundle into modules that exist
 * only while they are used, so an ESP8266 can run all of `lib/`.
 *
 * Why: Espruino keeps each function object in RAM, about 4 variables plus one per
 * parameter even when its code stays in flash, and a bundle's top-level functions live
 * as long as the program. `lib/` brings some 240 of them: over 1,600 variables, the
 * whole memory of an ESP8266, before any state. But `lib/` is pure (no module-level
 * state, only plain data crosses its boundary), so a module can be instantiated when
 * first used and dropped after the current task: only what one event touches is in
 * memory at a time.
 *
 * How: each chosen module's top-level statements (or those of a unit of modules used
 * together) move into a factory `__mN()` returning its exports, cached in one array
 * until the end of the task (a zero-delay timer clears the cache). The exports are one
 * function `(index) => binding` (a `switch`), not an object: an object costs a variable
 * per name. References from other units become `(__mN()(index))`; a function passed as
 * a value becomes a small forwarding function, so no object that outlives the task keeps
 * a dropped module's scope alive.
 *
 * Further measured on 2v29 (see firmware/MEMORY.md): one cache array instead of a
 * variable per module, units, and exports as a function took the plug's idle from about
 * 2,180 to 1,880 variables together with the build's other steps.
 *
 * Measured on Espruino 2v29 (Linux build, plug firmware): idle use fell from about 3,050
 * to 1,600 variables. Dropping instances sooner (whenever use passes a limit) was tried
 * and made things worse: modules are made again and again within one task, and each
 * dropped instance (functions and their scope refer to each other) waits for the
 * garbage collector.
 *
 * @module
 */

import { parse } from "acorn";
import { analyze } from "eslint-scope";

interface AstNode {
  type: string;
  start: number;
  end: number;
  [key: string]: unknown;
}

interface ScopeReference {
  identifier: AstNode;
  isWrite(): boolean;
  init?: boolean;
}

interface ScopeVariable {
  name: string;
  defs: Array<{ type: string; node: AstNode }>;
  references: ScopeReference[];
}

const isNode = (value: unknown): value is AstNode =>
  typeof value === "object" && value !== null && typeof (value as AstNode).type === "string";

const parentsOf = (root: AstNode): Map<AstNode, AstNode> => {
  const parents = new Map<AstNode, AstNode>();
  const walk = (node: AstNode): void => {
    for (const key of Object.keys(node)) {
      const value = node[key];
      for (const child of Array.isArray(value) ? value : [value]) {
        if (isNode(child)) {
          parents.set(child, node);
          walk(child);
        }
      }
    }
  };
  walk(root);
  return parents;
};

const isFunctionDef = (variable: ScopeVariable): boolean => {
  const def = variable.defs[0];
  if (def === undefined) return false;
  if (def.type === "FunctionName") return true;
  const init = def.node.init as AstNode | null | undefined;
  return def.type === "Variable" && init !== null && init !== undefined &&
    (init.type === "ArrowFunctionExpression" || init.type === "FunctionExpression");
};

/**
 * Rewrites a bundle so the modules `isLazy` picks are instantiated on use and dropped
 * after each task. Module boundaries are esbuild's `// path` comments.
 *
 * Modules that `isLazy` gives the same unit name are instantiated together, by one
 * factory: for modules that are always used together this saves a factory and an exports
 * object each, and their references to one another stay plain names.
 *
 * @param code An unminified esbuild bundle in IIFE format.
 * @param isLazy Which module paths (as in the comments, e.g. `lib/power.ts`) to make lazy:
 *   `true` for a unit of its own, a string to name the unit it shares, `false` to keep it.
 * @returns The rewritten script (still unminified).
 * @throws When the code is not such a bundle, or a lazy module's binding is assigned from
 *   outside it.
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
export function lazyModules(
  code: string,
  isLazy: (path: string) => boolean | string,
): string {
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
  markers.length = 0;
  markers.push(...between);
  const moduleAt = (offset: number): string => {
    let path = "";
    for (const marker of markers) if (marker.at < offset) path = marker.path;
    return path;
  };
  const statementAt = (offset: number): AstNode | undefined =>
    statements.find((statement) => statement.start <= offset && offset < statement.end);
  // A lazy module's unit; a kept module is a unit of its own (its path).
  const unitOf = (path: string): string => {
    const lazy = isLazy(path);
    return typeof lazy === "string" ? "unit:" + lazy : path;
  };
  const moduleOfOffset = (offset: number): string => {
    const statement = statementAt(offset);
    return statement === undefined ? "" : unitOf(moduleAt(statement.start));
  };

  const lazyPaths: string[] = [];
  for (const statement of statements) {
    const path = moduleAt(statement.start);
    const unit = unitOf(path);
    if (isLazy(path) !== false && !lazyPaths.includes(unit)) lazyPaths.push(unit);
  }
  const factoryOf = (path: string): string => "__m" + lazyPaths.indexOf(path);

  const scopes = analyze(program as never, { ecmaVersion: 2022, sourceType: "script" });
  const scope = scopes.acquire(iife as never) as unknown as { variables: ScopeVariable[] } | null;
  if (scope === null) throw new Error("lazyModules: no scope for the IIFE");
  const parents = parentsOf(program);
  const edits: Array<{ start: number; end: number; text: string }> = [];
  const exported: Record<string, string[]> = {};
  for (const variable of scope.variables) {
    const def = variable.defs[0];
    if (def === undefined) continue;
    const home = moduleOfOffset(def.node.start);
    if (!lazyPaths.includes(home)) continue;
    for (const reference of variable.references) {
      const id = reference.identifier;
      const user = moduleOfOffset(id.start);
      if (user === home) continue;
      if (reference.isWrite()) {
        throw new Error(
          "lazyModules: " + variable.name + " of " + home + " is assigned in " + user,
        );
      }
      const names = exported[home] ?? (exported[home] = []);
      if (!names.includes(variable.name)) names.push(variable.name);
      const parent = parents.get(id);
      const access = "(" + factoryOf(home) + "()(" + names.indexOf(variable.name) + "))";
      const called = parent !== undefined && parent.type === "CallExpression" &&
        parent.callee === id;
      let text = access;
      if (!called && isFunctionDef(variable)) {
        text = "(function () { return " + access + ".apply(this, arguments); })";
      }
      if (parent !== undefined && parent.type === "Property" && parent.shorthand === true) {
        text = variable.name + ": " + text;
      }
      edits.push({ start: id.start, end: id.end, text: text });
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

  // One array holds the instances: a variable per module would cost a variable each
  // even while nothing is loaded.
  const out: string[] = ["(() => {"];
  if (lazyPaths.length > 0) {
    out.push("  var __evictPending = false;");
    out.push("  var __c = [];");
    out.push("  function __evict() {");
    out.push("    __evictPending = false;");
    out.push("    __c = [];");
    out.push("  }");
    out.push("  function __loaded() {");
    out.push("    if (__evictPending) return;");
    out.push("    __evictPending = true;");
    out.push("    setTimeout(__evict, 0);");
    out.push("  }");
  }
  lazyPaths.forEach((path, index) => {
    const own = statements.filter((statement) => unitOf(moduleAt(statement.start)) === path);
    const names = exported[path] ?? [];
    out.push("  // " + path + " (lazy)");
    out.push("  function __m" + index + "() {");
    out.push("    var m = __c[" + index + "];");
    out.push("    if (m === undefined) {");
    out.push("      m = __c[" + index + "] = (function () {");
    for (const statement of own) out.push(slice(statement.start, statement.end));
    // The exports are one function, not an object: an object costs a variable per name.
    out.push("        return function (n) {");
    out.push("          switch (n) {");
    names.forEach((name, at) => out.push("            case " + at + ": return " + name + ";"));
    out.push("          }");
    out.push("        };");
    out.push("      })();");
    out.push("      __loaded();");
    out.push("    }");
    out.push("    return m;");
    out.push("  }");
  });
  for (const statement of statements) {
    if (lazyPaths.includes(unitOf(moduleAt(statement.start)))) continue;
    out.push(slice(statement.start, statement.end));
  }
  out.push("})();");
  return out.join("\n") + "\n";
}
