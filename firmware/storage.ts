/**
 * The device's key/value store on Espruino's flash `Storage`, with writes bounded:
 * flash wears out and each write costs time, so the store skips writes that change
 * nothing, refuses oversized values, and writes a key at most once per `minIntervalMs`.
 * A write that comes too soon is held (only the latest value) and written by
 * {@linkcode storeFlush} once the interval has passed, so nothing is lost but
 * the moments in between. (Energy totals are already saved only every
 * `ENERGY_SAVE_PERIOD_MS` by the device itself.)
 *
 * @module
 */

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

/**
 * A store whose writes are bounded (see the module doc): plain data, used through
 * {@linkcode storeRead}, {@linkcode storeWrite}, {@linkcode storeFlush} and
 * {@linkcode storeNextFlushMs}. Data and module functions rather than an object of
 * closures: on Espruino each resident closure costs variables for as long as the device
 * runs, while the functions of a lazy module are made only while they are used.
 */
export interface BoundedStore {
  /** The flash. */
  storage: EspruinoStorage;
  /** The clock. */
  nowMs: () => number;
  /** The limits. */
  limits: StoreLimits;
  /** Key -> value waiting for its interval. */
  held: Record<string, string>;
  /** Key -> time of its last flash write. */
  lastWriteMs: Record<string, number>;
  /** Flash writes made so far (for tests and reports). */
  writes: number;
  /** The last problem (a refused or failed write), or `null`. */
  lastError: string | null;
}

/**
 * Makes a bounded store over Espruino's `Storage`.
 *
 * @param storage The flash.
 * @param nowMs The clock.
 * @param limits File prefix, value size and write interval.
 * @returns The store.
 * @example
 * ```ts
 * import { createStore, DEFAULT_STORE_LIMITS, storeFlush, storeRead, storeWrite } from "./storage.ts";
 * import assert from "node:assert/strict";
 * const files: Record<string, string> = {};
 * const storage = {
 *   read: (name: string) => files[name],
 *   write: (name: string, data: string) => { files[name] = data; return true; },
 *   readJSON: () => undefined, writeJSON: () => true, erase: () => {}, getFree: () => 1e6,
 * };
 * let now = 0;
 * const store = createStore(storage, () => now, DEFAULT_STORE_LIMITS);
 * storeWrite(store, "relay", "ON");
 * storeWrite(store, "relay", "OFF"); // too soon: held
 * assert.equal(files["hg.relay"], "ON");
 * now = 5000;
 * storeFlush(store);
 * assert.equal(storeRead(store, "relay"), "OFF");
 * ```
 */
export function createStore(
  storage: EspruinoStorage,
  nowMs: () => number,
  limits: StoreLimits,
): BoundedStore {
  return {
    storage: storage,
    nowMs: nowMs,
    limits: limits,
    held: {},
    lastWriteMs: {},
    writes: 0,
    lastError: null,
  };
}

/**
 * Reads a key: the value held for a later write, else the one in flash.
 *
 * @param store The store.
 * @param key The key.
 * @returns The text, or `null` when the key has none.
 * @example
 * ```ts
 * import { createStore, DEFAULT_STORE_LIMITS, storeRead } from "./storage.ts";
 * import assert from "node:assert/strict";
 * const storage = {
 *   read: (name: string) => (name === "hg.relay" ? "ON" : undefined),
 *   write: () => true, readJSON: () => undefined, writeJSON: () => true,
 *   erase: () => {}, getFree: () => 1e6,
 * };
 * const store = createStore(storage, () => 0, DEFAULT_STORE_LIMITS);
 * assert.equal(storeRead(store, "relay"), "ON");
 * assert.equal(storeRead(store, "energy"), null);
 * ```
 */
export function storeRead(store: BoundedStore, key: string): string | null {
  if (key in store.held) return store.held[key] as string;
  const text = store.storage.read(store.limits.prefix + key);
  return typeof text === "string" ? text : null;
}

