/**
 * Espruino's `require("crypto")` for the shim (`node:crypto` underneath): the SHA hashes
 * and PBKDF2, taking binary strings or bytes and returning an `ArrayBuffer`, as on the
 * chip. PBKDF2's `keySize` counts 32-bit words and its hasher defaults to SHA1, as in
 * Espruino (and CryptoJS, whose interface it copies). What a build has varies: an
 * ESP8266_4MB build has `SHA1` only (the shim's default), builds with TLS (Espruino's
 * Linux build, an ESP32) have them all.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createHash, pbkdf2Sync } from "node:crypto";
import { toBytes } from "./shim_bytes.ts";

/** Options of `PBKDF2`. */
export interface Pbkdf2Options {
  /** Key length in 32-bit words (default 4: 128 bits). */
  keySize?: number;
  /** Iterations (default 1). */
  iterations?: number;
  /** `SHA1` (default), `SHA224`, `SHA256`, `SHA384` or `SHA512`. */
  hasher?: string;
}

/** The `crypto` module a bundle sees. */
export interface ShimCryptoModule {
  /** SHA-1 digest. */
  SHA1(data: unknown): ArrayBuffer;
  /** SHA-224 digest (builds with TLS). */
  SHA224?(data: unknown): ArrayBuffer;
  /** SHA-256 digest (builds with TLS). */
  SHA256?(data: unknown): ArrayBuffer;
  /** SHA-384 digest (builds with TLS). */
  SHA384?(data: unknown): ArrayBuffer;
  /** SHA-512 digest (builds with TLS). */
  SHA512?(data: unknown): ArrayBuffer;
  /** Derives a key from a passphrase (builds with TLS). */
  PBKDF2?(passphrase: unknown, salt: unknown, options?: Pbkdf2Options): ArrayBuffer;
}

/** Which build's crypto module: an ESP8266_4MB's (SHA1 only) or one with TLS (all). */
export type CryptoBuild = "esp8266" | "tls";

const ALGORITHMS: Record<string, string> = {
  SHA1: "sha1",
  SHA224: "sha224",
  SHA256: "sha256",
  SHA384: "sha384",
  SHA512: "sha512",
};

const toArrayBuffer = (bytes: Uint8Array): ArrayBuffer => new Uint8Array(bytes).buffer;

/**
 * Makes the `crypto` module.
 *
 * @param build Which build's module (default `esp8266`: SHA1 only).
 * @returns The module.
 * @example
 * ```ts
 * import { createCryptoModule } from "./shim_crypto.ts";
 * import assert from "node:assert/strict";
 * assert.equal(createCryptoModule().SHA256, undefined); // an ESP8266_4MB has SHA1 only
 * const crypto = createCryptoModule("tls");
 * const digest = new Uint8Array(crypto.SHA256?.("abc") ?? new ArrayBuffer(0));
 * assert.equal(digest[0], 0xba);
 * const key = new Uint8Array(crypto.PBKDF2?.("password", "salt", { keySize: 5 }) ?? []);
 * assert.equal(key.length, 20);
 * assert.equal(key[0], 0x0c); // RFC 6070's first vector
 * ```
 */
export function createCryptoModule(build: CryptoBuild = "esp8266"): ShimCryptoModule {
  const hash = (algorithm: string) => (data: unknown): ArrayBuffer =>
    toArrayBuffer(createHash(algorithm).update(Buffer.from(toBytes(data))).digest());
  if (build === "esp8266") return { SHA1: hash("sha1") };
  return {
    SHA1: hash("sha1"),
    SHA224: hash("sha224"),
    SHA256: hash("sha256"),
    SHA384: hash("sha384"),
    SHA512: hash("sha512"),
    PBKDF2: (passphrase, salt, options = {}) => {
      const algorithm = ALGORITHMS[(options.hasher ?? "SHA1").toUpperCase()];
      if (algorithm === undefined) throw new Error("PBKDF2: unknown hasher " + options.hasher);
      const key = pbkdf2Sync(
        Buffer.from(toBytes(passphrase)),
        Buffer.from(toBytes(salt)),
        options.iterations ?? 1,
        (options.keySize ?? 4) * 4,
        algorithm,
      );
      return toArrayBuffer(key);
    },
  };
}
