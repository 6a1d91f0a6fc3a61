/**
 * Raw flash outside Storage, for a firmware upload that cannot sit in Storage next to the
 * running bundle: an ESP8266_4MB has 192 KB of Storage for a ~100 KB bundle, but about
 * 3 MB of flash above 1 MB that Storage never uses (`require("Flash").getFree()` lists it).
 *
 * Two areas of {@linkcode STAGE_AREA_BYTES} are used there: the new bundle is written to
 * the first as it arrives, and the boot installer (`boot_installer.ts`) copies the old
 * `.bootcde` to the second before replacing it, so a failed trial can be rolled back.
 *
 * Only builds whose free flash is known to lie outside Storage use this (the ESP8266
 * ones): on Espruino's Linux build `Flash.getFree()` answers the Storage area itself.
 *
 * @module
 */

import type { EspruinoGlobals } from "./espruino_types.ts";

/** `require("Flash")`: raw flash pages, by address. */
export interface EspruinoFlash {
  /** Areas no firmware part uses, e.g. `[{addr: 0x100000, length: 0x2fb000}]`. */
  getFree(): Array<{ addr: number; length: number }>;
  /** Erases (sets to 0xFF) the page holding `addr`. */
  erasePage(addr: number): void;
  /** Writes bytes at `addr` (4-byte aligned address and length on an ESP8266). */
  write(data: string | Uint8Array, addr: number): void;
  /** Reads `length` bytes from `addr`. */
  read(length: number, addr: number): Uint8Array;
}

/** Where an upload and the backup of the running bundle go. */
export interface StageArea {
  /** The Flash module. */
  flash: EspruinoFlash;
  /** Start of the new bundle's area. */
  newAddr: number;
  /** Start of the old bundle's backup area. */
  backupAddr: number;
}

/** Flash erase unit of the ESP8266. */
export const FLASH_PAGE_BYTES = 4096;

/** Each area's size: the largest bundle accepted (`MAX_FIRMWARE_BYTES`). */
export const STAGE_AREA_BYTES = 262144;

/** Raw flash below this address is left alone (firmware, SDK data, Storage). */
export const STAGE_LOWEST_ADDR = 0x100000;

/**
 * The staging areas of this build, or `null` when it has none that is safe to use.
 *
 * @param g The Espruino globals.
 * @returns The areas (the start of the largest free area high enough), or `null`.
 * @example
 * ```ts
 * import { stageArea } from "./flash_stage.ts";
 * import assert from "node:assert/strict";
 * const flash = { getFree: () => [{ addr: 0x100000, length: 0x2fb000 }] };
 * const g = { process: { env: { BOARD: "ESP8266_4MB" } }, require: () => flash };
 * assert.equal(stageArea(g as never)?.backupAddr, 0x140000);
 * const linux = { process: { env: { BOARD: "LINUX" } }, require: () => flash };
 * assert.equal(stageArea(linux as never), null);
 * ```
 */
export function stageArea(g: EspruinoGlobals): StageArea | null {
  const env = g.process.env;
  const board = env === undefined || typeof env.BOARD !== "string" ? "" : env.BOARD;
  if (board.indexOf("ESP8266") !== 0) return null;
  let flash: EspruinoFlash;
  try {
    flash = (g.require as unknown as (name: string) => EspruinoFlash)("Flash");
  } catch (_error) {
    return null;
  }
  let best: { addr: number; length: number } | null = null;
  for (const area of flash.getFree()) {
    // Page-aligned start at or above the lowest address, then room for both areas.
    const start = Math.max(
      STAGE_LOWEST_ADDR,
      Math.ceil(area.addr / FLASH_PAGE_BYTES) * FLASH_PAGE_BYTES,
    );
    const length = area.addr + area.length - start;
    if (length >= 2 * STAGE_AREA_BYTES && (best === null || length > best.length)) {
      best = { addr: start, length: length };
    }
  }
  if (best === null) return null;
  return { flash: flash, newAddr: best.addr, backupAddr: best.addr + STAGE_AREA_BYTES };
}

/** Writes a stream of chunks to raw flash, erasing pages as it reaches them. */
export interface RawWriter {
  /** Appends bytes (a binary string). */
  write(data: string): void;
  /** Writes what is left (padded with 0xFF to 4 bytes). */
  finish(): void;
  /** Bytes appended so far. */
  written(): number;
}

/**
 * Starts writing at `addr`: ESP8266 flash takes 4-byte aligned writes, so up to 3 bytes
 * wait for the next chunk.
 *
 * @param flash The Flash module.
 * @param addr Page-aligned start.
 * @returns The writer.
 * @example
 * ```ts
 * import { createRawWriter, readRaw } from "./flash_stage.ts";
 * import assert from "node:assert/strict";
 * const bytes = new Uint8Array(8192);
 * const flash = {
 *   getFree: () => [],
 *   erasePage: (a: number) => void bytes.fill(255, a - (a % 4096), a - (a % 4096) + 4096),
 *   write: (d: string | Uint8Array, a: number) =>
 *     bytes.set(typeof d === "string" ? Uint8Array.from(d, (c) => c.charCodeAt(0)) : d, a),
 *   read: (n: number, a: number) => bytes.slice(a, a + n),
 * };
 * const writer = createRawWriter(flash, 0);
 * writer.write("hello ");
 * writer.write("flash");
 * writer.finish();
 * const toString = (b: Uint8Array) => String.fromCharCode(...b);
 * assert.equal(readRaw(flash, toString, 0, 0, 11), "hello flash");
 * ```
 */
export function createRawWriter(flash: EspruinoFlash, addr: number): RawWriter {
  let carry = "";
  let at = addr;
  let erasedTo = addr;
  let total = 0;
  const put = (data: string): void => {
    while (erasedTo < at + data.length) {
      flash.erasePage(erasedTo);
      erasedTo += FLASH_PAGE_BYTES;
    }
    flash.write(data, at);
    at += data.length;
  };
  return {
    write: (data: string): void => {
      total += data.length;
      const text = carry + data;
      const whole = text.length - (text.length % 4);
      carry = text.slice(whole);
      if (whole > 0) put(text.slice(0, whole));
    },
    finish: (): void => {
      if (carry === "") return;
      put((carry + "\xff\xff\xff").slice(0, 4));
      carry = "";
    },
    written: (): number => total,
  };
}

/**
 * Reads bytes of a staged file.
 *
 * @param flash The Flash module.
 * @param toString `E.toString`: bytes to a binary string.
 * @param addr The area's start.
 * @param offset Offset in the file.
 * @param length How many bytes.
 * @returns A binary string.
 */
export function readRaw(
  flash: EspruinoFlash,
  toString: (bytes: Uint8Array) => string,
  addr: number,
  offset: number,
  length: number,
): string {
  if (length <= 0) return "";
  // Aligned reads only (an ESP8266 reads flash in 4-byte words).
  const start = addr + offset;
  const aligned = start - (start % 4);
  const skip = start - aligned;
  const text = toString(flash.read((skip + length + 3) & ~3, aligned));
  return text.substr(skip, length);
}