/**
 * Writes a key now, or holds it until its interval has passed; an oversized value is
 * refused and reported in {@linkcode BoundedStore.lastError}.
 *
 * @param store The store.
 * @param key The key.
 * @param value The text.
 * @example
 * ```ts
 * import { createStore, DEFAULT_STORE_LIMITS, storeWrite } from "./storage.ts";
 * import assert from "node:assert/strict";
 * const files: Record<string, string> = {};
 * const storage = {
 *   read: (name: string) => files[name],
 *   write: (name: string, data: string) => { files[name] = data; return true; },
 *   readJSON: () => undefined, writeJSON: () => true, erase: () => {}, getFree: () => 1e6,
 * };
 * const store = createStore(storage, () => 0, DEFAULT_STORE_LIMITS);
 * storeWrite(store, "energy", "x".repeat(2000));
 * assert.equal(store.lastError, "storage: energy refused (over 1024 characters)");
 * storeWrite(store, "energy", "12");
 * assert.equal(files["hg.energy"], "12");
 * ```
 */
export function storeWrite(store: BoundedStore, key: string, value: string): void {
  if (typeof value !== "string" || value.length > store.limits.maxValueLength) {
    store.lastError = "storage: " + key + " refused (over " + store.limits.maxValueLength +
      " characters)";
    return;
  }
  store.held[key] = value;
  storeFlush(store);
}

/**
 * Writes the held values whose interval has passed (call it at
 * {@linkcode storeNextFlushMs}); a value equal to the one in flash is not written again.
 *
 * @param store The store.
 * @example
 * ```ts
 * import { createStore, DEFAULT_STORE_LIMITS, storeFlush, storeWrite } from "./storage.ts";
 * import assert from "node:assert/strict";
 * const files: Record<string, string> = {};
 * const storage = {
 *   read: (name: string) => files[name],
 *   write: (name: string, data: string) => { files[name] = data; return true; },
 *   readJSON: () => undefined, writeJSON: () => true, erase: () => {}, getFree: () => 1e6,
 * };
 * let now = 0;
 * const store = createStore(storage, () => now, DEFAULT_STORE_LIMITS);
 * storeWrite(store, "relay", "ON");
 * storeWrite(store, "relay", "OFF");
 * now = 5000;
 * storeFlush(store);
 * assert.equal(files["hg.relay"], "OFF");
 * assert.equal(store.writes, 2);
 * ```
 */
export function storeFlush(store: BoundedStore): void {
  const now = store.nowMs();
  const prefix = store.limits.prefix;
  for (const key of Object.keys(store.held)) {
    const last = store.lastWriteMs[key];
    if (last !== undefined && now - last < store.limits.minIntervalMs) continue;
    const value = store.held[key] as string;
    delete store.held[key];
    store.lastWriteMs[key] = now;
    if (store.storage.read(prefix + key) === value) continue;
    store.writes++;
    if (!store.storage.write(prefix + key, value)) {
      store.lastError = "storage: writing " + key + " failed";
    }
  }
}

/**
 * When a held value can be written.
 *
 * @param store The store.
 * @returns The time, or `null` when no value is held.
 * @example
 * ```ts
 * import { createStore, DEFAULT_STORE_LIMITS, storeNextFlushMs, storeWrite } from "./storage.ts";
 * import assert from "node:assert/strict";
 * const storage = {
 *   read: () => undefined, write: () => true, readJSON: () => undefined,
 *   writeJSON: () => true, erase: () => {}, getFree: () => 1e6,
 * };
 * let now = 1000;
 * const store = createStore(storage, () => now, DEFAULT_STORE_LIMITS);
 * storeWrite(store, "relay", "ON");
 * assert.equal(storeNextFlushMs(store), null);
 * storeWrite(store, "relay", "OFF");
 * assert.equal(storeNextFlushMs(store), 6000);
 * ```
 */
export function storeNextFlushMs(store: BoundedStore): number | null {
  let next: number | null = null;
  for (const key of Object.keys(store.held)) {
    const due = (store.lastWriteMs[key] as number) + store.limits.minIntervalMs;
    if (next === null || due < next) next = due;
  }
  return next;
}
