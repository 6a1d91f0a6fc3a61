/**
 * Hashing and randomness for the web page on the chip, with what each Espruino build
 * has: `require("crypto").PBKDF2` and `.SHA256` exist only in builds with TLS or the
 * SHA256 library (Espruino's Linux build, an ESP32, a Pico); an ESP8266_4MB build of
 * 2v29 has SHA-1 only. So SHA-256 is done here in JavaScript when the build lacks it,
 * incrementally (for a firmware upload read back from flash in slices), and PBKDF2-SHA256
 * on top of it, two compressions per iteration (the HMAC pads are hashed once).
 *
 * An ESP8266_4MB has no SHA-256 and no PBKDF2, only a native SHA-1: there passwords are
 * `pbkdf2-sha1` records ({@linkcode chipAccountHashing}), derived in `lib/web_account.ts`
 * around that SHA-1, far faster than PBKDF2-SHA256 in JavaScript.
 *
 * Iterations are not a constant: {@linkcode chooseIterations} times the derivation on the
 * device and picks as many as fit a time budget, since the login runs synchronously in
 * one task and a long busy loop starves an ESP8266's Wi-Fi. The account record keeps the
 * count, so a password set on one platform verifies on any.
 *
 * Randomness: Espruino has no cryptographic generator. `E.hwRand()` is ADC noise on some
 * chips but libc `rand()` on an ESP8266, and `Math.random()` is a PRNG. Tokens are
 * therefore SHA-1 (native everywhere `crypto` exists) of a running seed mixed with
 * everything unpredictable at hand: the microsecond clock at each request, `E.hwRand()`,
 * `Math.random()`, and on an ESP8266 its hardware random register (RF noise). See
 * {@linkcode randomHex} for the caveat.
 *
 * @module
 */

import { deriveAccountKey, type DeriveKey, newAccountAlgorithm } from "../lib/web_account.ts";
import type { EspruinoCrypto } from "./espruino_types.ts";

/** Where randomness comes from; `seed` carries over from call to call. */
export interface EntropySource {
  /** SHA-1 of a binary string, as a 20-character binary string; `null` without `crypto`. */
  sha1: ((data: string) => string) | null;
  /** Fresh noise: clock, `E.hwRand()`, `Math.random()`, a hardware register. */
  noise(): string;
  /** The running seed (binary); updated by every {@linkcode randomHex}. */
  seed: string;
}

/** An incremental SHA-256. */
export interface Sha256 {
  /** The chaining value. */
  h: Int32Array;
  /** Message schedule, reused for every block. */
  w: Int32Array;
  /** Bytes not yet making up a whole block (binary string). */
  tail: string;
  /** Bytes hashed so far, tail included. */
  length: number;
}

const K_HEX = "428a2f9871374491b5c0fbcfe9b5dba53956c25b59f111f1923f82a4ab1c5ed5" +
  "d807aa9812835b01243185be550c7dc372be5d7480deb1fe9bdc06a7c19bf174" +
  "e49b69c1efbe47860fc19dc6240ca1cc2de92c6f4a7484aa5cb0a9dc76f988da" +
  "983e5152a831c66db00327c8bf597fc7c6e00bf3d5a7914706ca635114292967" +
  "27b70a852e1b21384d2c6dfc53380d13650a7354766a0abb81c2c92e92722c85" +
  "a2bfe8a1a81a664bc24b8b70c76c51a3d192e819d6990624f40e3585106aa070" +
  "19a4c1161e376c082748774c34b0bcb5391c0cb34ed8aa4a5b9cca4f682e6ff3" +
  "748f82ee78a5636f84c878148cc7020890befffaa4506cebbef9a3f7c67178f2";
const IV_HEX = "6a09e667bb67ae853c6ef372a54ff53a510e527f9b05688c1f83d9ab5be0cd19";

const wordsOf = (hex: string): Int32Array => {
  const words = new Int32Array(hex.length / 8);
  for (let i = 0; i < words.length; i++) words[i] = parseInt(hex.substr(i * 8, 8), 16) | 0;
  return words;
};

// Built once per use of this module (it is instantiated per task on the chip).
const K = wordsOf(K_HEX);

