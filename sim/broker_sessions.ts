/**
 * Skips aedes' offline-queue lookup while no client has a persistent session.
 *
 * For every QoS 1/2 PUBLISH aedes asks its persistence which persistent sessions
 * (`clean: false`) subscribe to the topic, to queue the message for them while they are
 * away. The simulator's devices and tools all use clean sessions, so the answer is always
 * "none", but finding it out splits and matches the topic in a trie: ~2 % of a busy
 * simulator's time at 2,000 plugs. Until the first persistent subscription arrives (a user's
 * `mosquitto_sub -c`, say), the answer is given at once; from then on every lookup goes to
 * the store as before.
 *
 * @module
 */

import process from "node:process";

/** The session part of an aedes persistence (the memory one, callback flavour). */
export interface SessionPersistence {
  /** Stores a persistent session's subscriptions (aedes calls it only for those). */
  addSubscriptions(client: unknown, subs: unknown[], done?: (...args: never[]) => void): unknown;
  /** The persistent sessions' subscriptions matching a topic. */
  subscriptionsByTopic(
    topic: string,
    done?: (error: Error | null, subs: unknown[]) => void,
  ): unknown;
}

/**
 * Patches a persistence so topic lookups answer "none" at once until a persistent session
 * subscribes (call it right after the broker is created).
 *
 * @param persistence The broker's persistence (`aedes.persistence`).
 * @returns Whether a persistent session has subscribed since.
 * @example
 * ```ts
 * import { type SessionPersistence, skipOfflineLookups } from "./broker_sessions.ts";
 * import assert from "node:assert/strict";
 * let asked = 0;
 * const persistence: SessionPersistence = {
 *   addSubscriptions: () => Promise.resolve(),
 *   subscriptionsByTopic: () => (asked++, Promise.resolve(["a session"])),
 * };
 * const persistent = skipOfflineLookups(persistence);
 * assert.deepEqual(await persistence.subscriptionsByTopic("plugs/p1/state"), []);
 * await persistence.addSubscriptions({ id: "user" }, [{ topic: "#", qos: 1 }]);
 * assert.deepEqual(await persistence.subscriptionsByTopic("plugs/p1/state"), ["a session"]);
 * assert.equal(asked, 1);
 * assert.equal(persistent(), true);
 * ```
 */
export function skipOfflineLookups(persistence: SessionPersistence): () => boolean {
  const add = persistence.addSubscriptions.bind(persistence);
  const byTopic = persistence.subscriptionsByTopic.bind(persistence);
  let persistent = false;
  persistence.addSubscriptions = (client, subs, done) => {
    persistent = true;
    return add(client, subs, done);
  };
  persistence.subscriptionsByTopic = (topic, done) => {
    if (persistent) return byTopic(topic, done);
    if (done === undefined) return Promise.resolve([]);
    // The callback flavour answers asynchronously, as the store does.
    process.nextTick(done, null, []);
    return persistence;
  };
  return () => persistent;
}
