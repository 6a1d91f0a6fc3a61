/**
 * Retained messages for the in-process aedes broker, indexed by their first two topic levels.
 *
 * aedes-persistence's memory store tests every retained topic against every filter of every
 * SUBSCRIBE: with N devices retaining ~36 topics each, the connection ramp is O(N²) (26 % of
 * the CPU at 1,000 plugs, see bench/SIM_RESULTS.md). Here a filter whose first two levels are
 * literal only looks at the topics under those two levels; a filter with a wildcard in its
 * second level looks under its first level; only a filter starting with a wildcard scans
 * everything.
 *
 * Semantics are those of aedes-persistence 11 (qlobber with `+`, `#`, `/`, no empty-level
 * match), on purpose, including where they differ from the MQTT text: `+` does not match an
 * empty level, `#` also matches `$SYS/...` topics, a filter matching a message twice (two
 * filters in one SUBSCRIBE) delivers it twice. Messages come out in the same order as there
 * (first stored first; an update keeps the topic's place, a delete and a new store move it
 * last). `broker_retained_test.ts` checks all of it against the real store.
 *
 * @module
 */

import { Readable } from "node:stream";

/** A retained PUBLISH packet as aedes hands it to its persistence (fields read here). */
export interface RetainedPacket {
  /** Topic, without wildcards. */
  topic: string;
  /** Payload; an empty one deletes the topic's retained message. */
  payload: Uint8Array | string;
  /** The other fields (cmd, qos, retain, brokerId, ...) are kept as they are. */
  [field: string]: unknown;
}

/** The retained-message part of an aedes persistence (the memory one, callback flavour). */
export interface RetainedPersistence {
  /** Stores or (empty payload) deletes a retained message. */
  storeRetained(packet: RetainedPacket, done?: (error: Error | null) => void): unknown;
  /** Streams the retained messages matching a filter. */
  createRetainedStream(pattern: string): Readable;
  /** Streams the retained messages matching each filter, filter after filter. */
  createRetainedStreamCombi(patterns: string[]): Readable;
}

const MAX_LEVELS = 100;
const MAX_MULTI_LEVEL_WILDCARDS = 3;

/**
 * Tells whether a filter matches a topic, exactly as aedes-persistence's retained store
 * decides it: `+` is one non-empty level, `#` zero or more levels (anywhere in the filter),
 * other levels compare as text.
 *
 * @param filter Topic filter.
 * @param topic Topic of a message.
 * @returns `true` on a match.
 * @throws {Error} `too many words` for more than 100 levels in either, `too many wildcard
 * somes` for more than three `#` in the filter (as qlobber does; aedes refuses both earlier).
 * @example
 * ```ts
 * import { filterMatches } from "./broker_retained.ts";
 * import assert from "node:assert/strict";
 * assert.equal(filterMatches("plugs/+/state", "plugs/p1/state"), true);
 * assert.equal(filterMatches("plugs/#", "plugs"), true);
 * assert.equal(filterMatches("a/+/c", "a//c"), false); // an empty level is not matched by +
 * ```
 */
export function filterMatches(filter: string, topic: string): boolean {
  return levelsMatch(splitFilter(filter), splitLevels(topic));
}

const splitLevels = (text: string): string[] => {
  const levels = text.split("/");
  if (levels.length > MAX_LEVELS) throw new Error("too many words");
  return levels;
};

const splitFilter = (filter: string): string[] => {
  const levels = splitLevels(filter);
  let multi = 0;
  for (const level of levels) if (level === "#") multi++;
  if (multi > MAX_MULTI_LEVEL_WILDCARDS) throw new Error("too many wildcard somes");
  return levels;
};

const levelsMatch = (filter: string[], topic: string[], from = 0, at = 0): boolean => {
  let f = from;
  let t = at;
  for (;;) {
    if (f === filter.length) return t === topic.length;
    const level = filter[f]!;
    if (level === "#") {
      if (f === filter.length - 1) return true;
      for (let skip = t; skip <= topic.length; skip++) {
        if (levelsMatch(filter, topic, f + 1, skip)) return true;
      }
      return false;
    }
    if (t === topic.length) return false;
    const word = topic[t]!;
    if (level === "+" ? word === "" : level !== word) return false;
    f++;
    t++;
  }
};

const payloadLength = (payload: Uint8Array | string | null | undefined): number =>
  payload === null || payload === undefined ? 0 : payload.length;

/** The keys of a topic in the two indexes: its first level, and its first two levels. */
const keysOf = (topic: string): { first: string; two: string | null } => {
  const slash = topic.indexOf("/");
  if (slash < 0) return { first: topic, two: null };
  const second = topic.indexOf("/", slash + 1);
  return { first: topic.slice(0, slash), two: second < 0 ? topic : topic.slice(0, second) };
};

/** One topic's retained message; the indexes share it, so an update touches one map. */
interface Entry {
  packet: RetainedPacket;
}

const addTo = (
  index: Map<string, Map<string, Entry>>,
  key: string,
  topic: string,
  entry: Entry,
) => {
  let bucket = index.get(key);
  if (bucket === undefined) index.set(key, bucket = new Map());
  bucket.set(topic, entry);
};

