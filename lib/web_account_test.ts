import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash, pbkdf2Sync } from "node:crypto";
import fc from "fast-check";
import {
  checkNewPassword,
  createAccount,
  decodeAccount,
  type DeriveKey,
  encodeAccount,
  MAX_PASSWORD_LENGTH,
  pbkdf2Sha1,
  type Sha1,
  verifyPassword,
} from "./web_account.ts";

const pbkdf2 = (password: string, saltHex: string, iterations: number): string =>
  pbkdf2Sync(password, Buffer.from(saltHex, "hex"), iterations, 32, "sha256").toString("hex");

// What an ESP8266 passes: its native SHA-1 only (here node's, counting calls).
let sha1Calls = 0;
const sha1: Sha1 = (data) => {
  sha1Calls++;
  return new Uint8Array(createHash("sha1").update(data).digest());
};
// A SHA-1 answering an unaligned view, as a pooled Buffer would.
const unalignedSha1: Sha1 = (data) => {
  const padded = new Uint8Array(21);
  padded.set(createHash("sha1").update(data).digest(), 1);
  return padded.subarray(1);
};
const esp8266: DeriveKey = { algorithm: "pbkdf2-sha1", pbkdf2Sha256: null, sha1 };
const both: DeriveKey = { algorithm: "pbkdf2-sha1", pbkdf2Sha256: pbkdf2, sha1 };
const bytes = (text: string) => new Uint8Array(Buffer.from(text, "latin1"));
const hex = (data: Uint8Array) => Buffer.from(data).toString("hex");

Deno.test("PBKDF2-HMAC-SHA1 gives RFC 6070's test vectors", () => {
  const vectors: Array<[string, string, number, number, string]> = [
    ["password", "salt", 1, 20, "0c60c80f961f0e71f3a9b524af6012062fe037a6"],
    ["password", "salt", 2, 20, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"],
    ["password", "salt", 4096, 20, "4b007901b765489abead49d926f721d065a429c1"],
    [
      "passwordPASSWORDpassword",
      "saltSALTsaltSALTsaltSALTsaltSALTsalt",
      4096,
      25,
      "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038",
    ],
    ["pass\0word", "sa\0lt", 4096, 16, "56fa6aa75548099dcc37d7f03425e0c3"],
  ];
  for (const [password, salt, iterations, keyBytes, expected] of vectors) {
    for (const hash of [sha1, unalignedSha1]) {
      const key = pbkdf2Sha1(hash, bytes(password), bytes(salt), iterations, keyBytes);
      assert.equal(hex(key), expected, password + " " + iterations);
    }
  }
});

Deno.test("PBKDF2-HMAC-SHA1 matches node:crypto for any password, salt, count and length", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 150 }),
      fc.uint8Array({ maxLength: 70 }),
      fc.integer({ min: 1, max: 30 }),
      fc.integer({ min: 1, max: 64 }),
      (password, salt, iterations, keyBytes) => {
        const expected = pbkdf2Sync(password, salt, iterations, keyBytes, "sha1");
        assert.equal(hex(pbkdf2Sha1(sha1, password, salt, iterations, keyBytes)), hex(expected));
      },
    ),
    { numRuns: 150 },
  );
});

Deno.test("an iteration costs two SHA-1 calls (the pads are built once)", () => {
  sha1Calls = 0;
  pbkdf2Sha1(sha1, bytes("password"), bytes("salt"), 100, 20);
  assert.equal(sha1Calls, 200);
});

Deno.test("an ESP8266 (SHA-1 only) makes pbkdf2-sha1 records that verify, and only with their password", () => {
  fc.assert(
    fc.property(
      fc.string({ minLength: 8, maxLength: 40 }),
      fc.string({ minLength: 8, maxLength: 40 }),
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.integer({ min: 1, max: 20 }),
      (password, other, salt, iterations) => {
        const saltHex = Buffer.from(salt).toString("hex");
        const account = createAccount(password, saltHex, iterations, esp8266);
        const text = encodeAccount(account);
        assert.equal(text, "pbkdf2-sha1$" + iterations + "$" + saltHex + "$" + account.hash);
        assert.ok(!text.includes(password));
        // The hash is plain PBKDF2-HMAC-SHA1 of the UTF-8 password: any platform can check it.
        assert.equal(
          account.hash,
          pbkdf2Sync(password, salt, iterations, 20, "sha1").toString("hex"),
        );
        const stored = decodeAccount(text);
        assert.ok(stored !== null);
        assert.deepEqual(stored, account);
        assert.equal(verifyPassword(stored, password, esp8266), true);
        assert.equal(verifyPassword(stored, other, esp8266), other === password);
        assert.equal(verifyPassword(stored, password, both), true);
      },
    ),
    { numRuns: 40 },
  );
});

