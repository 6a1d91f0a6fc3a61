/**
 * CSV for scenario output (RFC 4180): a header line, then one line per row, fields quoted
 * only when they hold a comma, a quote or a line break.
 *
 * @module
 */

/** One CSV field before formatting: `null` and `undefined` become an empty field. */
export type CsvValue = string | number | boolean | null | undefined;

/**
 * Formats one field: numbers as JavaScript prints them (non-finite ones as empty), text
 * quoted when it must be.
 *
 * @param value The field.
 * @returns The field as it appears in the file.
 * @example
 * ```ts
 * import { csvField } from "./csv.ts";
 * import assert from "node:assert/strict";
 * assert.equal(csvField(1.5), "1.5");
 * assert.equal(csvField('say "hi", then go'), '"say ""hi"", then go"');
 * assert.equal(csvField(null), "");
 * ```
 */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Builds a CSV document with a header line; every line ends with `\n`.
 *
 * @param header Column names.
 * @param rows Rows; each should have as many fields as the header.
 * @returns The document.
 * @throws {RangeError} When a row's length differs from the header's.
 * @example
 * ```ts
 * import { toCsv } from "./csv.ts";
 * import assert from "node:assert/strict";
 * assert.equal(toCsv(["hour", "power_w"], [[0, 12.5], [1, null]]), "hour,power_w\n0,12.5\n1,\n");
 * ```
 */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  const lines = [header.map(csvField).join(",")];
  for (const [index, row] of rows.entries()) {
    if (row.length !== header.length) {
      throw new RangeError(`row ${index} has ${row.length} fields, the header ${header.length}`);
    }
    lines.push(row.map(csvField).join(","));
  }
  return lines.join("\n") + "\n";
}

/**
 * Parses a CSV document (quoted fields, doubled quotes, CRLF or LF) into rows of text.
 *
 * @param text The document.
 * @returns Rows of fields, the header first; a final line break adds no empty row.
 * @example
 * ```ts
 * import { parseCsv } from "./csv.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseCsv('a,b\n1,"x, ""y"""\n'), [["a", "b"], ["1", 'x, "y"']]);
 * ```
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let at = 0;
  while (at < text.length) {
    const char = text[at]!;
    if (quoted) {
      if (char === '"' && text[at + 1] === '"') {
        field += '"';
        at += 2;
        continue;
      }
      if (char === '"') quoted = false;
      else field += char;
      at++;
      continue;
    }
    if (char === '"') {
      quoted = true;
    } else if (char === ",") {
      row.push(field);
      field = "";
    } else if (char === "\n" || char === "\r") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      if (char === "\r" && text[at + 1] === "\n") at++;
    } else {
      field += char;
    }
    at++;
  }
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
