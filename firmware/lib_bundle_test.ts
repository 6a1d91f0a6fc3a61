import assert from "node:assert/strict";
import { bundleScript } from "./bundle.ts";
import { checkEspruinoSubset } from "./espruino_subset.ts";

// lib/ is written in the subset Espruino 2v29 runs (no lowering), so the whole public
// library, bundled as the firmware bundles it, must pass the subset check unchanged.
Deno.test("the bundled library fits the Espruino 2v29 subset", async () => {
  const entry = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    const modUrl = new URL("../mod.ts", import.meta.url).href;
    await Deno.writeTextFile(
      entry,
      `import * as housegrid from "${modUrl}";\n(globalThis as Record<string, unknown>).housegrid = housegrid;\n`,
    );
    for (const minify of [false, true]) {
      const code = await bundleScript(entry, { minify });
      const violations = checkEspruinoSubset(code).map((v) => `${v.line}:${v.column} ${v.message}`);
      assert.deepEqual(violations, [], `minify=${minify}`);
    }
  } finally {
    await Deno.remove(entry);
  }
});
