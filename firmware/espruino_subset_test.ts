import assert from "node:assert/strict";
import { checkEspruinoSubset } from "./espruino_subset.ts";

const messages = (code: string) => checkEspruinoSubset(code).map((v) => v.message);

Deno.test("accepts the constructs Espruino 2v29 runs", () => {
  const code = `
    class A { constructor(x) { this.x = x; } get y() { return this.x; } static z() { return 1; } }
    class B extends A { w = 2; m() { return super.y; } }
    const f = (a, b) => a ?? b;
    let t = \`\${1}\`;
    for (const c of [1, 2]) { t += c; }
    const o = { a: 1, f() { return 2; }, get g() { return 3; } };
    try { JSON.parse("x"); } catch { t = ""; }
    const r = /ab+c/gi;
    const r2 = /^(on|off)$/.test("on") && /^[a-z0-9_-]+$/.test("a") && /^\\d*\\.[?{]$/.test("");
    function later() { return early(); }
    if (0) { (early()); }
    function early() { return 1; }
    later();
    const at = { at: 1 }.at;
    "x".replaceAll("x", "y");
    const bytes = t instanceof Uint8Array || t instanceof Array;
  `;
  assert.deepEqual(checkEspruinoSubset(code), []);
});

Deno.test("reports each construct Espruino 2v29 lacks", () => {
  const cases: Array<[string, string]> = [
    ["function f(a = 1) {}", "default parameter or default value"],
    ["const { a } = o;", "destructuring"],
    ["const [a] = o;", "destructuring"],
    ["f(...a);", "spread (...)"],
    ["function f(...a) {}", "rest element (...)"],
    ["const o = { [k]: 1 };", "computed key ([expr])"],
    ["async function f() {}", "async function"],
    ["function* g() {}", "generator function"],
    ["tag`x`;", "tagged template"],
    ["a: for (;;) break a;", "label"],
    ["x = 2 ** 3;", "exponent operator (**)"],
    ["x ??= 3;", "logical assignment (??=)"],
    ["x ||= 3;", "logical assignment (||=)"],
    ["x = a?.b;", "optional chaining (?.)"],
    ["x = 10n;", "BigInt literal"],
    ["x = new Map();", "missing built-in Map"],
    ["x = new Set();", "missing built-in Set"],
    ["x = Symbol('a');", "missing built-in Symbol"],
    ["x = Array.from(a);", "missing built-in Array.from"],
    ["x = a.flat();", "missing method .flat"],
    ["p.finally(f);", "missing method .finally"],
    ["s.trimStart();", "missing method .trimStart"],
    ["x = Math.trunc(1.5);", "missing built-in Math.trunc"],
    ["x = Number.isNaN(a);", "missing built-in Number.isNaN"],
    ["x = Number.EPSILON;", "missing built-in Number.EPSILON"],
    ["class E extends Error {}", "class extending Error (instanceof breaks)"],
    ["x = e instanceof Error;", "instanceof Error (the class is made again between tasks)"],
    ["x = d instanceof Date;", "instanceof Date (the class is made again between tasks)"],
    ["class C { #p = 1; }", "private class member (#name)"],
    ["class C { p; }", "class field without an initializer"],
    ["x = /^ab?c$/;", "RegExp ? quantifier (unsupported)"],
    ["x = /^[a-z]{1,3}$/;", "RegExp {m,n} quantifier (unsupported)"],
    ["x = /^a(bc)+$/;", "RegExp quantified group (unsupported)"],
    ["x = /^(?:a)$/;", "RegExp (? group syntax (unsupported)"],
    ["x = /a/s;", "RegExp flags /s"],
    [
      "early(); function early() {}",
      "function early used before its declaration runs (no hoisting)",
    ],
  ];
  for (const [code, message] of cases) {
    assert.ok(messages(code).includes(message), `${code} -> ${messages(code).join("; ")}`);
  }
});

Deno.test("reports the line and column of a violation", () => {
  const [violation] = checkEspruinoSubset("var a = 1;\nvar b = a?.c;");
  assert.deepEqual(violation, { line: 2, column: 8, message: "optional chaining (?.)" });
});

Deno.test("reports unparsable code instead of throwing", () => {
  assert.match(messages("var = ;")[0] ?? "", /^does not parse/);
});
