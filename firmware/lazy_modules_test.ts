import assert from "node:assert/strict";
import { bundleScript } from "./bundle.ts";
import { lazyModules, MADE_PER_TASK } from "./lazy_modules.ts";

// Three modules as esbuild lays them out: a lazy library of two modules and a resident
// main that logs when the library's table is made and keeps a library function as a value.
const BUNDLE = `(() => {
  // lib/counter.ts
  var STEP = 2;
  var TABLE = note("TABLE", [10, 20]);
  function bump(x) {
    return x + STEP;
  }

  // lib/twice.ts
  function twice(x) {
    return bump(bump(x)) - x;
  }
  var lookUp = (i) => TABLE[i] + TABLE[i];

  // main.ts
  function note(name, value) {
    (note.made || (note.made = [])).push(name);
    return value;
  }
  var keep = { twice };
  globalThis.run = (x) => [twice(x), keep.twice(x), [x].map(bump)[0]];
  globalThis.look = (i) => lookUp(i);
  globalThis.twiceItself = () => twice;
  globalThis.made = () => note.made || [];
})();
`;

const LIB = (path: string) => path.startsWith("lib/");

/** Runs a script with a hand-run timer queue; returns the scope and the queue. */
const load = (code: string) => {
  const scope: Record<string, unknown> = {};
  const queue: Array<() => void> = [];
  new Function("globalThis", "setTimeout", code)(scope, (run: () => void) => queue.push(run));
  return { scope, queue };
};

Deno.test("a task's end drops the built-in classes from Espruino's root, and only there", () => {
  const code = lazyModules(BUNDLE, LIB);
  const run = (global: Record<string, unknown>) => {
    const queue: Array<() => void> = [];
    const scope: Record<string, unknown> = {};
    new Function("globalThis", "setTimeout", "global", code)(
      scope,
      (task: () => void) => queue.push(task),
      global,
    );
    (scope.run as (x: number) => number[])(1);
    while (queue.length > 0) queue.shift()!();
    return global;
  };
  const root = () => ({ Object: 1, Uint8Array: 2, Error: 3, I2C1: 4, run: 5 });
  // Espruino's root holds the hidden "\xFF": classes go, instances and the rest stay.
  assert.deepEqual(Object.keys(run({ "\xFF": {}, ...root() })), ["\xFF", "I2C1", "run"]);
  // Anywhere else (V8, the shim) nothing is touched.
  assert.deepEqual(run(root()), root());
});

Deno.test("lazy bindings compute what the plain bundle computes", () => {
  const plain = load(BUNDLE).scope;
  const lazy = load(lazyModules(BUNDLE, LIB)).scope;
  for (const scope of [plain, lazy]) {
    assert.deepEqual((scope.run as (x: number) => number[])(5), [4, 4, 7]);
    assert.equal((scope.look as (i: number) => number)(1), 40);
  }
});

Deno.test("only what a task uses is made, once per task", () => {
  const lazy = load(lazyModules(BUNDLE, LIB));
  const { run, look, twiceItself } = lazy.scope as Record<string, (x?: number) => unknown>;
  const made = lazy.scope.made as () => string[];
  run!(1);
  assert.deepEqual(made(), [], "the table is not made for what does not read it");
  look!(0);
  look!(1);
  assert.deepEqual(made(), ["TABLE"]);
  const first = twiceItself!();
  assert.equal(twiceItself!(), first, "same task: the same instance");
  assert.equal(lazy.queue.length, 1, "one eviction scheduled");
  lazy.queue.shift()!();
  assert.notEqual(twiceItself!(), first, "after the task: a new instance");
  look!(0);
  assert.deepEqual(made(), ["TABLE", "TABLE"]);
});

Deno.test("short literals are written in place; shorthand properties stay valid", () => {
  const out = lazyModules(BUNDLE, LIB);
  assert.match(out, /return x \+ \(2\);/);
  assert.doesNotMatch(out, /STEP/);
  assert.match(out, /var keep = \{ twice: __g\(\d+\) \};/);
});

Deno.test("a lazy module that assigns a binding or runs code at load is refused", () => {
  const assigned = BUNDLE.replace("var keep = { twice };", "STEP = 3; var keep = { twice };");
  assert.throws(() => lazyModules(assigned, LIB), /STEP of lib\/counter.ts is assigned in main.ts/);
  const ran = BUNDLE.replace("  var lookUp", "  made.push(1);\n  var lookUp");
  assert.throws(() => lazyModules(ran, LIB), /lib\/twice.ts runs a statement at load/);
  const empty = BUNDLE.replace("var STEP = 2;", "var STEP;");
  assert.throws(() => lazyModules(empty, LIB), /declares a binding without a value/);
  assert.throws(() => lazyModules("var x = 1;", () => true), /expected one IIFE/);
});

