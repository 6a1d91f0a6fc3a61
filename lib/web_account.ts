/**
 * The device's web account (the original plug's "client account"): one password, kept
 * only as a salted PBKDF2 hash in the device store. Hashing is passed in, since lib/ has
 * no crypto: the simulator uses node:crypto's PBKDF2-SHA256, a chip with native PBKDF2
 * (a build with TLS) uses Espruino's, and an ESP8266 (SHA-1 only, no SHA-256 nor PBKDF2)
 * passes its native `crypto.SHA1` and gets PBKDF2-HMAC-SHA1 (RFC 8018) done here around
 * it, since a SHA-256 in JavaScript is far too slow there.
 *
 * Records: `pbkdf2-sha256` ones are JSON `{algorithm, iterations, salt, hash}` (as stored
 * since the first release); `pbkdf2-sha1` ones are `pbkdf2-sha1$<iterations>$<salt>$<hash>`
 * (salt and 20-byte hash in hex). Both verify anywhere the matching primitive exists, and
 * the record says how many iterations it took.
 *
 * @module
 */

import { err, ok, type Result } from "./result.ts";
import { encodeUtf8 } from "./utf8.ts";
import { constantTimeEqual } from "./web_auth.ts";

/** Shortest password accepted. */
export const MIN_PASSWORD_LENGTH = 8;

/** Longest password accepted (bounds the hashing work an attacker can ask for). */
export const MAX_PASSWORD_LENGTH = 128;

/** The key derivations a record can use. */
export type AccountAlgorithm = "pbkdf2-sha256" | "pbkdf2-sha1";

/** PBKDF2-SHA256 of `password` with the hex `salt`, a 32-byte key as lower-case hex. */
export type Pbkdf2Sha256 = (password: string, saltHex: string, iterations: number) => string;

/** SHA-1 of some bytes: a new 20-byte array. */
export type Sha1 = (data: Uint8Array) => Uint8Array;

/** The hashing primitives a platform has, and the algorithm its new records use. */
export interface AccountHashing {
  /** The algorithm of new records (it must have its primitive). */
  algorithm: AccountAlgorithm;
  /** For `pbkdf2-sha256` records; `null` when the platform has none. */
  pbkdf2Sha256: Pbkdf2Sha256 | null;
  /** For `pbkdf2-sha1` records; `null` when the platform has none. */
  sha1: Sha1 | null;
}

/**
 * How a platform hashes passwords: a bare PBKDF2-SHA256 function (new records are
 * `pbkdf2-sha256`, as before), or {@linkcode AccountHashing}.
 */
export type DeriveKey = Pbkdf2Sha256 | AccountHashing;

/** A stored account: never the password, only its salted hash. */
export interface WebAccount {
  /** `pbkdf2-sha256` or `pbkdf2-sha1`. */
  algorithm: AccountAlgorithm;
  /** PBKDF2 iterations used for `hash`. */
  iterations: number;
  /** Random salt, hex. */
  salt: string;
  /** The derived key, hex (32 bytes for SHA-256, 20 for SHA-1). */
  hash: string;
}

const SHA256 = "pbkdf2-sha256";
const SHA1 = "pbkdf2-sha1";
const SHA1_KEY_BYTES = 20;
const HEX_PATTERN = /^[0-9a-f]+$/;
const DIGITS_PATTERN = /^[1-9][0-9]*$/;

const hexToBytes = (hex: string): Uint8Array => {
  const bytes = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
  return bytes;
};

const bytesToHex = (bytes: Uint8Array): string => {
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    out += (byte < 16 ? "0" : "") + byte.toString(16);
  }
  return out;
};

// A block `key XOR pad` followed by `room` bytes for the message (filled by the caller).
const padBlock = (key: Uint8Array, pad: number, room: number): Uint8Array => {
  const block = new Uint8Array(64 + room);
  for (let i = 0; i < 64; i++) block[i] = (i < key.length ? key[i] as number : 0) ^ pad;
  return block;
};

