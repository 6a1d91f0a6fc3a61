/**
 * The built firmware bundles for the shim: `dist/plug.js` and `dist/fan.js`, rebuilt
 * first when missing or older than any source they are made of (`firmware/*.ts` and
 * `lib/*.ts`, tests excluded), so `deno task sim --firmware` never runs a stale bundle;
 * with them, the files the flash task also stores (the gzipped device page, when built).
 *
 * @module
 */

import { join } from "node:path";
import { buildAll } from "../build.ts";

/** The two bundles' code, and other files the flash task stores with them. */
export interface FirmwareBundles {
  /** `dist/plug.js`. */
  plug: string;
  /** `dist/fan.js`. */
  fan: string;
  /** Storage name to binary contents, e.g. the gzipped device page (`hg.page.gz`). */
  files?: Record<string, string>;
}

/** Built files the flash task also stores: build output name to Storage name. */
const STORED_FILES: Record<string, string> = {
  // The device page the bundle's web server streams (see firmware/web_page.ts).
  "page.html.gz": "hg.page.gz",
};

/** Options of {@linkcode loadBundles}. */
export interface LoadBundlesOptions {
  /** Folder of the bundles (default `dist` beside `firmware/`). */
  distDir?: string;
  /** Told when the bundles are rebuilt and why. */
  log?: (text: string) => void;
}

const ROOT = new URL("../../", import.meta.url);

const modifiedMs = (path: string): number | null => {
  try {
    return Deno.statSync(path).mtime?.getTime() ?? null;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
};

/**
 * The newest modification time of the bundles' sources.
 *
 * @returns Milliseconds since 1970.
 */
export function newestSourceMs(): number {
  let newest = 0;
  for (const folder of ["firmware", "lib"]) {
    const dir = new URL(folder + "/", ROOT).pathname;
    for (const entry of Deno.readDirSync(dir)) {
      if (!entry.isFile || !entry.name.endsWith(".ts") || entry.name.endsWith("_test.ts")) continue;
      newest = Math.max(newest, modifiedMs(join(dir, entry.name)) ?? 0);
    }
  }
  return newest;
}

/**
 * Reads the bundles, building them first when missing or stale.
 *
 * @param options Folder and log.
 * @returns Both bundles' code.
 * @example
 * ```ts ignore
 * import { loadBundles } from "./bundles.ts";
 * const bundles = await loadBundles({ log: console.log });
 * console.log(bundles.plug.length);
 * ```
 */
export async function loadBundles(options: LoadBundlesOptions = {}): Promise<FirmwareBundles> {
  const distDir = options.distDir ?? new URL("dist", ROOT).pathname;
  const plugPath = join(distDir, "plug.js");
  const fanPath = join(distDir, "fan.js");
  const plugMs = modifiedMs(plugPath);
  const fanMs = modifiedMs(fanPath);
  const builtMs = plugMs === null || fanMs === null ? null : Math.min(plugMs, fanMs);
  if (builtMs === null || builtMs < newestSourceMs()) {
    options.log?.(
      builtMs === null
        ? "building the firmware bundles (" + distDir + " has none)"
        : "rebuilding the firmware bundles (sources changed since the last build)",
    );
    await buildAll(distDir);
  }
  const files: Record<string, string> = {};
  for (const [built, stored] of Object.entries(STORED_FILES)) {
    try {
      const bytes = await Deno.readFile(join(distDir, built));
      let text = "";
      for (let at = 0; at < bytes.length; at += 8192) {
        text += String.fromCharCode(...bytes.subarray(at, at + 8192));
      }
      files[stored] = text;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return {
    plug: await Deno.readTextFile(plugPath),
    fan: await Deno.readTextFile(fanPath),
    files,
  };
}
