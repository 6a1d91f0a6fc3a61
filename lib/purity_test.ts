import assert from "node:assert/strict";

// lib/ is pure: it must run unchanged on Deno, in browsers and on Espruino, with time
// and I/O passed in by adapters. Comments may mention these names; code may not.
const IMPURE = [
  /\bDeno\./,
  /from\s+["']node:/,
  /\bDate\.now\b/,
  /\bnew Date\b/,
  /\bset(Timeout|Interval|Immediate)\b/,
  /\bconsole\./,
  /\bMath\.random\b/,
  /\bfetch\(/,
  /\bperformance\./,
  /\brequire\(/,
  /\bprocess\./,
  /from\s+["'](npm|jsr|https?):/,
  /from\s+["']\.\.\//,
];

function codeLines(text: string): string[] {
  const withoutBlockComments = text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, " "));
  return withoutBlockComments.split("\n").map((line) => line.replace(/(^|[^:])\/\/.*$/, "$1"));
}

Deno.test("lib/ uses no runtime, clock, timer, console or I/O API", async () => {
  const offences: string[] = [];
  for await (const entry of Deno.readDir(new URL(".", import.meta.url))) {
    if (!entry.name.endsWith(".ts") || entry.name.endsWith("_test.ts")) continue;
    const text = await Deno.readTextFile(new URL(entry.name, import.meta.url));
    codeLines(text).forEach((line, index) => {
      for (const pattern of IMPURE) {
        if (pattern.test(line)) offences.push(`${entry.name}:${index + 1}: ${line.trim()}`);
      }
    });
  }
  assert.deepEqual(offences, []);
});

Deno.test("the purity check catches an impure line", () => {
  const line = codeLines("const t = Date.now(); // fine in a comment: Deno.exit")[0] ?? "";
  assert.ok(IMPURE.some((pattern) => pattern.test(line)));
  assert.ok(!IMPURE.some((pattern) => pattern.test(codeLines("// Date.now()")[0] ?? "")));
});
