import assert from "node:assert/strict";
import { prefixTopLevelNames } from "./top_level_names.ts";

Deno.test("top-level names get a $ and every use follows; inner names and globals stay", () => {
  const code = "(function(){var E=2,S=[1];const t=function(v){return v+E};" +
    "let {E:e,x=3}={E:5};function D1(E){return {E,S,t:t(E)}}" +
    "globalThis.out=[D1(E),e,x,typeof print];})();";
  const out = prefixTopLevelNames(code);
  for (const name of ["E", "S", "t", "e", "x", "D1"]) {
    assert.equal(
      new RegExp("(var |let |const |function |,)" + name + "[=(]").test(out),
      false,
      name,
    );
  }
  const scope: Record<string, unknown> = {};
  new Function("globalThis", out)(scope);
  const before: Record<string, unknown> = {};
  new Function("globalThis", code)(before);
  assert.deepEqual(scope.out, before.out);
  assert.deepEqual(scope.out, [{ E: 2, S: [1], t: 4 }, 5, 3, "undefined"]);
});

Deno.test("a new name never meets one the script uses, and $ names are kept", () => {
  const out = prefixTopLevelNames("(()=>{var a=1,$a=2,$b=3;globalThis.out=a+$a+$b})();");
  assert.equal(out, "(()=>{var $c=1,$a=2,$b=3;globalThis.out=$c+$a+$b})();");
  assert.throws(() => prefixTopLevelNames("var a=1;"), /expected one IIFE/);
});
