import assert from "node:assert/strict";
import fc from "fast-check";
import { arrowsToFunctions } from "./arrow_functions.ts";

// A function body as a script (acorn parses scripts, where `return` is not allowed).
const wrap = (body: string): string => "(function () {" + body + "\n})()";
const run = (code: string): unknown => new Function("return " + code)();

Deno.test("arrows become functions with the same results, nested and curried too", () => {
  const code = `
    const add = (a, b) => a + b;
    const curried = (a) => (b) => (c) => a * 100 + b * 10 + c;
    const pair = (k) => ({ k: k, v: [1, 2].map((x) => x * k) });
    const block = (x) => { const y = x + 1; return y * 2; };
    const none = () =>
      7;
    return [add(2, 3), curried(1)(2)(3), pair(3), block(4), none()];`;
  const script = wrap(code);
  const out = arrowsToFunctions(script);
  assert.equal(out.includes("=>"), false);
  assert.deepEqual(run(out), run(script));
});

Deno.test("arrows that need their this, arguments or new.target stay arrows", () => {
  const code = `
    function Box(v) { this.v = v; this.get = () => this.v; }
    function count() { const inner = () => arguments.length; return inner(); }
    const plain = (x) => { function own() { return this; } return typeof own; };
    return [new Box(4).get(), count(1, 2, 3), plain(1)];`;
  const out = arrowsToFunctions(wrap(code));
  assert.match(out, /this\.get = \(\) => this\.v/);
  assert.match(out, /const inner = \(\) => arguments\.length/);
  assert.doesNotMatch(out, /const plain = \(x\) =>/);
  assert.deepEqual(run(out), [4, 3, "function"]);
});

Deno.test("property: chains of arrows compute what they computed", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 6 }),
      (ks) => {
        // (x) => (x) => ... => x + k1 + k2 ..., called once per level.
        let code = "(" + ks.map((_k, i) => "(x" + i + ") => ").join("") +
          ks.map((_k, i) => "x" + i).join(" + ") + ")";
        code += ks.map((k) => "(" + k + ")").join("");
        assert.equal(run(arrowsToFunctions(code)), run(code));
      },
    ),
  );
});
