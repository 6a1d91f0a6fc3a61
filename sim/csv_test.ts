import assert from "node:assert/strict";
import fc from "fast-check";
import { csvField, parseCsv, toCsv } from "./csv.ts";

Deno.test("toCsv quotes only what must be quoted", () => {
  const text = toCsv(["a", "b,c"], [["x", 'he said "hi"'], [1.25, null], [true, "line\nbreak"]]);
  assert.equal(
    text,
    'a,"b,c"\nx,"he said ""hi"""\n1.25,\ntrue,"line\nbreak"\n',
  );
});

Deno.test("toCsv rejects a row of the wrong length", () => {
  assert.throws(() => toCsv(["a", "b"], [["only one"]]), RangeError);
});

Deno.test("csvField leaves non-finite numbers empty", () => {
  assert.equal(csvField(NaN), "");
  assert.equal(csvField(Infinity), "");
  assert.equal(csvField(undefined), "");
});

Deno.test("parseCsv reads CRLF files and a missing final line break", () => {
  assert.deepEqual(parseCsv("a,b\r\n1,2"), [["a", "b"], ["1", "2"]]);
  assert.deepEqual(parseCsv(""), []);
});

Deno.test("parseCsv(toCsv(rows)) gives back every text field", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 5 }).chain((width) =>
        fc.tuple(
          fc.array(fc.string(), { minLength: width, maxLength: width }),
          fc.array(fc.array(fc.string(), { minLength: width, maxLength: width }), {
            maxLength: 8,
          }),
        )
      ),
      ([header, rows]) => {
        // A lone empty field is an empty line: CSV cannot tell it from no field at all.
        fc.pre(header.length > 1 || rows.every((r) => r[0] !== "") && header[0] !== "");
        assert.deepEqual(parseCsv(toCsv(header, rows)), [header, ...rows]);
      },
    ),
  );
});
