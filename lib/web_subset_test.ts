import assert from "node:assert/strict";
import { bundleScript } from "../firmware/bundle.ts";
import { checkEspruinoSubset } from "../firmware/espruino_subset.ts";

// The web API files are not (yet) re-exported by mod.ts, so the library bundle test does
// not see them: they must fit the Espruino 2v29 subset on their own, for the firmware to
// serve the same API.
Deno.test("the web API bundles into the Espruino 2v29 subset", async () => {
  const entry = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    const names = [
      "web_api",
      "web_device",
      "web_settings",
      "web_forms",
      "web_http",
      "web_auth",
      "web_account",
    ];
    const imports = names.map((name, n) =>
      `import * as m${n} from "${new URL(`./${name}.ts`, import.meta.url).href}";`
    );
    const list = names.map((_, n) => `m${n}`).join(", ");
    await Deno.writeTextFile(
      entry,
      `${imports.join("\n")}\n(globalThis as Record<string, unknown>).web = [${list}];\n`,
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
