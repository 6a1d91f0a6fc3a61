import assert from "node:assert/strict";
import fc from "fast-check";
import { formatDecimal, parseDecimal, roundToDecimals } from "./decimal.ts";

const PLAIN = /^-?[0-9]+(\.[0-9]+)?$/;

Deno.test("parseDecimal reads plain decimals", () => {
  assert.deepEqual(parseDecimal("42"), { ok: true, value: 42 });
  assert.deepEqual(parseDecimal("-3.5"), { ok: true, value: -3.5 });
  assert.deepEqual(parseDecimal("007.250"), { ok: true, value: 7.25 });
  const zero = parseDecimal("-0");
  assert.ok(zero.ok && Object.is(zero.value, 0));
});

Deno.test("parseDecimal rejects everything that is not a plain decimal", () => {
  const rejected = [
    "",
    " ",
    "1e3",
    "1E3",
    "0x10",
    "NaN",
    "Infinity",
    "-Infinity",
    "+5",
    ".5",
    "5.",
    "5 ",
    " 5",
    "5\n",
    "1_000",
    "1,5",
    "--1",
    "５",
    "5abc",
    "0b1",
    "1" + "0".repeat(40),
  ];
  for (const text of rejected) {
    const result = parseDecimal(text);
    assert.equal(result.ok, false, JSON.stringify(text));
    assert.ok(!result.ok && result.error.startsWith("expected a plain decimal number, got "));
  }
});

Deno.test("parseDecimal never throws and accepts exactly the plain pattern", () => {
  fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 50 }), (text) => {
    const result = parseDecimal(text);
    assert.equal(result.ok, PLAIN.test(text) && text.length <= 40);
    if (result.ok) assert.ok(isFinite(result.value));
  }));
});

Deno.test("formatDecimal rounds, drops trailing zeros and never writes an exponent", () => {
  assert.equal(formatDecimal(12.34, 1), "12.3");
  assert.equal(formatDecimal(12.35, 1), "12.4");
  assert.equal(formatDecimal(2, 3), "2");
  assert.equal(formatDecimal(0.000001, 6), "0.000001");
  assert.equal(formatDecimal(1e-7, 6), "0");
  assert.equal(formatDecimal(-0.04, 1), "0");
  assert.equal(formatDecimal(-0, 0), "0");
  assert.equal(formatDecimal(1.5e21, 0), "1500000000000000000000");
  assert.equal(formatDecimal(-1.5e300, 3), "-15" + "0".repeat(299));
  assert.equal(formatDecimal(Number.NaN, 2), "NaN");
  assert.equal(formatDecimal(5, -1), "5");
});

Deno.test("formatDecimal writes plain decimals that read back within half a step", () => {
  fc.assert(fc.property(
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer({ min: 0, max: 9 }),
    (value, decimals) => {
      const text = formatDecimal(value, decimals);
      assert.match(text, PLAIN);
      const back = parseFloat(text);
      const tolerance = 0.5 * Math.pow(10, -decimals) + Math.abs(value) * 1e-15;
      assert.ok(Math.abs(back - value) <= tolerance, `${value} ${decimals} -> ${text}`);
    },
  ));
});

Deno.test("a number at the resolution round-trips exactly through text", () => {
  fc.assert(fc.property(
    fc.integer({ min: -1e15, max: 1e15 }),
    fc.integer({ min: 0, max: 6 }),
    (steps, decimals) => {
      const value = steps / Math.pow(10, decimals);
      const parsed = parseDecimal(formatDecimal(value, decimals));
      assert.ok(parsed.ok);
      assert.equal(parsed.value, value === 0 ? 0 : value);
      assert.equal(roundToDecimals(value, decimals), value === 0 ? 0 : value);
    },
  ));
});

Deno.test("roundToDecimals leaves what it cannot round alone", () => {
  assert.equal(roundToDecimals(2.3456, 2), 2.35);
  assert.equal(roundToDecimals(1e300, 3), 1e300);
  assert.ok(Number.isNaN(roundToDecimals(Number.NaN, 1)));
  assert.equal(roundToDecimals(-Infinity, 1), -Infinity);
  assert.ok(Object.is(roundToDecimals(-0.001, 1), 0));
});
