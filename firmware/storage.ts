/**
 * The device's key/value store on Espruino's flash `Storage`, with writes bounded:
 * flash wears out and each write costs time, so the store skips writes that change
 * nothing, refuses oversized values, and writes a key at most once per `minIntervalMs`.
 * A write that comes too soon is held (only the latest value) and written by
 * {@linkcode BoundedStore.flush} once the interval has passed, so nothing is lost but
 * the moments in between. (Energy totals are already saved only every
 * `ENERGY_SAVE_PERIOD_MS` by the device itself.)
 *
 * @module
 */

import type { KeyValueStore } from "../lib/ports.ts";
import type { EspruinoStorage } from "./espruino_types.ts";

/** Limits of a {@linkcode BoundedStore}. */
export interface StoreLimits {
  /** Storage file name prefix; keys become `<prefix><key>` (28 characters at most). */
  prefix: string;
  /** Largest value accepted, in characters. */
  maxValueLength: number;
  /** Shortest time between two writes of one key. */
  minIntervalMs: number;
}

/** Default limits: files `hg.<key>`, values up to 1 KB, one write per key per 5 s. */
export const DEFAULT_STORE_LIMITS: StoreLimits = {
  prefix: "hg.",
  maxValueLength: 1024,
  minIntervalMs: 5000,
};

/** A {@linkcode KeyValueStore} whose writes are bounded; see the module doc. */
export interface BoundedStore extends KeyValueStore {
  /** Writes held values whose interval has passed; call it at {@linkcode BoundedStore.nextFlushMs}. */
  flush(): void;
  /** When a held value can be written, or `null` when none is held. */
  nextFlushMs(): number | null;
  /** Flash writes made so far (for tests and reports). */
  writes(): number;
  /** The last problem (a refused or failed write), or `null`. */
  lastError(): string | null;
}

/**
 * Makes a bounded store on Espruino's `Storage`.
 *
 * @param storage `require("Storage")` or a fake with the same methods.
 * @param nowMs The clock.
 * @param limits Name prefix, size and rate limits.
 * @returns The store.
 * @example
 * ```ts
 * import { createStore, DEFAULT_STORE_LIMITS } from "./storage.ts";
 * import assert from "node:assert/strict";
 * const files: Record<string, string> = {};
 * const storage = {
 *   read: (name: string) => files[name],
 *   write: (name: string, data: string) => { files[name] = data; return true; },
 *   readJSON: () => undefined, writeJSON: () => true, erase: () => {}, getFree: () => 1e6,
 * };
 * let now = 0;
 * const store = createStore(storage, () => now, DEFAULT_STORE_LIMITS);
 * store.write("relay", "ON");
 * store.write("relay", "OFF"); // too soon: held
 * assert.equal(files["hg.relay"], "ON");
 * now = 5000;
 * store.flush();
 * assert.equal(store.read("relay"), "OFF");
 * ```
 */
export function createStore(
  storage: EspruinoStorage,
  nowMs: () => number,
  limits: StoreLimits,
): BoundedStore {
  // Key -> value waiting for its interval; key -> time of its last flash write.
  const held: Record<string, string> = {};
  const lastWriteMs: Record<string, number> = {};
  let count = 0;
  let problem: string | null = null;
  // Every write goes through `flush` (which writes what is due, this key included): one
  // function fewer stays resident than with a separate commit helper.
  const flush = (): void => {
    const now = nowMs();
    for (const key of Object.keys(held)) {
      const last = lastWriteMs[key];
      if (last !== undefined && now - last < limits.minIntervalMs) continue;
      const value = held[key] as string;
      delete held[key];
      lastWriteMs[key] = now;
      if (storage.read(limits.prefix + key) === value) continue;
      count++;
      if (!storage.write(limits.prefix + key, value)) {
        problem = "storage: writing " + key + " failed";
      }
    }
  };
  return {
    read: (key) => {
      if (key in held) return held[key] as string;
      const text = storage.read(limits.prefix + key);
      return typeof text === "string" ? text : null;
    },
    write: (key, value) => {
      if (typeof value !== "string" || value.length > limits.maxValueLength) {
        problem = "storage: " + key + " refused (over " + limits.maxValueLength + " characters)";
        return;
      }
      held[key] = value;
      flush();
    },
    flush: flush,
    nextFlushMs: () => {
      let next: number | null = null;
      for (const key of Object.keys(held)) {
        const due = (lastWriteMs[key] as number) + limits.minIntervalMs;
        if (next === null || due < next) next = due;
      }
      return next;
    },
    writes: () => count,
    lastError: () => problem,
  };
}
