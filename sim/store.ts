/**
 * The simulator's data folder (`--data DIR`, default `./.housegrid`): one sub-folder per
 * device, one file per key (`<dir>/<deviceId>/<key>`), holding JSON or plain text.
 *
 * Writes are atomic: the value goes to a hidden temporary file in the same folder, is flushed
 * to disk (optional), and is then renamed over the old file, so a crash mid-write leaves
 * either the old value or the new one, never a torn file. Leftover temporary files from such
 * a crash are removed when the store is opened. Reads and writes are synchronous because the
 * `KeyValueStore` port is.
 *
 * @module
 */

import { join } from "node:path";
import type { KeyValueStore } from "../lib/ports.ts";
import { isValidDeviceId } from "../lib/topics.ts";

export type { KeyValueStore };

/** The default data folder, relative to the working directory. */
export const DEFAULT_DATA_DIR = ".housegrid";

const KEY_PATTERN = /^[a-z0-9_-][a-z0-9_.-]{0,63}$/;
const TEMP_SUFFIX = ".tmp";

/** Options of {@linkcode deviceStore}. */
export interface DeviceStoreOptions {
  /** Flush each write to disk before the rename (default `true`); off is faster, less durable. */
  fsync?: boolean;
}

/** A device's key/value store, with its folder and a way to delete keys. */
export interface DeviceStore extends KeyValueStore {
  /** The device's folder. */
  readonly dir: string;
  /** Deletes a key; a missing key is fine. */
  remove(key: string): void;
  /** Lists the stored keys, sorted. */
  keys(): string[];
}

/**
 * Tells whether a key may name a file: 1 to 64 of `a-z 0-9 _ . -`, not starting with a dot
 * (so no `..`, no hidden or temporary files, no path separators).
 *
 * @param key The candidate key.
 * @returns `true` when the key is accepted.
 * @example
 * ```ts
 * import { isValidKey } from "./store.ts";
 * import assert from "node:assert/strict";
 * assert.equal(isValidKey("settings.json"), true);
 * assert.equal(isValidKey("../etc/passwd"), false);
 * ```
 */
export function isValidKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

const checkKey = (key: string): string => {
  if (!isValidKey(key)) {
    throw new RangeError(
      `invalid store key ${JSON.stringify(key)}: use 1-64 of a-z 0-9 _ . - (not starting with .)`,
    );
  }
  return key;
};

const isNotFound = (error: unknown): boolean => error instanceof Deno.errors.NotFound;

/**
 * Opens the store of one device inside a data folder, creating folders on first write.
 *
 * @param dataDir The data folder (`--data`), e.g. {@linkcode DEFAULT_DATA_DIR}.
 * @param deviceId The device id (`[a-z0-9_-]{1,32}`), also its folder name.
 * @param options Durability options.
 * @returns The device's store.
 * @throws {RangeError} When the device id is invalid; read/write/remove throw it for a bad key.
 * @example
 * ```ts
 * import { deviceStore } from "./store.ts";
 * import assert from "node:assert/strict";
 * const dataDir = Deno.makeTempDirSync();
 * const store = deviceStore(dataDir, "plug1");
 * assert.equal(store.read("energy"), null);
 * store.write("energy", JSON.stringify({ totalWh: 12.5 }));
 * assert.deepEqual(JSON.parse(store.read("energy") ?? "null"), { totalWh: 12.5 });
 * Deno.removeSync(dataDir, { recursive: true });
 * ```
 */
export function deviceStore(
  dataDir: string,
  deviceId: string,
  options: DeviceStoreOptions = {},
): DeviceStore {
  if (!isValidDeviceId(deviceId)) {
    throw new RangeError(`invalid device id ${JSON.stringify(deviceId)}: use 1-32 of a-z 0-9 _ -`);
  }
  const dir = join(dataDir, deviceId);
  const fsync = options.fsync ?? true;
  let tempCounter = 0;

  const entries = (): Deno.DirEntry[] => {
    try {
      return [...Deno.readDirSync(dir)];
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
  };

  // A crash between writing a temporary file and renaming it leaves the file behind.
  for (const entry of entries()) {
    if (entry.isFile && entry.name.startsWith(".") && entry.name.endsWith(TEMP_SUFFIX)) {
      Deno.removeSync(join(dir, entry.name));
    }
  }

  return {
    dir,
    read(key: string): string | null {
      try {
        return Deno.readTextFileSync(join(dir, checkKey(key)));
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
    },
    write(key: string, value: string): void {
      const path = join(dir, checkKey(key));
      Deno.mkdirSync(dir, { recursive: true });
      // Unique per process and call, so two stores on one folder never share a temp file.
      const temp = join(dir, `.${key}.${Deno.pid}.${tempCounter++}${TEMP_SUFFIX}`);
      try {
        const file = Deno.openSync(temp, { write: true, create: true, truncate: true });
        try {
          const bytes = new TextEncoder().encode(value);
          let written = 0;
          while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
          if (fsync) file.syncSync();
        } finally {
          file.close();
        }
        Deno.renameSync(temp, path);
      } catch (error) {
        try {
          Deno.removeSync(temp);
        } catch {
          // Already gone or never made: the original error is the one that matters.
        }
        throw error;
      }
    },
    remove(key: string): void {
      try {
        Deno.removeSync(join(dir, checkKey(key)));
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    },
    keys(): string[] {
      return entries()
        .filter((entry) => entry.isFile && isValidKey(entry.name))
        .map((entry) => entry.name)
        .sort();
    },
  };
}
