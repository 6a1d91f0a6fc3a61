import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeUtf8, decodeUtf8Lossy, encodeUtf8 } from "./utf8.ts";

const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const lossy = new TextDecoder("utf-8", { ignoreBOM: true });
const encoder = new TextEncoder();

const referenceDecode = (bytes: Uint8Array): string | null => {
  try {
    return fatal.decode(bytes);
  } catch {
    return null;
  }
};

// Arbitrary UTF-16 code units, lone surrogates included.
const utf16Text = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 })
  .map((units) => String.fromCharCode(...units));

// Byte strings biased towards UTF-8's interesting lead and continuation bytes.
const utf8ishBytes = fc.array(
  fc.oneof(
    fc.integer({ min: 0, max: 255 }),
    fc.constantFrom(0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf),
    fc.constantFrom(0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff),
  ),
  { maxLength: 40 },
).map((bytes) => new Uint8Array(bytes));

Deno.test("decodeUtf8 agrees with a fatal TextDecoder on any bytes", () => {
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), utf8ishBytes), (bytes) => {
      const expected = referenceDecode(bytes);
      const result = decodeUtf8(bytes);
      if (expected === null) {
        assert.deepEqual(result, { ok: false, error: "payload is not valid UTF-8" });
      } else {
        assert.deepEqual(result, { ok: true, value: expected });
      }
    }),
    { numRuns: 2000 },
  );
});

Deno.test("decodeUtf8Lossy agrees with a replacing TextDecoder on any bytes", () => {
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), utf8ishBytes), (bytes) => {
      assert.equal(decodeUtf8Lossy(bytes), lossy.decode(bytes));
    }),
    { numRuns: 2000 },
  );
});

Deno.test("encodeUtf8 agrees with TextEncoder, lone surrogates included", () => {
  fc.assert(fc.property(fc.oneof(utf16Text, fc.string({ unit: "binary" })), (text) => {
    assert.deepEqual(encodeUtf8(text), encoder.encode(text));
  }));
});

Deno.test("any well-formed text round-trips through UTF-8", () => {
  fc.assert(fc.property(fc.string({ unit: "binary" }), (text) => {
    const wellFormed = text.toWellFormed();
    assert.deepEqual(decodeUtf8(encodeUtf8(wellFormed)), { ok: true, value: wellFormed });
  }));
});

Deno.test("decodeUtf8 rejects overlong forms, surrogates, too-high code points and cut sequences", () => {
  const invalid = [
    [0xc0, 0xaf], // overlong "/"
    [0xe0, 0x80, 0xaf], // overlong
    [0xf0, 0x80, 0x80, 0xaf], // overlong
    [0xed, 0xa0, 0x80], // U+D800
    [0xf4, 0x90, 0x80, 0x80], // U+110000
    [0xf8, 0x88, 0x80, 0x80, 0x80], // 5-byte form
    [0xe2, 0x82], // cut short
    [0x80], // stray continuation
    [0xff],
  ];
  for (const bytes of invalid) assert.equal(decodeUtf8(new Uint8Array(bytes)).ok, false);
  assert.deepEqual(decodeUtf8(new Uint8Array([0xf0, 0x9f, 0x92, 0xa8])), {
    ok: true,
    value: "\u{1f4a8}",
  });
  assert.deepEqual(decodeUtf8(new Uint8Array([0xef, 0xbb, 0xbf, 0x4f, 0x4e])), {
    ok: true,
    value: "\ufeffON",
  });
  assert.equal(decodeUtf8Lossy(new Uint8Array([0xe2, 0x82, 0x4f])), "\ufffdO");
});
