import assert from "node:assert/strict";
import fc from "fast-check";
import { crc32, crc32Hex } from "./checksum.ts";
import { DEFAULT_FAN_SETTINGS, DEFAULT_PLUG_SETTINGS } from "./settings.ts";
import { fanSettingsArbitrary, plugSettingsArbitrary } from "./settings_arbitrary_test.ts";
import { decodeSettings, encodeSettings, SETTINGS_FORMAT_VERSION } from "./settings_codec.ts";
import { validateSettings } from "./settings_validate.ts";

const blobOf = (header: string, json: string): string =>
  header + " " + crc32Hex(crc32(new TextEncoder().encode(json))) + " " + json;

Deno.test("encodeSettings writes a versioned, checksummed line", () => {
  const blob = encodeSettings("plugs", DEFAULT_PLUG_SETTINGS);
  const json = blob.slice(blob.indexOf("{"));
  assert.equal(blob, blobOf("housegrid-settings 1 plugs", json));
  assert.deepEqual(JSON.parse(json), DEFAULT_PLUG_SETTINGS);
  const extra = Object.assign({ password: "secret" }, DEFAULT_PLUG_SETTINGS);
  assert.equal(encodeSettings("plugs", extra), blob, "only schema fields are stored");
  assert.equal(SETTINGS_FORMAT_VERSION, 1);
  assert.ok(!blob.includes("\n"));
});

Deno.test("valid settings round-trip through encode and decode", () => {
  fc.assert(fc.property(plugSettingsArbitrary, (settings) => {
    assert.deepEqual(decodeSettings("plugs", encodeSettings("plugs", settings)), {
      settings,
      error: null,
    });
  }));
  fc.assert(fc.property(fanSettingsArbitrary, (settings) => {
    assert.deepEqual(decodeSettings("fans", encodeSettings("fans", settings)), {
      settings,
      error: null,
    });
  }));
});

Deno.test("any text decodes to valid settings without throwing", () => {
  const text = fc.oneof(
    fc.string({ unit: "binary" }),
    fc.string().map((tail) => "housegrid-settings 1 fans " + tail),
    fanSettingsArbitrary.map((settings) => encodeSettings("fans", settings)),
  );
  fc.assert(
    fc.property(text, (blob) => {
      for (const kind of ["plugs", "fans"] as const) {
        const decoded = decodeSettings(kind, blob);
        assert.deepEqual(validateSettings(kind, decoded.settings), {
          ok: true,
          value: decoded.settings,
        });
        assert.ok(decoded.error === null || typeof decoded.error === "string");
      }
    }),
    { numRuns: 500 },
  );
});

Deno.test("a blob with any one character changed or cut short is caught", () => {
  const blobAndEdit = fanSettingsArbitrary.chain((settings) => {
    const blob = encodeSettings("fans", settings);
    return fc.record({
      blob: fc.constant(blob),
      at: fc.integer({ min: 0, max: blob.length - 1 }),
      char: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
      keep: fc.integer({ min: 0, max: blob.length - 1 }),
    });
  });
  fc.assert(
    fc.property(blobAndEdit, ({ blob, at, char, keep }) => {
      if (blob[at] !== char) {
        const edited = blob.slice(0, at) + char + blob.slice(at + 1);
        const decoded = decodeSettings("fans", edited);
        assert.notEqual(decoded.error, null, edited);
        assert.deepEqual(decoded.settings, DEFAULT_FAN_SETTINGS);
      }
      const cut = decodeSettings("fans", blob.slice(0, keep));
      assert.notEqual(cut.error, null);
      assert.deepEqual(cut.settings, DEFAULT_FAN_SETTINGS);
    }),
    { numRuns: 500 },
  );
});

Deno.test("foreign, other-kind and other-version blobs give defaults and say why", () => {
  const json = JSON.stringify(DEFAULT_FAN_SETTINGS);
  const cases: [string | null, string | null][] = [
    [null, null],
    ["", "not housegrid settings (foreign or corrupted data)"],
    ['{"humOnPct":70}', "not housegrid settings (foreign or corrupted data)"],
    ["housegrid-settings 1 fans", "stored settings are truncated"],
    [blobOf("housegrid-settings 1 plugs", json), 'stored settings are for "plugs", not fans'],
    [
      blobOf("housegrid-settings 0 fans", json),
      "settings format v0 is not supported (this build reads v1)",
    ],
    [
      blobOf("housegrid-settings 2 fans", json),
      "settings format v2 is not supported (this build reads v1)",
    ],
    [blobOf("housegrid-settings x fans", json), "stored settings are corrupted"],
    [
      "housegrid-settings 1 fans 00000000 " + json,
      "stored settings fail their checksum (corrupted or truncated)",
    ],
    [
      "housegrid-settings 1 fans " + crc32Hex(crc32(new TextEncoder().encode(json))).toUpperCase() +
      " " + json,
      "stored settings fail their checksum (corrupted or truncated)",
    ],
    [blobOf("housegrid-settings 1 fans", "{nope"), "stored settings are not valid JSON"],
  ];
  for (const [text, error] of cases) {
    assert.deepEqual(decodeSettings("fans", text), {
      settings: DEFAULT_FAN_SETTINGS,
      error,
    }, String(text));
  }
  assert.deepEqual(decodeSettings("fans", 42 as unknown as string), {
    settings: DEFAULT_FAN_SETTINGS,
    error: "stored settings are not text",
  });
});

Deno.test("a blob written before a field existed fills it with its default", () => {
  const decoded = decodeSettings(
    "fans",
    blobOf("housegrid-settings 1 fans", '{"humOnPct":80, "humOffPct":65, "retired":1}'),
  );
  assert.deepEqual(decoded, {
    settings: Object.assign({}, DEFAULT_FAN_SETTINGS, { humOnPct: 80, humOffPct: 65 }),
    error: null,
  });
});

Deno.test("invalid stored fields fall back to defaults, the others are kept", () => {
  const decoded = decodeSettings(
    "fans",
    blobOf("housegrid-settings 1 fans", '{"humOnPct":80,"warmMs":-5,"tempOnC":20,"tempOffC":25}'),
  );
  assert.deepEqual(decoded.settings, Object.assign({}, DEFAULT_FAN_SETTINGS, { humOnPct: 80 }));
  assert.equal(
    decoded.error,
    "stored settings repaired: warm must be between 0 and 3600 s, got -0.005; " +
      "temp_off must be below temp_on (20 °C), got 25",
  );
  const notObject = decodeSettings("plugs", blobOf("housegrid-settings 1 plugs", "[1,2]"));
  assert.deepEqual(notObject, {
    settings: DEFAULT_PLUG_SETTINGS,
    error: "stored settings repaired: plug settings must be an object, got a list",
  });
});

Deno.test("non-ASCII JSON is checksummed over its UTF-8 bytes", () => {
  const json = '{"note":"20 °C ✓","humOnPct":75}';
  assert.deepEqual(decodeSettings("fans", blobOf("housegrid-settings 1 fans", json)), {
    settings: Object.assign({}, DEFAULT_FAN_SETTINGS, { humOnPct: 75 }),
    error: null,
  });
});
