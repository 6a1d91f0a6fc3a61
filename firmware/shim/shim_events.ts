/**
 * Espruino-style events for the shim's objects (sockets, requests, the Wifi module):
 * `on`, `removeListener`, `removeAllListeners` and `emit`.
 *
 * @module
 */

/** Listeners are called as Espruino calls them: in order, with the event's arguments. */
export type ShimListener = (...args: unknown[]) => void;

/**
 * An object with Espruino's event methods.
 *
 * @example
 * ```ts
 * import { ShimEmitter } from "./shim_events.ts";
 * import assert from "node:assert/strict";
 * const emitter = new ShimEmitter();
 * const seen: unknown[] = [];
 * emitter.on("data", (text) => seen.push(text));
 * emitter.emit("data", "abc");
 * assert.deepEqual(seen, ["abc"]);
 * ```
 */
export class ShimEmitter {
  #listeners: Record<string, ShimListener[]> = {};

  /**
   * Adds a listener.
   *
   * @param event The event's name.
   * @param listener The listener.
   * @returns This object.
   */
  on(event: string, listener: ShimListener): this {
    (this.#listeners[event] ??= []).push(listener);
    return this;
  }

  /**
   * Removes one listener.
   *
   * @param event The event's name.
   * @param listener The listener.
   */
  removeListener(event: string, listener: ShimListener): void {
    const list = this.#listeners[event];
    if (list !== undefined) this.#listeners[event] = list.filter((l) => l !== listener);
  }

  /**
   * Removes every listener of an event, or of all events.
   *
   * @param event The event's name, or nothing for all.
   */
  removeAllListeners(event?: string): void {
    if (event === undefined) this.#listeners = {};
    else delete this.#listeners[event];
  }

  /**
   * Calls the listeners of an event.
   *
   * @param event The event's name.
   * @param args Its arguments.
   * @returns Whether any listener was called.
   */
  emit(event: string, ...args: unknown[]): boolean {
    const list = this.#listeners[event];
    if (list === undefined || list.length === 0) return false;
    for (const listener of list.slice()) listener(...args);
    return true;
  }

  /**
   * Counts the listeners of an event.
   *
   * @param event The event's name.
   * @returns How many.
   */
  listenerCount(event: string): number {
    return this.#listeners[event]?.length ?? 0;
  }
}
