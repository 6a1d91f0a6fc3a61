import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash, pbkdf2Sync } from "node:crypto";
import fc from "fast-check";
import {
  chipAccountHashing,
  chooseIterations,
  fromHex,
  MIN_SHA1_ITERATIONS,
  pbkdf2Sha256Hex,
  randomHex,
  sha256Add,
  sha256End,
  sha256Hex,
  sha256Start,
  toHex,
} from "./web_crypto.ts";
import type { EspruinoCrypto } from "./espruino_types.ts";
import { createAccount, decodeAccount, encodeAccount, verifyPassword } from "../lib/web_account.ts";

const binary = (bytes: Uint8Array): string => String.fromCharCode(...bytes);
const nodeSha256 = (data: string): string =>
  createHash("sha256").update(data, "latin1").digest("hex");

// What a build with TLS offers (Espruino's Linux build, an ESP32): native SHA256 and PBKDF2.
const nativeCrypto: EspruinoCrypto = {
  SHA256: (message) =>
    new Uint8Array(createHash("sha256").update(message, "latin1").digest()).buffer,
  PBKDF2: (passphrase, salt, options) =>
    new Uint8Array(
      pbkdf2Sync(
        Buffer.from(passphrase, "latin1"),
        Buffer.from(salt, "latin1"),
        options.iterations,
        options.keySize * 4,
        options.hasher.toLowerCase(),
      ),
    ).buffer,
};

Deno.test("the JavaScript SHA-256 matches node:crypto for any data cut anywhere", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(300), (bytes, cut) => {
      const data = binary(bytes);
      const hash = sha256Start();
      sha256Add(hash, data.slice(0, cut));
      sha256Add(hash, data.slice(cut));
      assert.equal(toHex(sha256End(hash)), nodeSha256(data));
      assert.equal(sha256Hex(null, data), nodeSha256(data));
      assert.equal(sha256Hex(nativeCrypto, data), nodeSha256(data));
    }),
  );
});

Deno.test("block-boundary lengths hash right (55, 56, 63, 64, 65 bytes)", () => {
  for (const length of [55, 56, 63, 64, 65, 119, 120, 128]) {
    const data = "a".repeat(length);
    assert.equal(sha256Hex(null, data), nodeSha256(data), String(length));
  }
});

Deno.test("PBKDF2-SHA256 in JavaScript matches node:crypto (the simulator's derivation)", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 80 }),
      fc.uint8Array({ minLength: 1, maxLength: 40 }),
      fc.integer({ min: 1, max: 20 }),
      (password, salt, iterations) => {
        const saltHex = toHex(binary(salt));
        const expected = pbkdf2Sync(password, salt, iterations, 32, "sha256").toString("hex");
        assert.equal(pbkdf2Sha256Hex(null, binary(password), saltHex, iterations), expected);
        assert.equal(
          pbkdf2Sha256Hex(nativeCrypto, binary(password), saltHex, iterations),
          expected,
        );
      },
    ),
    { numRuns: 60 },
  );
});

Deno.test("PBKDF2 with a build's SHA1-only crypto (an ESP8266) falls back to JavaScript", () => {
  const esp8266: EspruinoCrypto = { SHA1: () => new ArrayBuffer(20) };
  const expected = pbkdf2Sync("hunter22", Buffer.from("0011", "hex"), 3, 32, "sha256");
  assert.equal(pbkdf2Sha256Hex(esp8266, "hunter22", "0011", 3), expected.toString("hex"));
});

Deno.test("hex round-trips any bytes", () => {
  fc.assert(fc.property(fc.uint8Array(), (bytes) => {
    assert.equal(fromHex(toHex(binary(bytes))), binary(bytes));
  }));
});