// The digest as 5 words to XOR into the sum (a view when aligned: no copy per iteration).
const wordsOf = (digest: Uint8Array): Int32Array =>
  (digest.byteOffset & 3) === 0 && digest.length === SHA1_KEY_BYTES
    ? new Int32Array(digest.buffer, digest.byteOffset, 5)
    : new Int32Array(new Uint8Array(digest.subarray(0, SHA1_KEY_BYTES)).buffer);

/**
 * PBKDF2-HMAC-SHA1 (RFC 8018, section 5.2) around a SHA-1 passed in.
 *
 * Each iteration is two HMAC hashes of 84 bytes, whose pad blocks are built once and only
 * their last 20 bytes rewritten, and a sum kept as 5 words: on an ESP8266 the native
 * SHA-1 is quick, and what costs is the interpreter, so the loop does as little as it can.
 *
 * @param sha1 SHA-1 of bytes.
 * @param password The password's bytes.
 * @param salt The salt's bytes.
 * @param iterations At least 1 (fractions are dropped).
 * @param keyBytes Length of the derived key.
 * @returns The derived key.
 * @example
 * ```ts
 * import { pbkdf2Sha1 } from "./web_account.ts";
 * import { createHash } from "node:crypto";
 * import assert from "node:assert/strict";
 * const sha1 = (data: Uint8Array) => new Uint8Array(createHash("sha1").update(data).digest());
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * // RFC 6070, the first vector.
 * const key = pbkdf2Sha1(sha1, bytes("password"), bytes("salt"), 1, 20);
 * assert.equal(
 *   Array.from(key, (b) => b.toString(16).padStart(2, "0")).join(""),
 *   "0c60c80f961f0e71f3a9b524af6012062fe037a6",
 * );
 * ```
 */
export function pbkdf2Sha1(
  sha1: Sha1,
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  keyBytes: number,
): Uint8Array {
  const count = Math.max(1, Math.floor(iterations));
  const key = password.length > 64 ? sha1(password) : password;
  const first = padBlock(key, 0x36, salt.length + 4);
  first.set(salt, 64);
  const inner = padBlock(key, 0x36, SHA1_KEY_BYTES);
  const outer = padBlock(key, 0x5c, SHA1_KEY_BYTES);
  const out = new Uint8Array(keyBytes);
  const at = 64 + salt.length;
  for (let block = 1; (block - 1) * SHA1_KEY_BYTES < keyBytes; block++) {
    first[at] = (block >>> 24) & 255;
    first[at + 1] = (block >>> 16) & 255;
    first[at + 2] = (block >>> 8) & 255;
    first[at + 3] = block & 255;
    outer.set(sha1(first), 64);
    let u = sha1(outer);
    const sum = new Int32Array(wordsOf(u));
    // Plain locals: the cheapest thing for Espruino to read and write.
    let s0 = sum[0] as number;
    let s1 = sum[1] as number;
    let s2 = sum[2] as number;
    let s3 = sum[3] as number;
    let s4 = sum[4] as number;
    for (let n = 1; n < count; n++) {
      inner.set(u, 64);
      outer.set(sha1(inner), 64);
      u = sha1(outer);
      const w = wordsOf(u);
      s0 ^= w[0] as number;
      s1 ^= w[1] as number;
      s2 ^= w[2] as number;
      s3 ^= w[3] as number;
      s4 ^= w[4] as number;
    }
    sum[0] = s0;
    sum[1] = s1;
    sum[2] = s2;
    sum[3] = s3;
    sum[4] = s4;
    const bytes = new Uint8Array(sum.buffer);
    const start = (block - 1) * SHA1_KEY_BYTES;
    for (let i = 0; i < SHA1_KEY_BYTES && start + i < keyBytes; i++) {
      out[start + i] = bytes[i] as number;
    }
  }
  return out;
}

/**
 * Derives a record's key with what the platform has.
 *
 * @param derive The platform's hashing.
 * @param algorithm The record's algorithm.
 * @param password The password (hashed as UTF-8 for SHA-1 records).
 * @param saltHex The salt, hex.
 * @param iterations PBKDF2 iterations.
 * @returns The key, hex; `null` when the platform lacks the primitive.
 * @example
 * ```ts
 * import { deriveAccountKey } from "./web_account.ts";
 * import assert from "node:assert/strict";
 * const sha256Only = (p: string, s: string, n: number) => s + n + p;
 * assert.equal(deriveAccountKey(sha256Only, "pbkdf2-sha256", "pw", "ab", 2), "ab2pw");
 * assert.equal(deriveAccountKey(sha256Only, "pbkdf2-sha1", "pw", "ab", 2), null);
 * ```
 */
