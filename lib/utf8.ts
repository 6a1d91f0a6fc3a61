/**
 * UTF-8 in pure code: Espruino has no `TextDecoder`/`TextEncoder`, and MQTT payloads
 * arrive as bytes. Decoding follows the WHATWG Encoding Standard (overlong forms, UTF-16
 * surrogates and code points above U+10FFFF are invalid).
 *
 * @module
 */

import { err, ok, type Result } from "./result.ts";

// Text is built as the body of a JSON string literal and parsed at the end: on Espruino,
// String.fromCharCode keeps only the low 8 bits, but JSON.parse of `\uXXXX` escapes gives
// the right string on every runtime.
const REPLACEMENT = "\\ufffd";
const HEX = "0123456789abcdef";

function escapeCodePoint(codePoint: number): string {
  if (codePoint >= 0x10000) {
    const offset = codePoint - 0x10000;
    return escapeCodePoint(0xd800 + (offset >> 10)) + escapeCodePoint(0xdc00 + (offset & 0x3ff));
  }
  return "\\u" + HEX.charAt((codePoint >> 12) & 15) + HEX.charAt((codePoint >> 8) & 15) +
    HEX.charAt((codePoint >> 4) & 15) + HEX.charAt(codePoint & 15);
}

// Returns null at the first invalid sequence unless `lossy`, which writes U+FFFD for each
// maximal invalid subpart instead (the WHATWG rule, so it agrees with TextDecoder).
function decodeBytes(bytes: Uint8Array, lossy: boolean): string | null {
  let out = "";
  let index = 0;
  const length = bytes.length;
  while (index < length) {
    const lead = bytes[index] as number;
    if (lead < 0x80) {
      const plain = lead >= 0x20 && lead !== 0x22 && lead !== 0x5c;
      out += plain ? String.fromCharCode(lead) : escapeCodePoint(lead);
      index++;
      continue;
    }
    let needed = 0;
    let codePoint = 0;
    let lower = 0x80;
    let upper = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
      needed = 1;
      codePoint = lead & 0x1f;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      needed = 2;
      codePoint = lead & 0x0f;
      if (lead === 0xe0) lower = 0xa0;
      if (lead === 0xed) upper = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      needed = 3;
      codePoint = lead & 0x07;
      if (lead === 0xf0) lower = 0x90;
      if (lead === 0xf4) upper = 0x8f;
    } else {
      if (!lossy) return null;
      out += REPLACEMENT;
      index++;
      continue;
    }
    let consumed = 1;
    while (consumed <= needed) {
      const at = index + consumed;
      const next = at < length ? bytes[at] as number : -1;
      if (next < lower || next > upper) break;
      codePoint = (codePoint << 6) | (next & 0x3f);
      lower = 0x80;
      upper = 0xbf;
      consumed++;
    }
    if (consumed <= needed) {
      if (!lossy) return null;
      out += REPLACEMENT;
      index += consumed;
      continue;
    }
    out += escapeCodePoint(codePoint);
    index += consumed;
  }
  return JSON.parse('"' + out + '"') as string;
}

/**
 * Decodes strict UTF-8.
 *
 * @param bytes The encoded bytes.
 * @returns The text, or an error when any byte sequence is invalid.
 * @example
 * ```ts
 * import { decodeUtf8 } from "./utf8.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(decodeUtf8(new Uint8Array([0x32, 0x30, 0xc2, 0xb0])), { ok: true, value: "20°" });
 * assert.equal(decodeUtf8(new Uint8Array([0xc0, 0xaf])).ok, false);
 * ```
 */
export function decodeUtf8(bytes: Uint8Array): Result<string> {
  const text = decodeBytes(bytes, false);
  if (text !== null) return ok(text);
  return err("payload is not valid UTF-8");
}

/**
 * Decodes UTF-8, writing U+FFFD for each invalid sequence (as `TextDecoder` does), for
 * showing bad bytes in an error message.
 *
 * @param bytes The encoded bytes.
 * @returns The text, never failing.
 * @example
 * ```ts
 * import { decodeUtf8Lossy } from "./utf8.ts";
 * import assert from "node:assert/strict";
 * assert.equal(decodeUtf8Lossy(new Uint8Array([0x4f, 0xff, 0x4e])), "O\ufffdN");
 * ```
 */
export function decodeUtf8Lossy(bytes: Uint8Array): string {
  return decodeBytes(bytes, true) as string;
}

/**
 * Encodes text as UTF-8; a lone UTF-16 surrogate becomes U+FFFD (as `TextEncoder` does).
 *
 * @param text The text.
 * @returns The bytes.
 * @example
 * ```ts
 * import { encodeUtf8 } from "./utf8.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(encodeUtf8("20°"), new Uint8Array([0x32, 0x30, 0xc2, 0xb0]));
 * ```
 */
export function encodeUtf8(text: string): Uint8Array {
  // Two passes, the bytes written straight into their array: on Espruino a growing array
  // of numbers costs a variable per byte (600 for one discovery message).
  let size = 0;
  forEachUtf8Byte(text, () => {
    size++;
  });
  const bytes = new Uint8Array(size);
  let at = 0;
  forEachUtf8Byte(text, (byte) => {
    bytes[at++] = byte;
  });
  return bytes;
}

/**
 * Calls `visit` with each byte of the UTF-8 encoding of `text`, without making the bytes
 * (on Espruino every array element is a variable); a lone surrogate is U+FFFD, as in
 * {@linkcode encodeUtf8}.
 *
 * @param text The text.
 * @param visit Called once per byte, in order.
 * @example
 * ```ts
 * import { forEachUtf8Byte } from "./utf8.ts";
 * import assert from "node:assert/strict";
 * const bytes: number[] = [];
 * forEachUtf8Byte("a€", (byte) => bytes.push(byte));
 * assert.deepEqual(bytes, [0x61, 0xe2, 0x82, 0xac]);
 * ```
 */
export function forEachUtf8Byte(text: string, visit: (byte: number) => void): void {
  forEachCodePoint(text, (codePoint) => {
    if (codePoint < 0x80) {
      visit(codePoint);
      return;
    }
    // Leading byte, then six bits per continuation byte, highest first.
    const extra = codePoint < 0x800 ? 1 : codePoint < 0x10000 ? 2 : 3;
    visit(((0xff00 >> (extra + 1)) & 0xff) | (codePoint >> (6 * extra)));
    for (let shift = 6 * (extra - 1); shift >= 0; shift -= 6) {
      visit(0x80 | ((codePoint >> shift) & 0x3f));
    }
  });
}

// Calls `visit` with each code point of `text`; a lone surrogate is U+FFFD.
const forEachCodePoint = (text: string, visit: (codePoint: number) => void): void => {
  const length = text.length;
  let index = 0;
  while (index < length) {
    let codePoint = text.charCodeAt(index);
    index++;
    if (codePoint >= 0xd800 && codePoint <= 0xdfff) {
      const low = index < length ? text.charCodeAt(index) : 0;
      if (codePoint <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) {
        codePoint = 0x10000 + ((codePoint - 0xd800) << 10) + (low - 0xdc00);
        index++;
      } else {
        codePoint = 0xfffd;
      }
    }
    visit(codePoint);
  }
};
