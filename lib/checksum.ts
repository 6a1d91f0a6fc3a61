/**
 * CRC-32 (the IEEE 802.3 / zlib / PNG checksum) in pure code, to tell a stored blob that
 * was corrupted or cut short from a good one. Bitwise rather than table-driven: the blobs
 * are small, and a 1 KB table would sit in an ESP8266's RAM for nothing.
 *
 * @module
 */

import { forEachUtf8Byte } from "./utf8.ts";

const CRC32_POLYNOMIAL = 0xedb88320;

// One byte into a running CRC (kept inverted, as the algorithm keeps it).
const crc32Byte = (crc: number, byte: number): number => {
  crc ^= byte;
  for (let bit = 0; bit < 8; bit++) {
    crc = (crc & 1) !== 0 ? (crc >>> 1) ^ CRC32_POLYNOMIAL : crc >>> 1;
  }
  return crc;
};

/**
 * Computes the CRC-32 of some bytes.
 *
 * @param bytes The bytes to check.
 * @returns The checksum as an unsigned 32-bit number.
 * @example
 * ```ts
 * import { crc32 } from "./checksum.ts";
 * import assert from "node:assert/strict";
 * const ascii = new Uint8Array([0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39]);
 * assert.equal(crc32(ascii), 0xcbf43926);
 * ```
 */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let index = 0; index < bytes.length; index++) crc = crc32Byte(crc, bytes[index] as number);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * Computes the CRC-32 of a text's UTF-8 encoding, without making its bytes (on an ESP8266
 * a settings blob's bytes alone are some 25 variables).
 *
 * @param text The text.
 * @returns The checksum of its UTF-8 bytes, as {@linkcode crc32} gives it.
 * @example
 * ```ts
 * import { crc32, crc32Text } from "./checksum.ts";
 * import assert from "node:assert/strict";
 * assert.equal(crc32Text("123456789"), 0xcbf43926);
 * assert.equal(crc32Text("€"), crc32(new Uint8Array([0xe2, 0x82, 0xac])));
 * ```
 */
export function crc32Text(text: string): number {
  let crc = 0xffffffff;
  forEachUtf8Byte(text, (byte) => {
    crc = crc32Byte(crc, byte);
  });
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * Formats a CRC-32 as the 8 lower-case hex digits stored beside the data.
 *
 * @param crc An unsigned 32-bit checksum.
 * @returns E.g. `cbf43926` (always 8 digits).
 * @example
 * ```ts
 * import { crc32Hex } from "./checksum.ts";
 * import assert from "node:assert/strict";
 * assert.equal(crc32Hex(0xcbf43926), "cbf43926");
 * assert.equal(crc32Hex(0x1f), "0000001f");
 * ```
 */
export function crc32Hex(crc: number): string {
  const hex = (crc >>> 0).toString(16);
  return "00000000".slice(hex.length) + hex;
}
