/**
 * A typed success-or-failure value: how every parser in housegrid reports bad input
 * without throwing past a port boundary.
 *
 * @module
 */

/** The outcome of an operation that can fail on bad input. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Wraps a value as a success.
 *
 * @param value The successful value.
 * @returns `{ ok: true, value }`.
 * @example
 * ```ts
 * import { ok } from "./result.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(ok(3), { ok: true, value: 3 });
 * ```
 */
export function ok<T>(value: T): Result<T> {
  return { ok: true, value: value };
}

/**
 * Wraps a message as a failure.
 *
 * @param error A clear, human-readable message.
 * @returns `{ ok: false, error }`.
 * @example
 * ```ts
 * import { err } from "./result.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(err("too big"), { ok: false, error: "too big" });
 * ```
 */
export function err<T>(error: string): Result<T> {
  return { ok: false, error: error };
}
