/**
 * Writes the bundle's short settings properties into its settings tables.
 *
 * Why: a settings object's properties are its keys (`humOnPct`, `checkPeriodMs`), which
 * cost an ESP8266 a variable or two more than a name of up to 4 characters in every copy
 * of the settings (firmware/MEMORY.md, round 13). The build renames them like internal
 * state (property_names.ts), but the keys stay the format of the settings JSON, of
 * commands and of messages: the tables in `lib/settings_schema.ts` keep them, and each
 * renamed key's line gets its property after a slash (`humOnPct/Qa hum_on command ...`),
 * which the schema reads as the spec's `field`.
 *
 * @module
 */

import { parse } from "acorn";
import { type AstNode, childrenOf } from "./ast.ts";

// A table line: `<key> <name> <access> ...` (see lib/settings_schema.ts).
const TABLE_LINE = /^([A-Za-z_$][\w$]*) [a-z_]+ (?:command|local|state)(?= |$)/;

/**
 * Gives each renamed key its property in the settings tables of a script: in every string
 * literal written without escapes, each comma-separated table line whose key was renamed
 * becomes `<key>/<property>`.
 *
 * @param code A script (before minifying, where each table line is its own literal, or
 *   after).
 * @param renamed Each renamed property's old name and new one.
 * @returns The script with the table lines rewritten, and how many lines were.
 * @throws When the script does not parse.
 * @example
 * ```ts
 * import { settingFieldsInTables } from "./setting_fields.ts";
 * import assert from "node:assert/strict";
 * const code = 'var t = "humOnPct hum_on command number %RH 1 100 1," + "warmMs warm local seconds 0 9";';
 * const out = settingFieldsInTables(code, new Map([["humOnPct", "Qa"]]));
 * assert.equal(out.lines, 1);
 * assert.equal(
 *   out.code,
 *   'var t = "humOnPct/Qa hum_on command number %RH 1 100 1," + "warmMs warm local seconds 0 9";',
 * );
 * ```
 */
export function settingFieldsInTables(
  code: string,
  renamed: ReadonlyMap<string, string>,
): { code: string; lines: number } {
  const program = parse(code, {
    ecmaVersion: "latest",
    sourceType: "script",
  }) as unknown as AstNode;
  const edits: Array<{ start: number; end: number; text: string }> = [];
  let lines = 0;
  const visit = (node: AstNode): void => {
    if (node.type === "Literal" && typeof node.value === "string") {
      const raw = String(node.raw);
      // Only a literal whose text is its value can be edited as text.
      if (raw.slice(1, -1) === node.value) {
        const text = node.value.split(",").map((line) => {
          const key = TABLE_LINE.exec(line)?.[1];
          const field = key === undefined ? undefined : renamed.get(key);
          if (field === undefined) return line;
          lines++;
          return key + "/" + field + line.slice((key as string).length);
        }).join(",");
        if (text !== node.value) {
          edits.push({ start: node.start + 1, end: node.end - 1, text: text });
        }
      }
    }
    for (const child of childrenOf(node)) visit(child);
  };
  visit(program);
  edits.sort((a, b) => b.start - a.start);
  let out = code;
  for (const edit of edits) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  return { code: out, lines: lines };
}
