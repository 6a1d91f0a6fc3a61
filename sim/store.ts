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
 * With `writeBehind` a write returns at once and the file is written in the background,
 * latest value per key first come, so a device's hot path (a relay switch, an energy save
 * of thousands of plugs in the same second) never waits for the disk. Every store of the
 * same folder in this process reads the value written last, on disk or not yet; `flush()`
 * waits until everything is on disk.
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
  /** Write in the background instead of before `write` returns (default `false`). */
  writeBehind?: boolean;
}

/** A device's key/value store, with its folder and a way to delete keys. */
export interface DeviceStore extends KeyValueStore {
  /** The device's folder. */
  readonly dir: string;
  /** Deletes a key; a missing key is fine. */
  remove(key: string): void;
  /** Lists the stored keys, sorted. */
  keys(): string[];
  /** Resolves when every write so far is on disk; rejects with a background write's error. */
  flush(): Promise<void>;
}

/** Values of one folder not yet on disk (`null`: being deleted), shared by its stores. */
interface Backlog {
  values: Map<string, string | null>;
  running: Promise<void> | null;
  /** The pending start of a drain (see `WRITE_BEHIND_DELAY_MS`). */
  timer: ReturnType<typeof setTimeout> | null;
  /** Starts the pending drain now. */
  start: (() => void) | null;
  error: unknown;
}

/**
 * How long a write-behind value waits before it goes to disk. Writing costs the event loop
 * a few async file operations whose completions delay whatever runs then (a command's answer
 * took 2.6 ms at p99 instead of 0.9); waiting a moment writes a relay switched many times,
 * or thousands of energy saves, once.
 */
const WRITE_BEHIND_DELAY_MS = 1000;

const backlogs = new Map<string, Backlog>();

const backlogOf = (dir: string): Backlog => {
  let backlog = backlogs.get(dir);
  if (backlog === undefined) {
    backlog = { values: new Map(), running: null, timer: null, start: null, error: null };
    backlogs.set(dir, backlog);
  }
  return backlog;
};

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
  const writeBehind = options.writeBehind ?? false;
  let tempCounter = 0;

  const entries = (): Deno.DirEntry[] => {
    try {
      return [...Deno.readDirSync(dir)];
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
  };

  // A crash between writing a temporary file and renaming it leaves the file behind. This
  // process's own may be a background write in progress.
  const ours = `.${Deno.pid}.`;
  for (const entry of entries()) {
    if (
      entry.isFile && entry.name.startsWith(".") && entry.name.endsWith(TEMP_SUFFIX) &&
      !entry.name.includes(ours)
    ) {
      Deno.removeSync(join(dir, entry.name));
    }
  }

  // Unique per process and call, so two stores on one folder never share a temp file.
  const tempPath = (key: string): string =>
    join(dir, `.${key}.${Deno.pid}.${tempCounter++}${TEMP_SUFFIX}`);

  // The same atomic write in two forms: at once for plain stores, off the event loop for
  // write-behind ones (an fsync'd write blocks ~4 ms, too long for thousands a minute).
  const writeNow = (key: string, value: string): void => {
    const path = join(dir, key);
    Deno.mkdirSync(dir, { recursive: true });
    const temp = tempPath(key);
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
  };

  const writeLater = async (key: string, value: string): Promise<void> => {
    await Deno.mkdir(dir, { recursive: true });
    const temp = tempPath(key);
    try {
      const file = await Deno.open(temp, { write: true, create: true, truncate: true });
      try {
        const bytes = new TextEncoder().encode(value);
        let written = 0;
        while (written < bytes.length) written += await file.write(bytes.subarray(written));
        if (fsync) await file.sync();
      } finally {
        file.close();
      }
      await Deno.rename(temp, join(dir, key));
    } catch (error) {
      await Deno.remove(temp).catch(() => {});
      throw error;
    }
  };

  const removeNow = (key: string): void => {
    try {
      Deno.removeSync(join(dir, key));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  };

  const backlog = backlogOf(dir);
  const drain = async (): Promise<void> => {
    for (const [key, value] of backlog.values) {
      try {
        if (value === null) removeNow(key);
        else await writeLater(key, value);
      } catch (error) {
        backlog.error ??= error;
      }
      // A newer value written meanwhile stays queued (the map keeps it in place).
      if (backlog.values.get(key) === value) backlog.values.delete(key);
    }
    backlog.running = null;
  };
  const queue = (key: string, value: string | null): void => {
    // Re-inserted at the end so the loop in `drain` meets it again.
    backlog.values.delete(key);
    backlog.values.set(key, value);
    if (backlog.running !== null || backlog.timer !== null) return;
    let started: (() => void) | null = null;
    backlog.running = new Promise<void>((resolve) => {
      started = () => {
        if (backlog.timer !== null) clearTimeout(backlog.timer);
        backlog.timer = null;
        backlog.start = null;
        drain().then(resolve);
      };
    });
    backlog.start = started;
    backlog.timer = setTimeout(started!, WRITE_BEHIND_DELAY_MS);
  };

  return {
    dir,
    read(key: string): string | null {
      const waiting = backlog.values.get(checkKey(key));
      if (waiting !== undefined) return waiting;
      try {
        return Deno.readTextFileSync(join(dir, key));
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
    },
    write(key: string, value: string): void {
      checkKey(key);
      if (writeBehind) queue(key, value);
      else if (backlog.values.size > 0) queue(key, value);
      else writeNow(key, value);
    },
    remove(key: string): void {
      checkKey(key);
      if (backlog.values.size > 0) queue(key, null);
      else removeNow(key);
    },
    keys(): string[] {
      const names = new Set(
        entries().filter((entry) => entry.isFile && isValidKey(entry.name)).map((entry) =>
          entry.name
        ),
      );
      for (const [key, value] of backlog.values) {
        if (value === null) names.delete(key);
        else names.add(key);
      }
      return [...names].sort();
    },
    async flush(): Promise<void> {
      backlog.start?.();
      while (backlog.running !== null) {
        backlog.start?.();
        await backlog.running;
      }
      const error = backlog.error;
      backlog.error = null;
      if (error !== null) throw error;
    },
  };
}
