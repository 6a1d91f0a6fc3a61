/**
 * The few acorn AST helpers the firmware build's transforms share (lazy_modules.ts,
 * flash_bindings.ts, arrow_functions.ts).
 *
 * @module
 */

/** An acorn AST node, as far as the build's transforms read it. */
export interface AstNode {
  /** The node's type, e.g. `FunctionDeclaration`. */
  type: string;
  /** Offset of its first character in the source. */
  start: number;
  /** Offset just past its last character. */
  end: number;
  /** Its other fields, as acorn gives them. */
  [key: string]: unknown;
}

/**
 * Whether a value is an AST node.
 *
 * @param value Anything found in a node's fields.
 * @returns `true` for an object with a string `type`.
 * @example
 * ```ts
 * import { isNode } from "./ast.ts";
 * import assert from "node:assert/strict";
 * assert.equal(isNode({ type: "Literal", start: 0, end: 1 }), true);
 * assert.equal(isNode([1]), false);
 * ```
 */
export function isNode(value: unknown): value is AstNode {
  return typeof value === "object" && value !== null &&
    typeof (value as AstNode).type === "string";
}

/**
 * The nodes directly under a node, in field order.
 *
 * @param node A node.
 * @returns Its child nodes (from single fields and from lists).
 * @example
 * ```ts
 * import { type AstNode, childrenOf } from "./ast.ts";
 * import { parse } from "acorn";
 * import assert from "node:assert/strict";
 * const program = parse("a + b;", { ecmaVersion: "latest" }) as unknown as AstNode;
 * const statement = childrenOf(program)[0]!;
 * const sum = childrenOf(statement)[0]!;
 * assert.deepEqual(childrenOf(sum).map((child) => child.name), ["a", "b"]);
 * ```
 */
export function childrenOf(node: AstNode): AstNode[] {
  const out: AstNode[] = [];
  for (const key of Object.keys(node)) {
    const value = node[key];
    for (const child of Array.isArray(value) ? value : [value]) if (isNode(child)) out.push(child);
  }
  return out;
}
