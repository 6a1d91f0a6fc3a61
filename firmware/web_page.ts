/**
 * Serves the device page from Storage: the build gzips `web/device.html` (about a third
 * of its size, less flash and airtime) and the flash task stores it as
 * {@linkcode PAGE_FILE}; it goes out as is with `Content-Encoding: gzip` (every browser
 * takes it; the chip cannot decompress), {@linkcode PAGE_CHUNK_BYTES} at a time, the next
 * chunk read from flash only when the socket has sent the headers or the last chunk
 * (`drain`), so the page is never in RAM. An `ETag` (CRC32 of the file, computed natively)
 * lets the browser's revalidation get a 304 with no body.
 *
 * @module
 */

import type { EspruinoGlobals, EspruinoHttpResponse, EspruinoStorage } from "./espruino_types.ts";

/** Storage file holding the gzipped page. */
export const PAGE_FILE = "hg.page.gz";

/** Bytes sent per chunk (about one TCP segment). */
export const PAGE_CHUNK_BYTES = 512;

const HOST_PATTERN = /^[A-Za-z0-9.:\[\]-]+$/;

/**
 * The page's headers: a strict Content-Security-Policy as in the simulator (the
 * WebSocket is allowed to the same host so that it fails fast, on the chip's 501, and
 * the page falls back to polling).
 *
 * @param host The request's `Host` header, or `undefined`.
 * @param size The gzipped page's size.
 * @param etag Its entity tag.
 * @returns Header names and values.
 * @example
 * ```ts
 * import { pageHeaders } from "./web_page.ts";
 * import assert from "node:assert/strict";
 * const headers = pageHeaders("10.0.0.5", 5000, '"1f"');
 * assert.equal(headers["content-encoding"], "gzip");
 * assert.match(headers["content-security-policy"] ?? "", /connect-src 'self' ws:\/\/10\.0\.0\.5;/);
 * assert.doesNotMatch(pageHeaders("evil\r\nx: y", 1, "1")["content-security-policy"] ?? "", /evil/);
 * ```
 */
export function pageHeaders(
  host: string | undefined,
  size: number,
  etag: string,
): Record<string, string> {
  const self = typeof host === "string" && HOST_PATTERN.test(host) ? " ws://" + host : "";
  return {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "content-type": "text/html; charset=utf-8",
    "content-encoding": "gzip",
    "content-length": String(size),
    "cache-control": "no-cache",
    "etag": etag,
    "content-security-policy": "default-src 'none'; script-src 'unsafe-inline'; " +
      "style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'" + self + "; " +
      "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  };
}

/**
 * Streams the page.
 *
 * @param g The Espruino globals (`E.CRC32` for the entity tag).
 * @param storage `require("Storage")`.
 * @param headers The request's headers, lower-case names.
 * @param res The response.
 * @returns `false` (nothing sent) when the page is not in Storage.
 */
export function streamPage(
  g: EspruinoGlobals,
  storage: EspruinoStorage,
  headers: Record<string, string>,
  res: EspruinoHttpResponse,
): boolean {
  // On the chip this is a view of the flash, not a copy.
  const page = storage.read(PAGE_FILE);
  if (page === undefined || page.length === 0) return false;
  const size = page.length;
  const crc = (g.E as unknown as { CRC32?: (data: string) => number }).CRC32;
  const etag = '"' + (typeof crc === "function" ? (crc(page) >>> 0).toString(16) + "-" : "") +
    size.toString(16) + '"';
  if (headers["if-none-match"] === etag) {
    res.writeHead(304, {
      "etag": etag,
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
    });
    res.end();
    return true;
  }
  // Listening first: its code is loaded before the headers are queued, not beside them.
  sendChunks(storage, res, size);
  res.writeHead(200, pageHeaders(headers["host"], size, etag));
  return true;
}

// A function of its own: the drain listener keeps what the chunks need, not the request's
// headers. The first chunk waits for the headers' drain, so that only one of them is queued
// at a time (some 40 variables each on an ESP8266).
const sendChunks = (storage: EspruinoStorage, res: EspruinoHttpResponse, size: number): void => {
  let offset = 0;
  let ended = false;
  res.on("drain", () => {
    if (ended) return;
    if (offset >= size) {
      ended = true;
      res.end();
      return;
    }
    const length = Math.min(PAGE_CHUNK_BYTES, size - offset);
    const chunk = storage.read(PAGE_FILE, offset, length);
    offset += length;
    res.write(chunk === undefined ? "" : chunk);
  });
};