Deno.test("records of either algorithm verify where the primitive exists, and never elsewhere", () => {
  const old = createAccount("correct horse", "0011", 3, pbkdf2);
  const sha1Record = createAccount("correct horse", "0011", 3, esp8266);
  assert.equal(old.algorithm, "pbkdf2-sha256");
  assert.equal(sha1Record.algorithm, "pbkdf2-sha1");
  // The chip's hashing object keeps verifying the records made before it.
  assert.equal(verifyPassword(old, "correct horse", both), true);
  assert.equal(verifyPassword(old, "correct horsE", both), false);
  assert.equal(verifyPassword(sha1Record, "correct horse", both), true);
  // Without the primitive a record cannot match, whatever the password.
  assert.equal(verifyPassword(old, "correct horse", esp8266), false);
  assert.equal(verifyPassword(sha1Record, "correct horse", pbkdf2), false);
  // A platform asked for SHA-1 records without SHA-1 makes SHA-256 ones.
  const noSha1: DeriveKey = { algorithm: "pbkdf2-sha1", pbkdf2Sha256: pbkdf2, sha1: null };
  assert.equal(createAccount("correct horse", "00", 1, noSha1).algorithm, "pbkdf2-sha256");
  const nothing: DeriveKey = { algorithm: "pbkdf2-sha1", pbkdf2Sha256: null, sha1: null };
  assert.throws(() => createAccount("correct horse", "00", 1, nothing));
});

Deno.test("a real PBKDF2 account verifies its password and no other", () => {
  const account = createAccount("correct horse", "00112233445566778899aabbccddeeff", 1000, pbkdf2);
  assert.equal(account.algorithm, "pbkdf2-sha256");
  assert.match(account.hash, /^[0-9a-f]{64}$/);
  assert.ok(!encodeAccount(account).includes("correct horse"));
  assert.equal(verifyPassword(account, "correct horse", pbkdf2), true);
  assert.equal(verifyPassword(account, "correct horsE", pbkdf2), false);
  assert.equal(verifyPassword(account, 42, pbkdf2), false);
  assert.equal(verifyPassword(account, "x".repeat(MAX_PASSWORD_LENGTH + 1), pbkdf2), false);
});

Deno.test("any password verifies after a store round trip; any other does not", () => {
  fc.assert(
    fc.property(
      fc.string({ minLength: 8, maxLength: 40 }),
      fc.string({ minLength: 8, maxLength: 40 }),
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      (password, other, salt) => {
        const saltHex = Buffer.from(salt).toString("hex");
        const stored = decodeAccount(encodeAccount(createAccount(password, saltHex, 1, pbkdf2)));
        assert.ok(stored !== null);
        assert.equal(verifyPassword(stored, password, pbkdf2), true);
        assert.equal(verifyPassword(stored, other, pbkdf2), other === password);
      },
    ),
    { numRuns: 50 },
  );
});

Deno.test("unreadable account records count as none", () => {
  const good = { algorithm: "pbkdf2-sha256", iterations: 10, salt: "00", hash: "ff" };
  for (
    const bad of [
      "",
      "null",
      "[]",
      JSON.stringify({ ...good, algorithm: "md5" }),
      JSON.stringify({ ...good, iterations: 0 }),
      JSON.stringify({ ...good, iterations: 1.5 }),
      JSON.stringify({ ...good, salt: "zz" }),
      JSON.stringify({ ...good, hash: 7 }),
      JSON.stringify({ ...good, hash: "fff" }),
      "pbkdf2-sha1$10$00",
      "pbkdf2-sha1$10$00$ff$",
      "pbkdf2-sha1$010$00$ff",
      "pbkdf2-sha1$-1$00$ff",
      "pbkdf2-sha1$1.5$00$ff",
      "pbkdf2-sha1$10$0g$ff",
      "pbkdf2-sha1$10$00$",
      "pbkdf2-md5$10$00$ff",
    ]
  ) {
    assert.equal(decodeAccount(bad), null, bad);
  }
  assert.deepEqual(decodeAccount(JSON.stringify(good)), good);
  assert.deepEqual(decodeAccount("pbkdf2-sha1$10$00$ff"), { ...good, algorithm: "pbkdf2-sha1" });
  assert.deepEqual(decodeAccount("pbkdf2-sha256$10$00$ff"), good);
});

Deno.test("new passwords: 8 to 128 characters of text", () => {
  assert.deepEqual(checkNewPassword("12345678"), { ok: true, value: "12345678" });
  assert.equal(checkNewPassword("1234567").ok, false);
  assert.equal(checkNewPassword("x".repeat(129)).ok, false);
  assert.deepEqual(checkNewPassword(12345678), { ok: false, error: "password must be text" });
  assert.equal(checkNewPassword(undefined).ok, false);
});