export function deriveAccountKey(
  derive: DeriveKey,
  algorithm: AccountAlgorithm,
  password: string,
  saltHex: string,
  iterations: number,
): string | null {
  if (typeof derive === "function") {
    return algorithm === SHA256 ? derive(password, saltHex, iterations) : null;
  }
  if (algorithm === SHA256) {
    const pbkdf2 = derive.pbkdf2Sha256;
    return pbkdf2 === null ? null : pbkdf2(password, saltHex, iterations);
  }
  const sha1 = derive.sha1;
  if (sha1 === null) return null;
  return bytesToHex(
    pbkdf2Sha1(sha1, encodeUtf8(password), hexToBytes(saltHex), iterations, SHA1_KEY_BYTES),
  );
}

/**
 * The algorithm new records get on a platform.
 *
 * @param derive The platform's hashing.
 * @returns `pbkdf2-sha256` for a bare function, else the one asked for when its primitive
 *   exists (the other one otherwise).
 * @example
 * ```ts
 * import { newAccountAlgorithm } from "./web_account.ts";
 * import assert from "node:assert/strict";
 * const sha1 = (data: Uint8Array) => data;
 * assert.equal(
 *   newAccountAlgorithm({ algorithm: "pbkdf2-sha1", pbkdf2Sha256: null, sha1 }),
 *   "pbkdf2-sha1",
 * );
 * assert.equal(newAccountAlgorithm(() => ""), "pbkdf2-sha256");
 * ```
 */
export function newAccountAlgorithm(derive: DeriveKey): AccountAlgorithm {
  if (typeof derive === "function") return SHA256;
  if (derive.algorithm === SHA1) return derive.sha1 !== null ? SHA1 : SHA256;
  return derive.pbkdf2Sha256 !== null ? SHA256 : SHA1;
}

/**
 * Checks a new password sent by the page.
 *
 * @param value The `password` field of the request, of any type.
 * @returns The password, or why it is refused.
 * @example
 * ```ts
 * import { checkNewPassword } from "./web_account.ts";
 * import assert from "node:assert/strict";
 * assert.equal(checkNewPassword("correct horse").ok, true);
 * assert.deepEqual(checkNewPassword("short"), {
 *   ok: false,
 *   error: "password must be 8 to 128 characters, got 5",
 * });
 * ```
 */
export function checkNewPassword(value: unknown): Result<string> {
  if (typeof value !== "string") return err("password must be text");
  if (value.length < MIN_PASSWORD_LENGTH || value.length > MAX_PASSWORD_LENGTH) {
    return err(
      "password must be " + MIN_PASSWORD_LENGTH + " to " + MAX_PASSWORD_LENGTH +
        " characters, got " + value.length,
    );
  }
  return ok(value);
}

/**
 * Makes the account record of a new password.
 *
 * @param password The checked new password.
 * @param saltHex A fresh random salt (16 bytes or more), hex.
 * @param iterations PBKDF2 iterations.
 * @param derive The platform's hashing (see {@linkcode newAccountAlgorithm}).
 * @returns The record to store.
 * @example
 * ```ts
 * import { createAccount } from "./web_account.ts";
 * import assert from "node:assert/strict";
 * const fake = (p: string, s: string, n: number) => s + n + p.length;
 * assert.deepEqual(createAccount("password1", "ab", 3, fake), {
 *   algorithm: "pbkdf2-sha256", iterations: 3, salt: "ab", hash: "ab39",
 * });
 * ```
 */
export function createAccount(
  password: string,
  saltHex: string,
  iterations: number,
  derive: DeriveKey,
): WebAccount {
  const algorithm = newAccountAlgorithm(derive);
  const count = Math.max(1, Math.floor(iterations));
  const hash = deriveAccountKey(derive, algorithm, password, saltHex, count);
  if (hash === null) throw new Error("no hash function to make a web account with");
  return { algorithm: algorithm, iterations: count, salt: saltHex, hash: hash };
}

