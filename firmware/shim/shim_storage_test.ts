import assert from "node:assert/strict";
import fc from "fast-check";
import { ShimStorage } from "./shim_storage.ts";

Deno.test("Storage: binary contents written are read back, in memory and through a file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = dir + "/flash.json";
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 28 }),
        fc.uint8Array({ maxLength: 300 }),
        (name, bytes) => {
          const first = new ShimStorage({ path });
          first.module().write(name, bytes);
          const text = String.fromCharCode(...bytes);
          assert.equal(first.module().read(name), text);
          // A new instance on the same file: the flash survived the "reboot".
          assert.equal(new ShimStorage({ path }).module().read(name), text);
        },
      ),
      { numRuns: 50 },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Storage: Espruino's rules for names, JSON, offsets and free space", () => {
  const storage = new ShimStorage({ capacityBytes: 100 });
  const Storage = storage.module();
  assert.throws(() => Storage.write("", "x"), /1 to 28 characters/);
  assert.throws(() => Storage.write("x".repeat(29), "x"), /1 to 28 characters/);
  Storage.write("bad.json", "{");
  assert.equal(Storage.readJSON("bad.json", true), undefined);
  assert.throws(() => Storage.readJSON("bad.json", false), SyntaxError);
  assert.equal(Storage.readJSON("none.json", true), undefined);
  Storage.write("f", "ab", 0, 6);
  assert.equal(Storage.read("f"), "ab\xff\xff\xff\xff");
  Storage.write("f", "cd", 2);
  assert.equal(Storage.read("f", 1, 3), "bcd");
  assert.throws(() => Storage.write("f", "xyz", 5), /not big enough/);
  assert.deepEqual(Storage.list(/\.json$/), ["bad.json"]);
  assert.equal(Storage.getFree(), 100 - 1 - 6);
  assert.throws(() => Storage.write("big", "x".repeat(100)), /not enough free space/);
  Storage.erase("f");
  assert.deepEqual(Storage.list(), ["bad.json"]);
  assert.deepEqual(
    new Uint8Array(Storage.readArrayBuffer("bad.json") as ArrayBuffer),
    new Uint8Array([123]),
  );
});
