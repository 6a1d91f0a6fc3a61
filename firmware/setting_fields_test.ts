import assert from "node:assert/strict";
import { settingFieldsInTables } from "./setting_fields.ts";

const RENAMED = new Map([["humOnPct", "Qa"], ["warmMs", "Qb"]]);

Deno.test("each renamed key's table line gets its property, in split and joined literals", () => {
  const split =
    'var t = "humOnPct hum_on command number %RH 1 100 1," + "warmMs warm local seconds 0 9";';
  const joined =
    'var t = "tempOnC temp_on state flag,humOnPct hum_on command flag,warmMs warm local";';
  assert.deepEqual(settingFieldsInTables(split, RENAMED), {
    code:
      'var t = "humOnPct/Qa hum_on command number %RH 1 100 1," + "warmMs/Qb warm local seconds 0 9";',
    lines: 2,
  });
  assert.deepEqual(settingFieldsInTables(joined, RENAMED), {
    code:
      'var t = "tempOnC temp_on state flag,humOnPct/Qa hum_on command flag,warmMs/Qb warm local";',
    lines: 2,
  });
});

Deno.test("strings that are no table line, and literals with escapes, are left alone", () => {
  const code = [
    'var a = "humOnPct";',
    'var b = "humOnPct must be above humOffPct";',
    'var c = "humOnPct hum_on command\\u0020flag";',
    'var d = { humOnPct: "warmMs warm remote seconds" };',
    "var e = `humOnPct hum_on command flag`;",
  ].join("\n");
  assert.deepEqual(settingFieldsInTables(code, RENAMED), { code: code, lines: 0 });
});

Deno.test("a key not renamed keeps its line as it is", () => {
  const code = 'var t = "maxSpeed max_speed state number - 1 100 0";';
  assert.deepEqual(settingFieldsInTables(code, RENAMED), { code: code, lines: 0 });
});
