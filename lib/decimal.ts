/**
 * Plain decimal numbers, the only number format the MQTT protocol reads and writes: an
 * optional minus, digits, an optional fraction. No exponent, hex, blanks, `NaN` or
 * `Infinity`, so what a device prints is always what it reads back.
 *
 * @module
 */

import { err, ok, type Result } from "./result.ts";

// Espruino's RegExp engine has no `?` quantifier and no quantified groups, so the shape
// `-?[0-9]+(\.[0-9]+)?` is checked piece by piece.
const DIGITS_PATTERN = /^[0-9]+$/;
const isPlainDecimal = (text: string): boolean => {
  const unsigned = text.charAt(0) === "-" ? text.slice(1) : text;
  const dot = unsigned.indexOf(".");
  if (dot < 0) return DIGITS_PATTERN.test(unsigned);
  return DIGITS_PATTERN.test(unsigned.slice(0, dot)) &&
    DIGITS_PATTERN.test(unsigned.slice(dot + 1));
};
// Longer texts are never a sensible setting; the cap also bounds the work on a tiny device.
const MAX_DECIMAL_LENGTH = 40;
const MAX_DECIMALS = 20;
// Beyond 2^53 a double has no fractional digits left to round.
const EXACT_INTEGER_LIMIT = 9007199254740992;

/**
 * Parses a plain decimal number such as `42`, `-3.5` or `007.250`.
 *
 * @param text The text to read, taken as is (no trimming).
 * @returns The number (`-0` read as `0`), or an error for anything else (`1e3`, `0x10`,
 * `" 5"`, `NaN`, `5.`, `.5`, an empty text, trailing garbage).
 * @example
 * ```ts
 * import { parseDecimal } from "./decimal.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseDecimal("-3.25"), { ok: true, value: -3.25 });
 * assert.equal(parseDecimal("1e3").ok, false);
 * ```
 */
export function parseDecimal(text: string): Result<number> {
  if (typeof text !== "string") return err("expected a plain decimal number, got no text");
  if (text.length > MAX_DECIMAL_LENGTH || !isPlainDecimal(text)) {
    return err("expected a plain decimal number, got " + quoteText(text));
  }
  const value = parseFloat(text);
  return ok(value === 0 ? 0 : value);
}

/**
 * Rounds a number to a count of decimal places (halves away from zero on the positive side,
 * as `Math.round` does).
 *
 * @param value The number to round.
 * @param decimals Decimal places kept, 0 to 20.
 * @returns The rounded number; non-finite values come back unchanged.
 * @example
 * ```ts
 * import { roundToDecimals } from "./decimal.ts";
 * import assert from "node:assert/strict";
 * assert.equal(roundToDecimals(2.3456, 2), 2.35);
 * assert.equal(roundToDecimals(1234.5, 0), 1235);
 * ```
 */
export function roundToDecimals(value: number, decimals: number): number {
  if (!isFinite(value)) return value;
  const scale = Math.pow(10, clampDecimals(decimals));
  if (Math.abs(value) * scale >= EXACT_INTEGER_LIMIT) return value;
  const rounded = Math.round(value * scale) / scale;
  return rounded === 0 ? 0 : rounded;
}

/**
 * Formats a number as a plain decimal with at most `decimals` places and no trailing zeros.
 *
 * @param value The number to format.
 * @param decimals Decimal places kept, 0 to 20.
 * @returns The text, e.g. `12.3`; never an exponent form. Non-finite values give `NaN`,
 * `Infinity` or `-Infinity` (callers publish those as missing instead).
 * @example
 * ```ts
 * import { formatDecimal } from "./decimal.ts";
 * import assert from "node:assert/strict";
 * assert.equal(formatDecimal(12.34, 1), "12.3");
 * assert.equal(formatDecimal(2, 3), "2");
 * assert.equal(formatDecimal(-0.0001, 2), "0");
 * assert.equal(formatDecimal(1e21, 0), "1000000000000000000000");
 * ```
 */
export function formatDecimal(value: number, decimals: number): string {
  if (!isFinite(value)) return String(value);
  const places = clampDecimals(decimals);
  const rounded = roundToDecimals(value, places);
  let text = Math.abs(rounded) >= 1e21 ? expandExponent(String(rounded)) : rounded.toFixed(places);
  if (text.indexOf(".") >= 0) {
    let end = text.length;
    while (text.charAt(end - 1) === "0") end--;
    if (text.charAt(end - 1) === ".") end--;
    text = text.slice(0, end);
  }
  return text === "-0" ? "0" : text;
}

function clampDecimals(decimals: number): number {
  if (!(decimals > 0)) return 0;
  return decimals > MAX_DECIMALS ? MAX_DECIMALS : Math.floor(decimals);
}

// Turns `1.5e+21` into `1500000000000000000000`: toFixed gives up at 1e21.
function expandExponent(text: string): string {
  const at = text.indexOf("e");
  if (at < 0) return text;
  const negative = text.charAt(0) === "-";
  const mantissa = text.slice(negative ? 1 : 0, at);
  const exponent = parseInt(text.slice(at + 1), 10);
  const point = mantissa.indexOf(".");
  const digits = point < 0 ? mantissa : mantissa.slice(0, point) + mantissa.slice(point + 1);
  const integerDigits = (point < 0 ? mantissa.length : point) + exponent;
  let out = digits;
  while (out.length < integerDigits) out += "0";
  return (negative ? "-" : "") + out;
}

function quoteText(text: string): string {
  return JSON.stringify(text.length > 40 ? text.slice(0, 40) + "…" : text);
}