Deno.test("chooseIterations fits the budget and stays within 1..max", () => {
  fc.assert(
    fc.property(fc.double({ min: 0.0001, max: 500, noNaN: true }), (msPerIteration) => {
      let now = 0;
      const derive = (_p: string, _s: string, n: number) => {
        now += n * msPerIteration;
        return "";
      };
      const chosen = chooseIterations(derive, () => now, 300, 50000);
      assert.ok(chosen >= 1 && chosen <= 50000);
      if (chosen > 1 && chosen < 50000) assert.ok(chosen * msPerIteration <= 300 + 1e-6);
    }),
  );
  // A clock that never moves (or a derivation too fast to see) gives the maximum.
  assert.equal(chooseIterations(() => "", () => 0, 300, 1000), 1000);
});

Deno.test("randomHex gives fresh tokens of the asked length, with or without SHA-1", () => {
  const sha1 = (data: string) =>
    createHash("sha1").update(data, "latin1").digest().toString("latin1");
  let tick = 0;
  const withSha1 = { sha1, noise: () => String(tick++), seed: "" };
  const seen = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const token = randomHex(withSha1, 32);
    assert.match(token, /^[0-9a-f]{64}$/);
    seen.add(token);
  }
  assert.equal(seen.size, 50);
  const bare = { sha1: null, noise: () => String(Math.random()), seed: "" };
  assert.match(randomHex(bare, 16), /^[0-9a-f]{32}$/);
});

// An ESP8266_4MB build: SHA1 only, taking strings or typed arrays.
const sha1Only: EspruinoCrypto = {
  SHA1: (message) =>
    new Uint8Array(
      createHash("sha1").update(
        typeof message === "string" ? Buffer.from(message, "latin1") : message,
      ).digest(),
    ).buffer,
};

Deno.test("a SHA1-only build makes pbkdf2-sha1 records and still verifies its old SHA-256 ones", () => {
  const hashing = chipAccountHashing(sha1Only);
  const account = createAccount("correct horse", "00112233", 5, hashing);
  assert.equal(account.algorithm, "pbkdf2-sha1");
  assert.equal(
    account.hash,
    pbkdf2Sync("correct horse", Buffer.from("00112233", "hex"), 5, 20, "sha1").toString("hex"),
  );
  const stored = decodeAccount(encodeAccount(account));
  assert.ok(stored !== null);
  assert.equal(verifyPassword(stored, "correct horse", hashing), true);
  assert.equal(verifyPassword(stored, "correct horsf", hashing), false);
  // A record made before this change, with PBKDF2-SHA256 in JavaScript.
  const old = createAccount("correct horse", "0011", 3, chipAccountHashing(null));
  assert.equal(old.algorithm, "pbkdf2-sha256");
  assert.equal(verifyPassword(old, "correct horse", hashing), true);
  assert.equal(verifyPassword(old, "wrong horse!", hashing), false);
  // Builds with native PBKDF2 or SHA-256 keep making pbkdf2-sha256 records.
  for (const crypto of [nativeCrypto, { SHA1: sha1Only.SHA1, SHA256: nativeCrypto.SHA256 }]) {
    assert.equal(typeof chipAccountHashing(crypto), "function");
  }
});

Deno.test("pbkdf2-sha1 records get at least MIN_SHA1_ITERATIONS, however slow the chip", () => {
  fc.assert(
    fc.property(fc.double({ min: 0.01, max: 100, noNaN: true }), (msPerSha1) => {
      let now = 0;
      const slow: EspruinoCrypto = {
        SHA1: (message) => {
          now += msPerSha1;
          return (sha1Only.SHA1 as (m: string) => ArrayBuffer)(message);
        },
      };
      const chosen = chooseIterations(chipAccountHashing(slow), () => now, 300, 150000);
      assert.ok(chosen >= MIN_SHA1_ITERATIONS && chosen <= 150000, String(chosen));
      // Above the floor, the count fits the budget (two SHA-1 per iteration).
      if (chosen > MIN_SHA1_ITERATIONS && chosen < 150000) {
        assert.ok(chosen * 2 * msPerSha1 <= 300 * 1.01, String(chosen));
      }
    }),
    { numRuns: 30 },
  );
});
