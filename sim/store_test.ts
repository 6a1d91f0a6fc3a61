import assert from "node:assert/strict";
import fc from "fast-check";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_DATA_DIR, deviceStore, isValidKey } from "./store.ts";

const withDataDir = (test: (dataDir: string) => void): () => void => () => {
  const dataDir = Deno.makeTempDirSync({ prefix: "housegrid-store-" });
  try {
    test(dataDir);
  } finally {
    Deno.removeSync(dataDir, { recursive: true });
  }
};

Deno.test(
  "store: write then read, overwrite, remove, keys",
  withDataDir((dataDir) => {
    const store = deviceStore(dataDir, "fan1");
    assert.equal(store.dir, join(dataDir, "fan1"));
    assert.equal(store.read("settings.json"), null);
    assert.deepEqual(store.keys(), []);
    store.write("settings.json", '{"hum_on":70}');
    store.write("energy", "12.5");
    store.write("energy", "13");
    store.write("empty", "");
    assert.equal(store.read("settings.json"), '{"hum_on":70}');
    assert.equal(store.read("energy"), "13");
    assert.equal(store.read("empty"), "");
    assert.deepEqual(store.keys(), ["empty", "energy", "settings.json"]);
    store.remove("energy");
    store.remove("energy");
    assert.equal(store.read("energy"), null);
    assert.equal(Deno.readTextFileSync(join(dataDir, "fan1", "settings.json")), '{"hum_on":70}');
  }),
);

Deno.test(
  "store: devices are separate and values survive reopening",
  withDataDir((dataDir) => {
    deviceStore(dataDir, "p1").write("state", "ON");
    deviceStore(dataDir, "p2").write("state", "OFF");
    assert.equal(deviceStore(dataDir, "p1").read("state"), "ON");
    assert.equal(deviceStore(dataDir, "p2", { fsync: false }).read("state"), "OFF");
  }),
);

Deno.test(
  "store: a crashed write leaves the old value, its temp file is swept",
  withDataDir((dataDir) => {
    const store = deviceStore(dataDir, "p1");
    store.write("energy", "100");
    // What a crash between writing the temp file and the rename leaves behind:
    const leftover = join(store.dir, ".energy.999.0.tmp");
    Deno.writeTextFileSync(leftover, "2");
    assert.equal(store.read("energy"), "100");
    assert.deepEqual(store.keys(), ["energy"]);
    const reopened = deviceStore(dataDir, "p1");
    assert.equal(reopened.read("energy"), "100");
    assert.throws(() => Deno.statSync(leftover), Deno.errors.NotFound);
    // And no temp file stays after normal writes.
    reopened.write("energy", "101");
    assert.deepEqual([...Deno.readDirSync(store.dir)].map((e) => e.name), ["energy"]);
  }),
);

Deno.test(
  "store: a failed write keeps the old value and cleans up",
  withDataDir((dataDir) => {
    const store = deviceStore(dataDir, "p1");
    store.write("energy", "100");
    // Renaming a file over a non-empty folder fails: the write must fail cleanly.
    Deno.mkdirSync(join(store.dir, "blocked"));
    Deno.writeTextFileSync(join(store.dir, "blocked", "x"), "");
    assert.throws(() => store.write("blocked", "new"));
    assert.deepEqual(
      [...Deno.readDirSync(store.dir)].map((e) => e.name).sort(),
      ["blocked", "energy"],
    );
    assert.equal(store.read("energy"), "100");
  }),
);

Deno.test(
  "store: keys and device ids cannot escape the folder",
  withDataDir((dataDir) => {
    const store = deviceStore(dataDir, "p1");
    for (
      const key of ["", ".", "..", "../x", "a/b", "a\\b", ".hidden", "UPPER", "a b", "x".repeat(65)]
    ) {
      assert.throws(() => store.write(key, "v"), RangeError, key);
      assert.throws(() => store.read(key), RangeError, key);
      assert.throws(() => store.remove(key), RangeError, key);
    }
    for (const id of ["", "..", "../p1", "a/b", "P1", "x".repeat(33)]) {
      assert.throws(() => deviceStore(dataDir, id), RangeError, id);
    }
    assert.deepEqual([...Deno.readDirSync(dataDir)], []);
  }),
);

Deno.test("store property: any valid key round-trips any text; invalid keys never touch disk", () => {
  const dataDir = Deno.makeTempDirSync({ prefix: "housegrid-store-" });
  try {
    const store = deviceStore(dataDir, "prop", { fsync: false });
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9_-][a-z0-9_.-]{0,20}$/),
        fc.string({ unit: "grapheme" }),
        (key, value) => {
          store.write(key, value);
          assert.equal(store.read(key), value);
        },
      ),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(fc.string(), (key) => {
        fc.pre(!isValidKey(key));
        assert.throws(() => store.write(key, "x"), RangeError);
      }),
    );
    for (const name of store.keys()) assert.ok(isValidKey(name));
  } finally {
    Deno.removeSync(dataDir, { recursive: true });
  }
});

Deno.test("store: the default data folder name", () => {
  assert.equal(DEFAULT_DATA_DIR, ".housegrid");
});

Deno.test("store property: write-behind reads its latest value at once and leaves it on disk after flush", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            key: fc.constantFrom("energy", "relay", "settings"),
            value: fc.option(fc.string()),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        async (operations) => {
          const behind = deviceStore(dataDir, "plug1", { writeBehind: true, fsync: false });
          const other = deviceStore(dataDir, "plug1");
          const expected = new Map<string, string>(
            behind.keys().map((key) => [key, behind.read(key) ?? ""]),
          );
          for (const operation of operations) {
            if (operation.value === null) {
              behind.remove(operation.key);
              expected.delete(operation.key);
            } else {
              behind.write(operation.key, operation.value);
              expected.set(operation.key, operation.value);
            }
            // Every store of the folder sees the value at once, on disk or not yet.
            assert.equal(other.read(operation.key), expected.get(operation.key) ?? null);
          }
          assert.deepEqual(other.keys(), [...expected.keys()].sort());
          await behind.flush();
          for (const key of ["energy", "relay", "settings"]) {
            let onDisk: string | null = null;
            try {
              onDisk = Deno.readTextFileSync(`${dataDir}/plug1/${key}`);
            } catch (error) {
              if (!(error instanceof Deno.errors.NotFound)) throw error;
            }
            assert.equal(onDisk, expected.get(key) ?? null, key);
          }
          // No temporary file is left behind (a folder only ever removed from may not exist).
          const left = existsSync(`${dataDir}/plug1`)
            ? [...Deno.readDirSync(`${dataDir}/plug1`)].filter((e) => e.name.startsWith("."))
            : [];
          assert.deepEqual(left, []);
        },
      ),
      { numRuns: 40 },
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("store: a background write that fails is reported by flush", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const store = deviceStore(dataDir, "plug1", { writeBehind: true });
    // A folder where the file should be: the rename cannot replace it.
    await Deno.mkdir(`${dataDir}/plug1/energy`, { recursive: true });
    await Deno.writeTextFile(`${dataDir}/plug1/energy/x`, "");
    store.write("energy", "1");
    await assert.rejects(store.flush());
    await store.flush();
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