/**
 * Writes an account record for the store: JSON for `pbkdf2-sha256` (the format stored
 * since the first release), `pbkdf2-sha1$<iterations>$<salt>$<hash>` for SHA-1.
 *
 * @param account The record.
 * @returns The text to store.
 * @example
 * ```ts
 * import { decodeAccount, encodeAccount } from "./web_account.ts";
 * import assert from "node:assert/strict";
 * const account = { algorithm: "pbkdf2-sha1" as const, iterations: 9, salt: "00", hash: "ff" };
 * assert.equal(encodeAccount(account), "pbkdf2-sha1$9$00$ff");
 * assert.deepEqual(decodeAccount(encodeAccount(account)), account);
 * ```
 */
export function encodeAccount(account: WebAccount): string {
  if (account.algorithm === SHA1) {
    return SHA1 + "$" + account.iterations + "$" + account.salt + "$" + account.hash;
  }
  return JSON.stringify({
    algorithm: account.algorithm,
    iterations: account.iterations,
    salt: account.salt,
    hash: account.hash,
  });
}

const checkedRecord = (
  algorithm: unknown,
  iterations: unknown,
  salt: unknown,
  hash: unknown,
): WebAccount | null => {
  if (
    (algorithm !== SHA256 && algorithm !== SHA1) || typeof iterations !== "number" ||
    !(iterations >= 1) || Math.floor(iterations) !== iterations ||
    typeof salt !== "string" || typeof hash !== "string" || !HEX_PATTERN.test(salt) ||
    !HEX_PATTERN.test(hash) || salt.length % 2 !== 0 || hash.length % 2 !== 0
  ) {
    return null;
  }
  return { algorithm: algorithm, iterations: iterations, salt: salt, hash: hash };
};

/**
 * Reads the stored account record (either format).
 *
 * @param text The store's `web_account` value, or `null` when none.
 * @returns The record, or `null` when none is stored or it is unreadable.
 * @example
 * ```ts
 * import { decodeAccount } from "./web_account.ts";
 * import assert from "node:assert/strict";
 * assert.equal(decodeAccount(null), null);
 * assert.equal(decodeAccount("{oops"), null);
 * assert.equal(decodeAccount("pbkdf2-sha1$0$00$ff"), null);
 * assert.equal(decodeAccount("pbkdf2-sha1$12$0011$abcd")?.iterations, 12);
 * ```
 */
export function decodeAccount(text: string | null): WebAccount | null {
  if (typeof text !== "string") return null;
  if (text.indexOf(SHA1 + "$") === 0 || text.indexOf(SHA256 + "$") === 0) {
    const parts = text.split("$");
    if (parts.length !== 4 || !DIGITS_PATTERN.test(parts[1] as string)) return null;
    return checkedRecord(parts[0], parseInt(parts[1] as string, 10), parts[2], parts[3]);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (_error) {
    return null;
  }
  if (data === null || typeof data !== "object") return null;
  const record = data as Record<string, unknown>;
  return checkedRecord(record.algorithm, record.iterations, record.salt, record.hash);
}

/**
 * Checks a password against the account, comparing hashes in constant time.
 *
 * @param account The stored record.
 * @param password The password tried (any type; non-text never matches).
 * @param derive The platform's hashing; a record it cannot derive never matches.
 * @returns `true` when it is the account's password.
 * @example
 * ```ts
 * import { createAccount, verifyPassword } from "./web_account.ts";
 * import assert from "node:assert/strict";
 * const fake = (p: string, s: string) => s + p;
 * const account = createAccount("password1", "ab", 1, fake);
 * assert.equal(verifyPassword(account, "password1", fake), true);
 * assert.equal(verifyPassword(account, "password2", fake), false);
 * ```
 */
export function verifyPassword(account: WebAccount, password: unknown, derive: DeriveKey): boolean {
  if (typeof password !== "string" || password.length > MAX_PASSWORD_LENGTH) return false;
  const hash = deriveAccountKey(
    derive,
    account.algorithm,
    password,
    account.salt,
    account.iterations,
  );
  return hash !== null && constantTimeEqual(hash, account.hash);
}
