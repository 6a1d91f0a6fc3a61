import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { pbkdf2Sync } from "node:crypto";
import fc from "fast-check";
import {
  checkNewPassword,
  createAccount,
  decodeAccount,
  encodeAccount,
  MAX_PASSWORD_LENGTH,
  verifyPassword,
} from "./web_account.ts";

const pbkdf2 = (password: string, saltHex: string, iterations: number): string =>
  pbkdf2Sync(password, Buffer.from(saltHex, "hex"), iterations, 32, "sha256").toString("hex");

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
    ]
  ) {
    assert.equal(decodeAccount(bad), null, bad);
  }
  assert.deepEqual(decodeAccount(JSON.stringify(good)), good);
});

Deno.test("new passwords: 8 to 128 characters of text", () => {
  assert.deepEqual(checkNewPassword("12345678"), { ok: true, value: "12345678" });
  assert.equal(checkNewPassword("1234567").ok, false);
  assert.equal(checkNewPassword("x".repeat(129)).ok, false);
  assert.deepEqual(checkNewPassword(12345678), { ok: false, error: "password must be text" });
  assert.equal(checkNewPassword(undefined).ok, false);
});