const removeFrom = (index: Map<string, Map<string, Entry>>, key: string, topic: string): void => {
  const bucket = index.get(key);
  if (bucket === undefined) return;
  bucket.delete(topic);
  if (bucket.size === 0) index.delete(key);
};

/**
 * Retained messages, indexed by first level and by first two levels.
 *
 * @example
 * ```ts
 * import { Buffer } from "node:buffer";
 * import { RetainedIndex } from "./broker_retained.ts";
 * import assert from "node:assert/strict";
 * const index = new RetainedIndex();
 * index.store({ topic: "plugs/p1/state", payload: Buffer.from("{}") });
 * index.store({ topic: "plugs/p2/state", payload: Buffer.from("{}") });
 * index.store({ topic: "plugs/p2/state", payload: Buffer.alloc(0) }); // deletes
 * assert.deepEqual([...index.match("plugs/+/state")].map((p) => p.topic), ["plugs/p1/state"]);
 * assert.equal(index.size, 1);
 * ```
 */
export class RetainedIndex {
  #all = new Map<string, Entry>();
  #byFirst = new Map<string, Map<string, Entry>>();
  #byTwo = new Map<string, Map<string, Entry>>();

  /** How many topics hold a retained message. */
  get size(): number {
    return this.#all.size;
  }

  /**
   * Stores a copy of a retained message, or deletes the topic's one when the payload is empty.
   *
   * @param packet The PUBLISH packet.
   */
  store(packet: RetainedPacket): void {
    const { topic } = packet;
    const existing = this.#all.get(topic);
    if (payloadLength(packet.payload) === 0) {
      if (existing === undefined) return;
      this.#all.delete(topic);
      const keys = keysOf(topic);
      removeFrom(this.#byFirst, keys.first, topic);
      if (keys.two !== null) removeFrom(this.#byTwo, keys.two, topic);
      return;
    }
    // A copy, as aedes-persistence keeps one: aedes reuses the packet object afterwards.
    const copy: RetainedPacket = Object.assign({}, packet);
    // An update (most stores: every telemetry period) keeps the topic's place everywhere.
    if (existing !== undefined) {
      existing.packet = copy;
      return;
    }
    const entry: Entry = { packet: copy };
    this.#all.set(topic, entry);
    const keys = keysOf(topic);
    addTo(this.#byFirst, keys.first, topic, entry);
    if (keys.two !== null) addTo(this.#byTwo, keys.two, topic, entry);
  }

  /**
   * The retained messages a filter matches, oldest topic first.
   *
   * @param filter Topic filter.
   * @returns The stored packets (do not modify them).
   */
  *match(filter: string): Generator<RetainedPacket> {
    const levels = splitFilter(filter);
    for (const { packet } of this.#candidates(filter, levels)) {
      if (levelsMatch(levels, splitLevels(packet.topic))) yield packet;
    }
  }

  #candidates(filter: string, levels: string[]): Iterable<Entry> {
    const first = levels[0]!;
    if (first === "+" || first === "#") return this.#all.values();
    if (levels.length === 1) {
      const entry = this.#all.get(filter);
      return entry === undefined ? [] : [entry];
    }
    const second = levels[1]!;
    const bucket = second === "+" || second === "#"
      ? this.#byFirst.get(first)
      : this.#byTwo.get(`${first}/${second}`);
    return bucket === undefined ? [] : bucket.values();
  }
}

/**
 * Replaces the retained-message methods of an aedes memory persistence by a
 * {@linkcode RetainedIndex} (call it right after the broker is created, before any client
 * connects: messages stored before are not carried over).
 *
 * @param persistence The broker's persistence (`aedes.persistence`).
 * @returns The index now holding the retained messages.
 * @example
 * ```ts
 * import { Buffer } from "node:buffer";
 * import { Readable } from "node:stream";
 * import { indexRetained, type RetainedPersistence } from "./broker_retained.ts";
 * import assert from "node:assert/strict";
 * const persistence: RetainedPersistence = {
 *   storeRetained: () => {},
 *   createRetainedStream: () => Readable.from([]),
 *   createRetainedStreamCombi: () => Readable.from([]),
 * };
 * const index = indexRetained(persistence);
 * await persistence.storeRetained({ topic: "fans/f1/state", payload: Buffer.from("{}") });
 * const found = await persistence.createRetainedStreamCombi(["fans/f1/#", "fans/#"]).toArray();
 * assert.deepEqual(found.map((p) => p.topic), ["fans/f1/state", "fans/f1/state"]);
 * assert.equal(index.size, 1);
 * ```
 */
export function indexRetained(persistence: RetainedPersistence): RetainedIndex {
  const index = new RetainedIndex();
  persistence.storeRetained = (packet, done) => {
    index.store(packet);
    const stored = Promise.resolve();
    // The callback flavour answers asynchronously, as the store it replaces does.
    if (done !== undefined) stored.then(() => done(null));
    return stored;
  };
  persistence.createRetainedStream = (pattern) => Readable.from(index.match(pattern));
  persistence.createRetainedStreamCombi = (patterns) =>
    Readable.from(
      (function* () {
        for (const pattern of patterns) yield* index.match(pattern);
      })(),
    );
  return index;
}
