import assert from "node:assert/strict";
import fc from "fast-check";
import { flashBindings } from "./flash_bindings.ts";
import { lazyModules } from "./lazy_modules.ts";
import { bundleScript } from "./bundle.ts";

/** Runs a bundle as the chip does: stored in a file it reads slices of. */
const runStored = (bundle: string, stored: Record<string, string>, file?: string) => {
  const scope: Record<string, unknown> = {};
  const printed: string[] = [];
  const reads: Array<[number, number]> = [];
  const storage = {
    read: (name: string, at: number, length: number) => {
      reads.push([at, length]);
      return stored[name]?.substr(at, length);
    },
  };
  new Function("globalThis", "setTimeout", "require", "print", "__FILE__", bundle)(
    scope,
    () => 0,
    () => storage,
    (line: string) => printed.push(line),
    file,
  );
  return { scope, printed, reads };
};

// The minified form, as the build makes it.
const minified = async (code: string): Promise<string> => {
  const file = await Deno.makeTempFile({ suffix: ".js" });
  try {
    await Deno.writeTextFile(file, code);
    return await bundleScript(file, { minify: true });
  } finally {
    await Deno.remove(file);
  }
};

const SOURCE = `(() => {
  // lib/a.ts
  var GREETING = "a string long enough not to be written at each of its uses";
  function twice(x) {
    return 2 * x;
  }
  var NESTED = { list: [1, 2, 3], text: "*/ }) if(0){ ;" };

  // main.ts
  var local = 7;
  globalThis.out = [twice(local), GREETING.length, NESTED.text, NESTED.list.length];
})();
`;

Deno.test("bindings read from the stored bundle give what the bundle computed", async () => {
  const lazy = lazyModules(SOURCE, (path) => path.startsWith("lib/"));
  const bundle = flashBindings(await minified(lazy), "app.js");
  const greeting = "a string long enough not to be written at each of its uses";
  const expected = [14, greeting.length, "*/ }) if(0){ ;", 3];
  const stored = runStored(bundle, { "app.js": bundle });
  assert.deepEqual(stored.scope.out, expected);
  // The bindings' code sits in the never-run block before the script, not in the maker.
  assert.ok(bundle.startsWith('if(0){"'));
  // The script itself is the IIFE's body, at the top level.
  const script = bundle.indexOf("}\nvar $hgf=") + 2;
  assert.ok(script > 2);
  assert.ok(bundle.indexOf("2*") < script);
  assert.ok(stored.reads.some(([at]) => at > 0 && at < script));
  // Run by load(file) (a trial of an update), it reads that file; a version tag line
  // before it moves every place.
  const tagged = "// housegrid-version: 1.2.3\n" + bundle;
  assert.deepEqual(runStored(tagged, { "new.js": tagged }, "new.js").scope.out, expected);
});

Deno.test("a bundle that does not run from its Storage file stops with an error", async () => {
  const build = async (source: string) =>
    flashBindings(await minified(lazyModules(source, (path) => path.startsWith("lib/"))), "app.js");
  const bundle = await build(SOURCE);
  // Another build stored under that name (its tail differs).
  const other = await build(SOURCE.replace("2 * x", "3 * x"));
  for (const stored of [{}, { "app.js": other }] as Record<string, string>[]) {
    assert.throws(
      () => runStored(bundle, stored),
      /^Error: housegrid: this bundle must run from its own Storage file, not app\.js$/,
    );
  }
});

Deno.test("a bundle without lazy bindings is left as it is; non-ASCII is refused", () => {
  assert.equal(flashBindings("(()=>{print(1)})();\n", "app.js"), "(()=>{print(1)})();\n");
  assert.throws(() => flashBindings('(()=>{print("é")})();', "app.js"), /not ASCII/);
});

Deno.test("any constants' text survives the trip through the table, bare texts too", async () => {
  // Minifying is slow: build a few bundles of many constants each.
  const texts = fc.string({
    unit: fc.constantFrom("a", "*", "/", "}", ")", "'", '"', "\\", "\n", "`", "$", "{", ";"),
    maxLength: 60,
  });
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(texts, fc.integer()), { minLength: 1, maxLength: 40 }),
      async (values) => {
        // A bare text without escapes is read from the file as it is; others are evaluated.
        const declarations = values.map(([text, number], i) =>
          `  var C${i} = { text: ${JSON.stringify(text + "-".repeat(40))}, number: ${number} };\n` +
          `  var T${i} = ${JSON.stringify(text + "-".repeat(40))};`
        );
        const uses = values.map((_, i) => `C${i}, T${i}`).join(", ");
        const source = "(() => {\n  // lib/c.ts\n" + declarations.join("\n") +
          "\n\n  // main.ts\n  globalThis.out = [" + uses + "];\n})();\n";
        const bundle = flashBindings(
          await minified(lazyModules(source, (path) => path.startsWith("lib/"))),
          "x",
        );
        const out = runStored(bundle, { x: bundle }).scope.out;
        assert.deepEqual(
          out,
          values.flatMap((
            [text, number],
          ) => [{ text: text + "-".repeat(40), number }, text + "-".repeat(40)]),
        );
      },
    ),
    { numRuns: 12 },
  );
});

Deno.test("a long text without escapes is one read of the file, not evaluated", async () => {
  const text = "powerOnState power_on_state command choice off|on|last";
  const source = `(() => {\n  // lib/t.ts\n  var TABLE = ${JSON.stringify(text)};\n\n` +
    "  // main.ts\n  globalThis.out = TABLE.slice(0, 12);\n})();\n";
  const bundle = flashBindings(
    await minified(lazyModules(source, (path) => path.startsWith("lib/"))),
    "x",
  );
  const run = runStored(bundle, { x: bundle });
  assert.equal(run.scope.out, "powerOnState");
  // The text itself, without its quotes: what the chip keeps as one flash string.
  assert.ok(run.reads.some(([at, length]) => bundle.substr(at, length) === text));
});
