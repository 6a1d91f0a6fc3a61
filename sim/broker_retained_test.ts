import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Aedes } from "aedes";
import fc from "fast-check";
import {
  filterMatches,
  indexRetained,
  type RetainedPacket,
  type RetainedPersistence,
} from "./broker_retained.ts";

/** aedes' own memory persistence, as `startBroker` gets it before indexing it. */
const withStock = async (
  use: (persistence: RetainedPersistence) => Promise<void>,
): Promise<void> => {
  const broker = await Aedes.createBroker();
  try {
    await use((broker as unknown as { persistence: RetainedPersistence }).persistence);
  } finally {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
  }
};

const stockWithIndex = async (
  use: (stock: RetainedPersistence, indexed: RetainedPersistence) => Promise<void>,
): Promise<void> =>
  await withStock((stock) =>
    withStock(async (other) => {
      indexRetained(other);
      await use(stock, other);
    })
  );

interface Op {
  topic: string;
  payload: string;
}

const apply = async (persistence: RetainedPersistence, ops: Op[]): Promise<void> => {
  for (const op of ops) {
    await persistence.storeRetained({
      cmd: "publish",
      topic: op.topic,
      payload: Buffer.from(op.payload),
      qos: 1,
      retain: true,
    });
  }
};

const found = async (persistence: RetainedPersistence, filters: string[]): Promise<string[]> => {
  const packets: RetainedPacket[] = await persistence.createRetainedStreamCombi(filters).toArray();
  return packets.map((p) => `${p.topic}=${Buffer.from(p.payload).toString()}`);
};

// Few distinct words, so topics collide, share prefixes and get deleted and stored again.
const word = fc.constantFrom("a", "b", "plugs", "p1", "", "$SYS", "state");
const topic = fc.array(word, { minLength: 1, maxLength: 4 }).map((levels) => levels.join("/"));
const filter = fc.array(fc.oneof(word, fc.constantFrom("+", "#")), { minLength: 1, maxLength: 5 })
  .filter((levels) => levels.filter((level) => level === "#").length <= 3)
  .map((levels) => levels.join("/"));
const op = fc.record({ topic, payload: fc.constantFrom("", "x", "yy") });

Deno.test("retained index: the same messages, in the same order, as aedes' own store", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(op, { maxLength: 40 }),
      fc.array(filter, { minLength: 1, maxLength: 4 }),
      async (ops, filters) => {
        await stockWithIndex(async (stock, indexed) => {
          await apply(stock, ops);
          await apply(indexed, ops);
          assert.deepEqual(await found(indexed, filters), await found(stock, filters));
          for (const one of filters) {
            const single = await indexed.createRetainedStream(one).toArray();
            const expected = await stock.createRetainedStream(one).toArray();
            assert.deepEqual(
              single.map((p: RetainedPacket) => p.topic),
              expected.map((p: RetainedPacket) => p.topic),
            );
          }
        });
      },
    ),
    { numRuns: 150 },
  );
});

Deno.test("retained index: MQTT cases, including where aedes departs from the MQTT text", async () => {
  await stockWithIndex(async (stock, indexed) => {
    const ops: Op[] = [
      { topic: "plugs/p1/state", payload: "1" },
      { topic: "plugs/p2/state", payload: "2" },
      { topic: "plugs/p1/states/power", payload: "ON" },
      { topic: "plugs", payload: "root" },
      { topic: "a//c", payload: "empty level" },
      { topic: "$SYS/broker/x", payload: "sys" },
      { topic: "plugs/p2/state", payload: "" }, // deleted
      { topic: "plugs/p2/state", payload: "2 again" }, // back, now last
    ];
    await apply(stock, ops);
    await apply(indexed, ops);
    const cases: Array<[string[], string[]]> = [
      [["plugs/+/state"], ["plugs/p1/state=1", "plugs/p2/state=2 again"]],
      [["plugs/#"], [
        "plugs/p1/state=1",
        "plugs/p1/states/power=ON",
        "plugs=root",
        "plugs/p2/state=2 again",
      ]],
      [["plugs/p1/#"], ["plugs/p1/state=1", "plugs/p1/states/power=ON"]],
      [["plugs"], ["plugs=root"]],
      [["a/+/c"], []], // + does not match an empty level here (it does in MQTT 3.1.1)
      [["a/#"], ["a//c=empty level"]],
      [["+/broker/#"], ["$SYS/broker/x=sys"]], // no $ rule for retained messages in aedes
      // Two filters matching one message deliver it twice.
      [["plugs/p1/state", "plugs/+/state"], [
        "plugs/p1/state=1",
        "plugs/p1/state=1",
        "plugs/p2/state=2 again",
      ]],
    ];
    for (const [filters, expected] of cases) {
      assert.deepEqual(await found(indexed, filters), expected, filters.join(" "));
      assert.deepEqual(await found(stock, filters), expected, `stock: ${filters.join(" ")}`);
    }
  });
});

Deno.test("retained index: stores a copy, the callback flavour answers", async () => {
  await withStock(async (persistence) => {
    const index = indexRetained(persistence);
    const packet: RetainedPacket = { topic: "fans/f1/state", payload: Buffer.from("{}") };
    const error = await new Promise((resolve) => persistence.storeRetained(packet, resolve));
    assert.equal(error, null);
    packet.topic = "changed";
    const [stored] = [...index.match("fans/f1/state")];
    assert.equal(stored?.topic, "fans/f1/state");
  });
});

Deno.test("filterMatches: mid-level #, limits as qlobber's", () => {
  assert.equal(filterMatches("a/#/c", "a/c"), true);
  assert.equal(filterMatches("a/#/c", "a/b/b/c"), true);
  assert.equal(filterMatches("a/#/c", "a/b/d"), false);
  assert.equal(filterMatches("#", ""), true);
  assert.equal(filterMatches("+", ""), false);
  assert.throws(() => filterMatches("#/#/#/#", "a"), /too many wildcard somes/);
  assert.throws(() => filterMatches("#", "a/".repeat(100)), /too many words/);
});