/** One compression of the 16 words in `w[0..15]` into `h`. */
const compress = (h: Int32Array, w: Int32Array): void => {
  for (let t = 16; t < 64; t++) {
    const x = w[t - 15] as number;
    const y = w[t - 2] as number;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[t] = ((w[t - 16] as number) + s0 + (w[t - 7] as number) + s1) | 0;
  }
  let a = h[0] as number;
  let b = h[1] as number;
  let c = h[2] as number;
  let d = h[3] as number;
  let e = h[4] as number;
  let f = h[5] as number;
  let g = h[6] as number;
  let k = h[7] as number;
  for (let t = 0; t < 64; t++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (k + s1 + ((e & f) ^ (~e & g)) + (K[t] as number) + (w[t] as number)) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    k = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  h[0] = ((h[0] as number) + a) | 0;
  h[1] = ((h[1] as number) + b) | 0;
  h[2] = ((h[2] as number) + c) | 0;
  h[3] = ((h[3] as number) + d) | 0;
  h[4] = ((h[4] as number) + e) | 0;
  h[5] = ((h[5] as number) + f) | 0;
  h[6] = ((h[6] as number) + g) | 0;
  h[7] = ((h[7] as number) + k) | 0;
};

const loadBlock = (w: Int32Array, data: string, at: number): void => {
  for (let i = 0; i < 16; i++) {
    const o = at + i * 4;
    w[i] = (data.charCodeAt(o) << 24) | (data.charCodeAt(o + 1) << 16) |
      (data.charCodeAt(o + 2) << 8) | data.charCodeAt(o + 3);
  }
};

const wordsToBinary = (words: Int32Array): string => {
  let out = "";
  for (let i = 0; i < words.length; i++) {
    const v = words[i] as number;
    out += String.fromCharCode((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
  }
  return out;
};

/**
 * Starts an incremental SHA-256.
 *
 * @returns The empty hash state.
 * @example
 * ```ts
 * import { sha256Add, sha256End, sha256Start, toHex } from "./web_crypto.ts";
 * import assert from "node:assert/strict";
 * const hash = sha256Start();
 * sha256Add(hash, "ab");
 * sha256Add(hash, "c");
 * assert.equal(
 *   toHex(sha256End(hash)),
 *   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
 * );
 * ```
 */
export function sha256Start(): Sha256 {
  return { h: wordsOf(IV_HEX), w: new Int32Array(64), tail: "", length: 0 };
}

/**
 * Hashes more data.
 *
 * @param hash The state (changed in place).
 * @param data A binary string (one byte per character).
 * @example
 * ```ts
 * import { sha256Add, sha256End, sha256Start, toHex } from "./web_crypto.ts";
 * import assert from "node:assert/strict";
 * const hash = sha256Start();
 * sha256Add(hash, "");
 * assert.equal(toHex(sha256End(hash)).slice(0, 8), "e3b0c442");
 * ```
 */
export function sha256Add(hash: Sha256, data: string): void {
  hash.length += data.length;
  const text = hash.tail === "" ? data : hash.tail + data;
  let at = 0;
  while (text.length - at >= 64) {
    loadBlock(hash.w, text, at);
    compress(hash.h, hash.w);
    at += 64;
  }
  hash.tail = at === 0 ? text : text.slice(at);
}

/**
 * Finishes a SHA-256.
 *
 * @param hash The state (not usable afterwards).
 * @returns The 32-byte digest as a binary string.
 * @example
 * ```ts
 * import { sha256Add, sha256End, sha256Start, toHex } from "./web_crypto.ts";
 * import assert from "node:assert/strict";
 * const hash = sha256Start();
 * sha256Add(hash, "abc");
 * assert.equal(sha256End(hash).length, 32);
 * ```
 */
export function sha256End(hash: Sha256): string {
  const bits = hash.length * 8;
  const high = Math.floor(bits / 4294967296);
  const low = bits - high * 4294967296;
  let pad = "\x80";
  const zeros = (119 - (hash.length % 64)) % 64;
  for (let i = 0; i < zeros; i++) pad += "\0";
  pad += String.fromCharCode(
    Math.floor(high / 16777216) & 255,
    Math.floor(high / 65536) & 255,
    Math.floor(high / 256) & 255,
    high & 255,
    Math.floor(low / 16777216) & 255,
    Math.floor(low / 65536) & 255,
    Math.floor(low / 256) & 255,
    low & 255,
  );
  const length = hash.length;
  sha256Add(hash, pad);
  hash.length = length;
  return wordsToBinary(hash.h);
}

/**
 * Writes a binary string as lower-case hex.
 *
 * @param binary One byte per character.
 * @returns Two hex digits per byte.
 * @example
 * ```ts
 * import { toHex } from "./web_crypto.ts";
 * import assert from "node:assert/strict";
 * assert.equal(toHex("\x00\x7f\xff"), "007fff");
 * ```
 */
export function toHex(binary: string): string {
  let out = "";
  for (let i = 0; i < binary.length; i++) {
    const byte = binary.charCodeAt(i) & 255;
    out += (byte < 16 ? "0" : "") + byte.toString(16);
  }
  return out;
}

/**
 * Reads hex into a binary string.
 *
 * @param hex An even number of hex digits.
 * @returns One character per byte.
 * @example
 * ```ts
 * import { fromHex } from "./web_crypto.ts";
 * import assert from "node:assert/strict";
 * assert.equal(fromHex("00ff41"), "\x00\xffA");
 * ```
 */
export function fromHex(hex: string): string {
  let out = "";
  for (let i = 0; i + 1 < hex.length; i += 2) {
    out += String.fromCharCode(parseInt(hex.substr(i, 2), 16));
  }
  return out;
}

const bufferToBinary = (buffer: ArrayBuffer): string => {
  const bytes = new Uint8Array(buffer);
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i] as number);
  return out;
};

/**
 * SHA-256 of a binary string: the build's own when it has one, else in JavaScript.
 *
 * @param crypto `require("crypto")`, or `null`.
 * @param data One byte per character (on a chip, a Storage file read whole stays in flash).
 * @returns The digest, hex.
 * @example
 * ```ts
 * import { sha256Hex } from "./web_crypto.ts";
 * import assert from "node:assert/strict";
 * assert.equal(sha256Hex(null, "abc").slice(0, 8), "ba7816bf");
 * ```
 */
export function sha256Hex(crypto: EspruinoCrypto | null, data: string): string {
  if (crypto !== null && typeof crypto.SHA256 === "function") {
    return toHex(bufferToBinary(crypto.SHA256(data)));
  }
  const hash = sha256Start();
  sha256Add(hash, data);
  return toHex(sha256End(hash));
}

// The chaining value after one block of `key XOR pad` (the HMAC's inner or outer start).
const padState = (key: string, pad: number, w: Int32Array): Int32Array => {
  let block = "";
  for (let i = 0; i < 64; i++) block += String.fromCharCode((key.charCodeAt(i) & 255) ^ pad);
  const h = wordsOf(IV_HEX);
  loadBlock(w, block, 0);
  compress(h, w);
  return h;
};

// Hashes a 32-byte message (8 words) after a one-block prefix whose chaining value is
// `start`: a single block with the padding of a 96-byte message.
const hashAfterPad = (start: Int32Array, words: Int32Array, w: Int32Array, out: Int32Array) => {
  for (let i = 0; i < 8; i++) w[i] = words[i] as number;
  w[8] = 0x80000000 | 0;
  for (let i = 9; i < 15; i++) w[i] = 0;
  w[15] = 768;
  out.set(start);
  compress(out, w);
};

const binaryToWords = (binary: string): Int32Array => {
  const words = new Int32Array(binary.length / 4);
  for (let i = 0; i < words.length; i++) {
    const o = i * 4;
    words[i] = (binary.charCodeAt(o) << 24) | (binary.charCodeAt(o + 1) << 16) |
      (binary.charCodeAt(o + 2) << 8) | binary.charCodeAt(o + 3);
  }
  return words;
};

/**
 * PBKDF2-HMAC-SHA256 with a 32-byte key, as `lib/web_account.ts` stores it: the build's
 * `crypto.PBKDF2` when it has one, else JavaScript (two SHA-256 compressions per
 * iteration).
 *
 * @param crypto `require("crypto")`, or `null`.
 * @param password The password (its bytes as received).
 * @param saltHex The salt, hex.
 * @param iterations Iterations, at least 1.
 * @returns The derived key, hex.
 * @example
 * ```ts
 * import { pbkdf2Sha256Hex } from "./web_crypto.ts";
 * import assert from "node:assert/strict";
 * // RFC 7914's PBKDF2-HMAC-SHA256 test vector ("passwd", "salt", 1 iteration).
 * assert.equal(
 *   pbkdf2Sha256Hex(null, "passwd", "73616c74", 1),
 *   "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc",
 * );
 * ```
 */
export function pbkdf2Sha256Hex(
  crypto: EspruinoCrypto | null,
  password: string,
  saltHex: string,
  iterations: number,
): string {
  const count = Math.max(1, Math.floor(iterations));
  const salt = fromHex(saltHex);
  if (crypto !== null && typeof crypto.PBKDF2 === "function") {
    const key = crypto.PBKDF2(password, salt, { keySize: 8, iterations: count, hasher: "SHA256" });
    return toHex(bufferToBinary(key));
  }
  let key = password;
  if (key.length > 64) {
    const long = sha256Start();
    sha256Add(long, key);
    key = sha256End(long);
  }
  const w = new Int32Array(64);
  const inner = padState(key, 0x36, w);
  const outer = padState(key, 0x5c, w);
  // U1 = HMAC(salt || 00000001): the salt may be any length, so hash it incrementally.
  const first = { h: new Int32Array(inner), w: w, tail: "", length: 64 };
  sha256Add(first, salt + "\0\0\0\x01");
  const innerDigest = binaryToWords(sha256End(first));
  const u = new Int32Array(8);
  hashAfterPad(outer, innerDigest, w, u);
  const total = new Int32Array(u);
  const scratch = new Int32Array(8);
  for (let n = 1; n < count; n++) {
    hashAfterPad(inner, u, w, scratch);
    hashAfterPad(outer, scratch, w, u);
    for (let i = 0; i < 8; i++) total[i] = (total[i] as number) ^ (u[i] as number);
  }
  return toHex(wordsToBinary(total));
}

/**
 * Fewest iterations of a `pbkdf2-sha1` record made on a chip. Estimate for an ESP8266 at
 * 80 MHz: one iteration of `pbkdf2Sha1` from the minified bundle (two native SHA-1 of 84
 * bytes, the loop in Espruino's interpreter) took 0.12-0.13 ms in Espruino 2v29's Linux
 * build on the development machine (load ~2 on 2 cores). That build toggles a pin in a
 * `for` loop in 9 µs, where the 72 MHz original Espruino board takes ~250 µs
 * (espruino.com/Performance: a 4 kHz square wave), a factor of ~28. Taking the ESP8266 at
 * 80 MHz as that board's equal (within 2x either way), an iteration costs ~3.5 ms there,
 * so 256 take ~0.9 s (0.45-1.8 s): a login stays under the seconds after which a busy
 * loop starves the Wi-Fi. A faster chip gets more from {@linkcode chooseIterations}.
 */
export const MIN_SHA1_ITERATIONS = 256;

/**
 * The account hashing of this build, for `lib/web_account.ts`: a build with native PBKDF2
 * or SHA-256 makes `pbkdf2-sha256` records (as before); a build with SHA-1 only (an ESP8266_4MB) makes
 * `pbkdf2-sha1` records around its native SHA-1, and still verifies `pbkdf2-sha256`
 * records made before (with the JavaScript SHA-256: slow, but only at login); a build
 * without `crypto` uses the JavaScript SHA-256.
 *
 * @param crypto `require("crypto")`, or `null`.
 * @returns A bare PBKDF2-SHA256 function, or the SHA-1 hashing object.
 * @example
 * ```ts
 * import { chipAccountHashing } from "./web_crypto.ts";
 * import { createAccount } from "../lib/web_account.ts";
 * import { createHash } from "node:crypto";
 * import assert from "node:assert/strict";
 * const SHA1 = (m: string | Uint8Array) =>
 *   new Uint8Array(createHash("sha1").update(m as Uint8Array).digest()).buffer;
 * const hashing = chipAccountHashing({ SHA1 });
 * assert.equal(createAccount("correct horse", "00", 2, hashing).algorithm, "pbkdf2-sha1");
 * assert.equal(typeof chipAccountHashing(null), "function");
 * ```
 */
export function chipAccountHashing(crypto: EspruinoCrypto | null): DeriveKey {
  const pbkdf2 = (password: string, saltHex: string, iterations: number): string =>
    pbkdf2Sha256Hex(crypto, password, saltHex, iterations);
  if (
    crypto === null || typeof crypto.PBKDF2 === "function" ||
    typeof crypto.SHA256 === "function" || typeof crypto.SHA1 !== "function"
  ) {
    return pbkdf2;
  }
  // Espruino's SHA1 takes a typed array as well as a string.
  const native = crypto.SHA1 as unknown as (data: Uint8Array) => ArrayBuffer;
  return {
    algorithm: "pbkdf2-sha1",
    pbkdf2Sha256: pbkdf2,
    sha1: (data: Uint8Array) => new Uint8Array(native(data)),
  };
}

/**
 * Picks a PBKDF2 iteration count for new passwords on this device: as many as one
 * derivation can do within `budgetMs`, measured here (the same code runs natively on one
 * build and in JavaScript on another, on CPUs far apart); `pbkdf2-sha1` records get at
 * least {@linkcode MIN_SHA1_ITERATIONS}.
 *
 * @param derive The derivation: a PBKDF2-SHA256 function or the build's hashing.
 * @param nowMs A clock in ms (fractional is best).
 * @param budgetMs Time one login may take in the derivation.
 * @param maxIterations The most worth doing.
 * @returns At least 1, at most `maxIterations`.
 * @example
 * ```ts
 * import { chooseIterations } from "./web_crypto.ts";
 * import assert from "node:assert/strict";
 * let now = 0;
 * const derive = (_p: string, _s: string, n: number) => { now += n * 2; return ""; };
 * assert.equal(chooseIterations(derive, () => now, 300, 100000), 150);
 * ```
 */
export function chooseIterations(
  derive: DeriveKey,
  nowMs: () => number,
  budgetMs: number,
  maxIterations: number,
): number {
  const algorithm = newAccountAlgorithm(derive);
  let probe = 1;
  let spentMs = 0;
  // Fast (native) derivations: grow the probe until its time can be measured.
  while (probe < maxIterations) {
    const startMs = nowMs();
    deriveAccountKey(derive, algorithm, "calibration", "00", probe);
    spentMs = nowMs() - startMs;
    if (spentMs * 8 >= budgetMs) break;
    probe *= 4;
  }
  const fit = spentMs > 0 ? Math.floor(probe * budgetMs / spentMs) : maxIterations;
  const least = algorithm === "pbkdf2-sha1" ? MIN_SHA1_ITERATIONS : 1;
  return Math.max(Math.min(least, maxIterations), 1, Math.min(maxIterations, fit));
}

/**
 * Random bytes for session and CSRF tokens and salts, as hex.
 *
 * Caveat: Espruino has no cryptographic random generator, so these are only as
 * unpredictable as the noise mixed in (see the module doc). The seed is hashed forward
 * with SHA-1 at every call, so an observer of tokens cannot run it back; without
 * `crypto` (no SHA-1) the bytes come straight from `noise()`.
 *
 * @param source The entropy source (its `seed` is updated).
 * @param bytes How many bytes.
 * @returns `2 * bytes` hex digits.
 * @example
 * ```ts
 * import { randomHex } from "./web_crypto.ts";
 * import { createHash } from "node:crypto";
 * import assert from "node:assert/strict";
 * const sha1 = (data: string) => createHash("sha1").update(data, "latin1").digest().toString("latin1");
 * const source = { sha1, noise: () => String(performance.now()), seed: "" };
 * const a = randomHex(source, 32);
 * assert.match(a, /^[0-9a-f]{64}$/);
 * assert.notEqual(randomHex(source, 32), a);
 * ```
 */
export function randomHex(source: EntropySource, bytes: number): string {
  let out = "";
  const sha1 = source.sha1;
  if (sha1 === null) {
    while (out.length < bytes * 2) {
      const noise = source.noise();
      for (let i = 0; i < noise.length && out.length < bytes * 2; i++) {
        const byte = (noise.charCodeAt(i) * 131 + Math.floor(Math.random() * 256)) & 255;
        out += (byte < 16 ? "0" : "") + byte.toString(16);
      }
    }
    return out;
  }
  source.seed = sha1(source.seed + source.noise());
  for (let block = 0; out.length < bytes * 2; block++) {
    out += toHex(sha1(source.seed + "\x01" + block + source.noise()));
  }
  source.seed = sha1(source.seed + "\x02" + source.noise());
  return out.slice(0, bytes * 2);
}
