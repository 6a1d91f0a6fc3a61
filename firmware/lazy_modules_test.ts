import assert from "node:assert/strict";
import { bundleScript } from "./bundle.ts";
import { lazyModules } from "./lazy_modules.ts";

// Three modules as esbuild lays them out: a lazy library of two modules and a resident
// main that keeps a library function as a value.
const BUNDLE = `(() => {
  // lib/counter.ts
  var STEP = 2;
  function bump(x) {
    return x + STEP;
  }

  // lib/twice.ts
  var made = 0;
  made++;
  function twice(x) {
    return bump(bump(x)) - x;
  }
  function madeCount() {
    return made;
  }

  // main.ts
  var keep = { twice };
  globalThis.run = (x) => [twice(x), keep.twice(x), [x].map(bump)[0], madeCount()];
})();
`;

/** Runs a script with a hand-run timer queue; returns the scope and the queue. */
const load = (code: string) => {
  const scope: Record<string, unknown> = {};
  const queue: Array<() => void> = [];
  new Function("globalThis", "setTimeout", code)(scope, (run: () => void) => queue.push(run));
  return { scope, queue };
};

Deno.test("lazy modules compute what the plain bundle computes", () => {
  const plain = load(BUNDLE).scope.run as (x: number) => number[];
  const lazy = load(lazyModules(BUNDLE, (path) => path.startsWith("lib/")));
  const run = lazy.scope.run as (x: number) => number[];
  assert.deepEqual(run(5).slice(0, 3), plain(5).slice(0, 3));
  assert.deepEqual(run(5), [4, 4, 7, 1]);
});

Deno.test("an instance lives until the task ends, then the next use makes a new one", () => {
  const lazy = load(lazyModules(BUNDLE, (path) => path.startsWith("lib/")));
  const run = lazy.scope.run as (x: number) => number[];
  assert.equal(run(1)[3], 1);
  assert.equal(run(1)[3], 1); // same task: cached
  assert.equal(lazy.queue.length, 1); // one eviction scheduled
  lazy.queue.shift()!();
  assert.equal(run(1)[3], 1); // a fresh instance counts its own initialisation
  assert.equal(lazy.queue.length, 1);
});

Deno.test("resident code keeps forwarders, not instances, and shorthand properties stay valid", () => {
  const out = lazyModules(BUNDLE, (path) => path.startsWith("lib/"));
  assert.match(
    out,
    /keep = \{ twice: \(function \(\) \{ return \(__m1\(\)\(0\)\)\.apply\(this, arguments\); \}\) \}/,
  );
  // Exports are one function (a switch), not an object of properties.
  assert.match(out, /case 0: return bump;/);
});

Deno.test("modules of one unit share one instance and refer to each other by name", () => {
  const out = lazyModules(BUNDLE, (path) => path.startsWith("lib/") ? "core" : false);
  assert.equal((out.match(/function __m\d+\(\)/g) ?? []).length, 1);
  assert.match(out, /return bump\(bump\(x\)\) - x;/);
  const run = load(out).scope.run as (x: number) => number[];
  assert.deepEqual(run(5), [4, 4, 7, 1]);
});

Deno.test("a lazy module's binding assigned from outside is refused", () => {
  const bad = BUNDLE.replace("var keep = { twice };", "STEP = 3; var keep = { twice };");
  assert.throws(
    () => lazyModules(bad, (path) => path.startsWith("lib/")),
    /STEP of lib\/counter.ts is assigned in main.ts/,
  );
  assert.throws(() => lazyModules("var x = 1;", () => true), /expected one IIFE/);
});

Deno.test("the real firmware bundle still runs its module code the same way", async () => {
  // lib's own entry, made lazy, must give the same results as the plain bundle.
  const entry = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    const libUrl = new URL("../lib/settings_codec.ts", import.meta.url).href;
    await Deno.writeTextFile(
      entry,
      `import { decodeSettings, encodeSettings } from "${libUrl}";\n` +
        `(globalThis as Record<string, unknown>).roundTrip = (kind: "plugs" | "fans") =>\n` +
        `  decodeSettings(kind, encodeSettings(kind, decodeSettings(kind, null).settings));\n`,
    );
    const plain = await bundleScript(entry, { minify: false });
    const lazy = load(lazyModules(plain, (path) => path.startsWith("lib/")));
    const roundTrip = lazy.scope.roundTrip as (kind: string) => { error: string | null };
    assert.equal(roundTrip("plugs").error, null);
    assert.equal(roundTrip("fans").error, null);
  } finally {
    await Deno.remove(entry);
  }
});
