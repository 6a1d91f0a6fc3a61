/**
 * Espruino's strings are binary: one character per byte. These helpers convert between
 * them and byte arrays, as `E.toString` and `E.toUint8Array` do on the chip.
 *
 * @module
 */

/**
 * Turns data into a binary string (strings pass unchanged).
 *
 * @param data A string, `Uint8Array`, `ArrayBuffer`, array of bytes or number.
 * @returns One character per byte.
 * @example
 * ```ts
 * import { toBinaryString } from "./shim_bytes.ts";
 * import assert from "node:assert/strict";
 * assert.equal(toBinaryString(new Uint8Array([104, 105, 255])), "hi\xff");
 * assert.equal(toBinaryString("abc"), "abc");
 * ```
 */
export function toBinaryString(data: unknown): string {
  if (typeof data === "string") return data;
  if (typeof data === "number") return String.fromCharCode(data & 255);
  const bytes = toBytes(data);
  let text = "";
  for (let at = 0; at < bytes.length; at += 8192) {
    text += String.fromCharCode(...bytes.subarray(at, at + 8192));
  }
  return text;
}

/**
 * Turns data into bytes (a string's characters are cut to 8 bits, as on Espruino).
 *
 * @param data A string, `Uint8Array`, `ArrayBuffer`, typed array, array or number.
 * @returns The bytes.
 * @example
 * ```ts
 * import { toBytes } from "./shim_bytes.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(toBytes("hi\xff"), new Uint8Array([104, 105, 255]));
 * assert.deepEqual(toBytes([1, 2, 300]), new Uint8Array([1, 2, 44]));
 * ```
 */
export function toBytes(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  if (typeof data === "string") {
    const bytes = new Uint8Array(data.length);
    for (let n = 0; n < data.length; n++) bytes[n] = data.charCodeAt(n) & 255;
    return bytes;
  }
  if (Array.isArray(data)) return new Uint8Array(data.map((value) => Number(value) & 255));
  if (typeof data === "number") return new Uint8Array([data & 255]);
  return toBytes(String(data));
}