Deno.test("lib's own code made lazy gives the same results as the plain bundle", async () => {
  const entry = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    const libUrl = new URL("../lib/settings_codec.ts", import.meta.url).href;
    await Deno.writeTextFile(
      entry,
      `import { decodeSettings, encodeSettings } from "${libUrl}";\n` +
        `(globalThis as Record<string, unknown>).roundTrip = (kind: "plugs" | "fans") =>\n` +
        `  encodeSettings(kind, decodeSettings(kind, encodeSettings(kind, decodeSettings(kind, null).settings)).settings);\n`,
    );
    const plain = await bundleScript(entry, { minify: false });
    const roundTrips = [load(plain), load(lazyModules(plain, LIB))].map((bundle) =>
      bundle.scope.roundTrip as (kind: string) => unknown
    );
    for (const kind of ["plugs", "fans"]) {
      const [plainOut, lazyOut] = roundTrips.map((roundTrip) => JSON.stringify(roundTrip(kind)));
      assert.equal(lazyOut, plainOut);
      assert.ok((lazyOut ?? "").length > 20, String(lazyOut));
    }
  } finally {
    await Deno.remove(entry);
  }
});

Deno.test("a long task drops what it made, constants too, and makes them again alike", () => {
  const count = MADE_PER_TASK * 2 + 8;
  const functions = Array.from(
    { length: count },
    (_, i) => `  function f${i}(x) {\n    return x + ${i};\n  }`,
  );
  const bundle = "(() => {\n  // lib/many.ts\n  var TABLE = [1, 2];\n" + functions.join("\n") +
    "\n\n  // main.ts\n  globalThis.first = () => [f0, TABLE];\n" +
    "  globalThis.all = () => [" + functions.map((_, i) => `f${i}(1)`).join(", ") + "];\n" +
    "  globalThis.pick = (i) => {\n    switch (i) {\n" +
    functions.map((_, i) => `      case ${i}: return f${i};\n`).join("") + "    }\n  };\n})();\n";
  const lazy = load(lazyModules(bundle, LIB));
  const { first, all } = lazy.scope as Record<string, () => unknown[]>;
  const [f0, table] = first!();
  assert.deepEqual(all!(), Array.from({ length: count }, (_, i) => 1 + i));
  const [f0Again, tableAgain] = first!();
  assert.notEqual(f0Again, f0, "the function was made again");
  assert.notEqual(tableAgain, table, "the constant was made again");
  assert.deepEqual(tableAgain, table);
  assert.equal(lazy.queue.length, 1, "still one eviction at the end of the task");
  // A new task counts from zero: its first bindings are not dropped for the last task's.
  const fresh = load(lazyModules(bundle, LIB));
  const pick = fresh.scope.pick as (i: number) => unknown;
  pick(0);
  while (fresh.queue.length > 0) fresh.queue.shift()!();
  const g0 = pick(0);
  for (let i = 1; i < MADE_PER_TASK; i++) pick(i);
  assert.equal(pick(0), g0, "nothing dropped within a task's first bindings");
});

Deno.test("a binding whose making drops the cache is kept in the cache that stays", () => {
  // Making TABLE makes more functions than a task keeps, so the cache is dropped half-way
  // through TABLE's own making; TABLE must land in the new cache, not in the dropped one.
  const count = MADE_PER_TASK + 2;
  const functions = Array.from(
    { length: count },
    (_, i) => `  function f${i}(x) {\n    return x + ${i};\n  }`,
  );
  const calls = functions.map((_, i) => `f${i}(1)`).join(", ");
  const bundle = "(() => {\n  // lib/many.ts\n" + functions.join("\n") +
    `\n  var TABLE = [${calls}];\n\n  // main.ts\n  globalThis.table = () => TABLE;\n})();\n`;
  const lazy = load(lazyModules(bundle, LIB));
  const table = lazy.scope.table as () => number[];
  const made = table();
  assert.deepEqual(made, Array.from({ length: count }, (_, i) => 1 + i));
  assert.equal(table(), made, "made once in the task, then read from the cache");
});
