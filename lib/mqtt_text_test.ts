import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeUtf8Range, publishText } from "./mqtt_text.ts";

const fatal = new TextDecoder("utf-8", { fatal: true });

const reference = (bytes: Uint8Array): string | null => {
  try {
    return fatal.decode(bytes);
  } catch {
    return null;
  }
};

Deno.test("decodeUtf8Range agrees with a fatal TextDecoder on any bytes", () => {
  const nearlyText = fc.oneof(
    fc.uint8Array({ maxLength: 24 }),
    fc.string({ unit: "binary", maxLength: 12 }).map((text) => new TextEncoder().encode(text)),
  );
  fc.assert(
    fc.property(nearlyText, fc.nat(), fc.integer({ min: 0, max: 255 }), (bytes, at, byte) => {
      if (bytes.length > 0 && at % 3 === 0) bytes[at % bytes.length] = byte;
      const expected = reference(bytes);
      const actual = decodeUtf8Range(bytes, 0, bytes.length);
      if (expected === null) {
        assert.deepEqual(actual, { ok: false, error: "text is not valid UTF-8" });
      } else assert.deepEqual(actual, { ok: true, value: expected });
    }),
    { numRuns: 5000 },
  );
});

Deno.test("decodeUtf8Range keeps quotes, backslashes and control characters", () => {
  const text = 'a"\\\u0000\n\u007f é€😀';
  const bytes = new TextEncoder().encode("xx" + text + "yy");
  assert.deepEqual(decodeUtf8Range(bytes, 2, bytes.length - 2), { ok: true, value: text });
});

Deno.test("decodeUtf8Range rejects surrogates, overlong forms and cut sequences", () => {
  for (
    const bad of [[0xed, 0xa0, 0x80], [0xe0, 0x80, 0xaf], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [
      0x80,
    ]]
  ) {
    assert.equal(decodeUtf8Range(new Uint8Array(bad), 0, bad.length).ok, false, String(bad));
  }
});

Deno.test("publishText reports a payload that is not UTF-8", () => {
  const packet = {
    cmd: "publish" as const,
    topic: "t",
    payload: new Uint8Array([0xff]),
    qos: 0 as const,
    retain: false,
    dup: false,
  };
  assert.deepEqual(publishText(packet), { ok: false, error: "payload is not valid UTF-8" });
});
