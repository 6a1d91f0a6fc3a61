/**
 * The device's web account (the original plug's "client account"): one password, kept
 * only as a salted PBKDF2-SHA256 hash in the device store. Hashing is passed in as a
 * function, since lib/ has no crypto: the simulator uses node:crypto, the firmware
 * Espruino's `require("crypto").PBKDF2` with fewer iterations (the record says how many).
 *
 * @module
 */

import { err, ok, type Result } from "./result.ts";
import { constantTimeEqual } from "./web_auth.ts";

/** Shortest password accepted. */
export const MIN_PASSWORD_LENGTH = 8;

/** Longest password accepted (bounds the hashing work an attacker can ask for). */
export const MAX_PASSWORD_LENGTH = 128;

/** Derives a key: PBKDF2-SHA256 of `password` with the hex `salt`, as lower-case hex. */
export type DeriveKey = (password: string, saltHex: string, iterations: number) => string;

/** A stored account: never the password, only its salted hash. */
export interface WebAccount {
  /** Always `pbkdf2-sha256`. */
  algorithm: string;
  /** PBKDF2 iterations used for `hash`. */
  iterations: number;
  /** Random salt, hex. */
  salt: string;
  /** The derived key, hex. */
  hash: string;
}

const ALGORITHM = "pbkdf2-sha256";
const HEX_PATTERN = /^[0-9a-f]+$/;

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
 * @param derive The key derivation.
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
  return {
    algorithm: ALGORITHM,
    iterations: iterations,
    salt: saltHex,
    hash: derive(password, saltHex, iterations),
  };
}

/**
 * Writes an account record for the store.
 *
 * @param account The record.
 * @returns JSON text.
 * @example
 * ```ts
 * import { decodeAccount, encodeAccount } from "./web_account.ts";
 * import assert from "node:assert/strict";
 * const account = { algorithm: "pbkdf2-sha256", iterations: 1, salt: "00", hash: "ff" };
 * assert.deepEqual(decodeAccount(encodeAccount(account)), account);
 * ```
 */
export function encodeAccount(account: WebAccount): string {
  return JSON.stringify({
    algorithm: account.algorithm,
    iterations: account.iterations,
    salt: account.salt,
    hash: account.hash,
  });
}

/**
 * Reads the stored account record.
 *
 * @param text The store's `web_account` value, or `null` when none.
 * @returns The record, or `null` when none is stored or it is unreadable.
 * @example
 * ```ts
 * import { decodeAccount } from "./web_account.ts";
 * import assert from "node:assert/strict";
 * assert.equal(decodeAccount(null), null);
 * assert.equal(decodeAccount("{oops"), null);
 * ```
 */
export function decodeAccount(text: string | null): WebAccount | null {
  if (typeof text !== "string") return null;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (_error) {
    return null;
  }
  if (data === null || typeof data !== "object") return null;
  const record = data as Record<string, unknown>;
  const iterations = record.iterations;
  if (
    record.algorithm !== ALGORITHM || typeof iterations !== "number" || !(iterations >= 1) ||
    Math.floor(iterations) !== iterations || typeof record.salt !== "string" ||
    typeof record.hash !== "string" || !HEX_PATTERN.test(record.salt) ||
    !HEX_PATTERN.test(record.hash)
  ) {
    return null;
  }
  return { algorithm: ALGORITHM, iterations: iterations, salt: record.salt, hash: record.hash };
}

/**
 * Checks a password against the account, comparing hashes in constant time.
 *
 * @param account The stored record.
 * @param password The password tried (any type; non-text never matches).
 * @param derive The key derivation.
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
  return constantTimeEqual(derive(password, account.salt, account.iterations), account.hash);
}
