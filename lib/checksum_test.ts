import assert from "node:assert/strict";
import fc from "fast-check";
import { crc32 as zlibCrc32 } from "node:zlib";
import { crc32, crc32Hex, crc32Text } from "./checksum.ts";
import { encodeUtf8 } from "./utf8.ts";

Deno.test("crc32 matches the standard check values", () => {
  assert.equal(crc32(new Uint8Array()), 0);
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  assert.equal(
    crc32(new TextEncoder().encode("The quick brown fox jumps over the lazy dog")),
    0x414fa339,
  );
});

Deno.test("crc32 agrees with zlib on any bytes", () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
    assert.equal(crc32(bytes), zlibCrc32(bytes));
  }));
});

Deno.test("crc32 catches every change of a single byte", () => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 1, maxLength: 100 }),
    fc.nat(),
    fc.integer({ min: 1, max: 255 }),
    (bytes, at, flip) => {
      const changed = bytes.slice();
      const index = at % bytes.length;
      changed[index] = (changed[index] as number) ^ flip;
      assert.notEqual(crc32(changed), crc32(bytes));
    },
  ));
});

Deno.test("crc32Hex always writes 8 lower-case hex digits", () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (crc) => {
    const hex = crc32Hex(crc);
    assert.match(hex, /^[0-9a-f]{8}$/);
    assert.equal(parseInt(hex, 16), crc);
  }));
});

Deno.test("crc32Text is the CRC-32 of the text's UTF-8 bytes, lone surrogates included", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), (text) => {
      assert.equal(crc32Text(text), crc32(encodeUtf8(text)));
    }),
  );
});
