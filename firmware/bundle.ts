/**
 * Bundles TypeScript into one plain script for Espruino, with `deno bundle` (esbuild),
 * without lowering: the source is written in the subset Espruino runs, and
 * `checkEspruinoSubset` proves the output still is.
 *
 * @module
 */

/** Options of {@linkcode bundleScript}. */
export interface BundleOptions {
  /** Minify the output (names, whitespace). */
  minify: boolean;
  /**
   * `iife` (the default) wraps the output in a function; `esm` does not, for an entry that
   * is already one script (a second wrapper would cost every function in it a scope array
   * on Espruino).
   */
  format?: "iife" | "esm";
}

/**
 * Bundles an entry module and everything it imports into one IIFE script.
 *
 * @param entry Path of the entry module.
 * @param options Bundle options.
 * @returns The script's source text.
 * @example
 * ```ts ignore
 * import { bundleScript } from "./bundle.ts";
 * const code = await bundleScript("firmware/plug_main.ts", { minify: true });
 * ```
 */
export async function bundleScript(entry: string, options: BundleOptions): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "housegrid-bundle-" });
  const outFile = dir + "/bundle.js";
  try {
    const args = [
      "bundle",
      "--quiet",
      "--platform",
      "browser",
      "--format",
      options.format ?? "iife",
      "-o",
      outFile,
    ];
    if (options.minify) args.push("--minify");
    args.push(entry);
    const result = await new Deno.Command(Deno.execPath(), {
      args,
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    if (!result.success) {
      throw new Error("deno bundle failed: " + new TextDecoder().decode(result.stderr));
    }
    return await Deno.readTextFile(outFile);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
