import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { Duplex } from "node:stream";
import { setImmediate } from "node:timers";
import fc from "fast-check";
import { memoryDuplexPair } from "./memory_stream.ts";

const collect = (stream: Duplex): { chunks: Buffer[]; text: () => string } => {
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  return { chunks, text: () => Buffer.concat(chunks).toString() };
};

const closed = (stream: Duplex): Promise<void> =>
  new Promise((resolve) => stream.once("close", () => resolve()));

Deno.test("memory stream: bytes arrive in order, later, each tick's writes as one chunk", async () => {
  const [a, b] = memoryDuplexPair();
  const got = collect(b);
  a.write("one ");
  a.write(Buffer.from("two "));
  assert.equal(got.chunks.length, 0, "nothing arrives inside the writer's call");
  await new Promise((resolve) => setTimeout(resolve, 0));
  a.write("three");
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(got.chunks.map(String), ["one two ", "three"]);
  a.destroy();
  await closed(b);
});

Deno.test("memory stream: both directions carry any bytes unchanged", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }),
      fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }),
      async (left, right) => {
        const [a, b] = memoryDuplexPair();
        const atB = collect(b);
        const atA = collect(a);
        const ends = Promise.all([closed(a), closed(b)]);
        for (const chunk of left) a.write(chunk);
        for (const chunk of right) b.write(chunk);
        a.end();
        await ends; // a's end reaches b, which ends too (no half-open connections)
        assert.deepEqual(Buffer.concat(atB.chunks), Buffer.concat(left.map((c) => Buffer.from(c))));
        assert.deepEqual(
          Buffer.concat(atA.chunks),
          Buffer.concat(right.map((c) => Buffer.from(c))),
        );
      },
    ),
    { numRuns: 50 },
  );
});

Deno.test("memory stream: destroy delivers what was written, then the peer ends and closes", async () => {
  const [a, b] = memoryDuplexPair();
  const got = collect(b);
  let ended = false;
  b.on("end", () => (ended = true));
  const bClosed = closed(b);
  a.write("last words");
  a.destroy();
  await bClosed;
  assert.equal(got.text(), "last words");
  assert.equal(ended, true);
  // Having read to the end, b closed itself.
  assert.equal(b.destroyed, true);
});

Deno.test("memory stream: writes after the peer went away are dropped quietly", async () => {
  const [a, b] = memoryDuplexPair();
  const errors: Error[] = [];
  a.on("error", (error) => errors.push(error));
  b.resume();
  a.resume();
  const aClosed = closed(a);
  b.destroy();
  a.write("into the void");
  await aClosed;
  assert.deepEqual(errors, []);
});

Deno.test("memory stream: a paused reader keeps the data until it reads", async () => {
  const [a, b] = memoryDuplexPair();
  a.write("kept");
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(String(b.read()), "kept");
  a.destroy();
  b.resume();
  await closed(b);
});

Deno.test("memory stream: thousands of streams ready at once all deliver, each in order", async () => {
  // More streams than one turn delivers, writing again while the queue drains.
  const pairs = Array.from({ length: 3000 }, () => memoryDuplexPair());
  const received = pairs.map(([, b]) => collect(b));
  for (let round = 0; round < 3; round++) {
    pairs.forEach(([a], i) => a.write(`${i}:${round};`));
    await new Promise((resolve) => setImmediate(resolve));
  }
  const allClosed = Promise.all(pairs.map(([, b]) => closed(b)));
  for (const [a] of pairs) a.end();
  await allClosed;
  received.forEach((got, i) => assert.equal(got.text(), `${i}:0;${i}:1;${i}:2;`));
});
