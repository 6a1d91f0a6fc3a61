/**
 * Espruino's `require("Storage")` for the shim: named binary files, kept in memory and,
 * when a path is given, in one JSON file so they survive the simulator (a device's flash
 * survives reboots and power cuts; here the same `ShimStorage` is handed to the next
 * shim instance).
 *
 * Names follow Espruino's rules (1 to 28 characters). `write` with an offset and size
 * works as on the chip: the first call makes a file of `size` bytes (unwritten bytes
 * read as `\xFF`, erased flash), later calls fill it in at their offset.
 *
 * @module
 */

import { toBinaryString } from "./shim_bytes.ts";

/** Options of a {@linkcode ShimStorage}. */
export interface ShimStorageOptions {
  /** A JSON file that keeps the files across runs; in memory only when absent. */
  path?: string;
  /** Flash set aside for Storage, in bytes (default 1 MB, an ESP8266_4MB's). */
  capacityBytes?: number;
  /** Files to start with (ignored when `path` exists). */
  files?: Record<string, string>;
}

/** What `require("Storage")` returns in the shim. */
export interface ShimStorageModule {
  /** A file's contents (or a part), `undefined` when missing. */
  read(name: string, offset?: number, length?: number): string | undefined;
  /** A file parsed as JSON; with `noExceptions`, `undefined` when missing or bad. */
  readJSON(name: string, noExceptions?: boolean): unknown;
  /** A file's bytes, `undefined` when missing. */
  readArrayBuffer(name: string): ArrayBuffer | undefined;
  /** Writes (or, with an offset, fills in) a file. */
  write(name: string, data: unknown, offset?: number, size?: number): boolean;
  /** Writes a value as JSON. */
  writeJSON(name: string, data: unknown): boolean;
  /** Removes a file. */
  erase(name: string): void;
  /** Removes every file. */
  eraseAll(): void;
  /** File names, optionally those matching a pattern. */
  list(pattern?: RegExp | string): string[];
  /** Bytes still free. */
  getFree(): number;
  /** Usage figures. */
  getStats(): {
    totalBytes: number;
    freeBytes: number;
    fileBytes: number;
    fileCount: number;
    trashBytes: number;
  };
  /** Compacts flash (nothing to do here). */
  compact(): void;
}

const NAME_MAX = 28;

const checkName = (name: unknown): string => {
  if (typeof name !== "string" || name.length < 1 || name.length > NAME_MAX) {
    throw new Error("Storage: file name must be 1 to " + NAME_MAX + " characters");
  }
  return name;
};

/**
 * A device's flash files.
 *
 * @example
 * ```ts
 * import { ShimStorage } from "./shim_storage.ts";
 * import assert from "node:assert/strict";
 * const storage = new ShimStorage();
 * const Storage = storage.module();
 * Storage.writeJSON("conf.json", { a: 1 });
 * assert.deepEqual(Storage.readJSON("conf.json", true), { a: 1 });
 * assert.equal(Storage.read("missing"), undefined);
 * Storage.write("big", "ab", 0, 4);
 * Storage.write("big", "cd", 2);
 * assert.equal(Storage.read("big"), "abcd");
 * ```
 */
export class ShimStorage {
  #files: Record<string, string>;
  #path: string | undefined;
  #capacity: number;

  /**
   * Opens the files (reading `path` when it exists).
   *
   * @param options Where to keep them, and the flash size.
   */
  constructor(options: ShimStorageOptions = {}) {
    this.#path = options.path;
    this.#capacity = options.capacityBytes ?? 1024 * 1024;
    this.#files = Object.assign({}, options.files ?? {});
    if (this.#path !== undefined) {
      try {
        const saved = JSON.parse(Deno.readTextFileSync(this.#path));
        if (typeof saved === "object" && saved !== null) {
          this.#files = {};
          for (const [name, value] of Object.entries(saved)) {
            if (typeof value === "string") this.#files[name] = value;
          }
        }
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    }
  }

  /**
   * A copy of every file.
   *
   * @returns Name to contents.
   */
  files(): Record<string, string> {
    return Object.assign({}, this.#files);
  }

  /**
   * Bytes in use.
   *
   * @returns The sum of the files' sizes.
   */
  usedBytes(): number {
    let used = 0;
    for (const name of Object.keys(this.#files)) used += (this.#files[name] as string).length;
    return used;
  }

  /**
   * The `Storage` module a bundle sees.
   *
   * @returns The module.
   */
  module(): ShimStorageModule {
    const read = (name: string, offset?: number, length?: number): string | undefined => {
      const text = this.#files[checkName(name)];
      if (text === undefined) return undefined;
      const from = offset ?? 0;
      return text.substring(from, length === undefined ? text.length : from + length);
    };
    const write = (name: string, data: unknown, offset?: number, size?: number): boolean => {
      checkName(name);
      const text = toBinaryString(data);
      const at = offset ?? 0;
      let next: string;
      if (size !== undefined && at === 0) {
        next = text.length >= size ? text : text + "\xff".repeat(size - text.length);
      } else if (at > 0) {
        const existing = this.#files[name];
        if (existing === undefined || at + text.length > existing.length) {
          throw new Error("Storage: " + name + " is not big enough to write at " + at);
        }
        next = existing.substring(0, at) + text + existing.substring(at + text.length);
      } else {
        next = text;
      }
      const old = this.#files[name];
      if (this.usedBytes() - (old?.length ?? 0) + next.length > this.#capacity) {
        throw new Error("Storage: not enough free space for " + name);
      }
      this.#files[name] = next;
      this.#save();
      return true;
    };
    return {
      read,
      readJSON: (name, noExceptions) => {
        const text = read(name);
        if (text === undefined) return undefined;
        try {
          return JSON.parse(text);
        } catch (error) {
          if (noExceptions) return undefined;
          throw error;
        }
      },
      readArrayBuffer: (name) => {
        const text = read(name);
        if (text === undefined) return undefined;
        const bytes = new Uint8Array(text.length);
        for (let n = 0; n < text.length; n++) bytes[n] = text.charCodeAt(n) & 255;
        return bytes.buffer;
      },
      write,
      writeJSON: (name, data) => write(name, JSON.stringify(data)),
      erase: (name) => {
        delete this.#files[checkName(name)];
        this.#save();
      },
      eraseAll: () => {
        this.#files = {};
        this.#save();
      },
      list: (pattern) => {
        const names = Object.keys(this.#files).sort();
        if (pattern === undefined) return names;
        const regex = typeof pattern === "string" ? new RegExp(pattern) : pattern;
        return names.filter((name) => regex.test(name));
      },
      getFree: () => this.#capacity - this.usedBytes(),
      getStats: () => ({
        totalBytes: this.#capacity,
        freeBytes: this.#capacity - this.usedBytes(),
        fileBytes: this.usedBytes(),
        fileCount: Object.keys(this.#files).length,
        // Erased files free their space at once here: nothing waits for a compaction.
        trashBytes: 0,
      }),
      compact: () => {},
    };
  }

  #save(): void {
    if (this.#path === undefined) return;
    const temp = this.#path + ".tmp";
    Deno.writeTextFileSync(temp, JSON.stringify(this.#files));
    Deno.renameSync(temp, this.#path);
  }
}
