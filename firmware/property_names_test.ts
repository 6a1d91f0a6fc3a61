import assert from "node:assert/strict";
import fc from "fast-check";
import { interfacesOf, internalPropertyNames, renameProperties } from "./property_names.ts";

// Every way a script names a property: member access, literal keys (long and shorthand),
// methods, destructuring with and without defaults, nested patterns, class members.
const PROGRAM = `
var lastSeenMs = 7;
var state = { phaseSinceMs: 1, lastSeenMs, nested: { retryDelayMs: 2 }, bumpUp() { return 3; } };
state.phaseSinceMs += 10;
var { phaseSinceMs, nested: { retryDelayMs }, missingMs = 5 } = state;
var [{ lastSeenMs: seen }] = [state];
class Gauge { constructor() { this.pingSentMs = 4; } readingMs() { return this.pingSentMs; } }
var gauge = new Gauge();
var out = [phaseSinceMs, retryDelayMs, missingMs, seen, state.bumpUp(), gauge.readingMs(),
  state.nested.retryDelayMs, "lastSeenMs is a word in a message", Object.keys(state).length];
`;
const NAMES = [
  "phaseSinceMs",
  "lastSeenMs",
  "nested",
  "retryDelayMs",
  "bumpUp",
  "missingMs",
  "pingSentMs",
  "readingMs",
];
const run = (code: string): unknown => new Function(code + "; return out;")();

Deno.test("interfaces are read member by member, methods and optional members too", () => {
  const source = [
    "/** A thing. */",
    "export interface Thing extends Base {",
    "  /** Its id. */",
    "  readonly id: string;",
    "  count?: number;",
    "  nested: {",
    "    inner: number;",
    "  };",
    "  read<T>(key: string): T;",
    "}",
    "interface Other {",
    "  id: number;",
    "}",
  ].join("\n") + "\n";
  assert.deepEqual(interfacesOf(source), [
    { name: "Thing", members: ["id", "count", "nested", "read"] },
    { name: "Other", members: ["id"] },
  ]);
});

Deno.test("a name some other interface also has is not internal", () => {
  const sources = [
    "interface Session {\n  phaseSinceMs: number;\n  host: string;\n}\n",
    "interface Config {\n  host: string;\n}\n",
    "interface Store {\n  heldMs: number;\n}\n",
  ];
  assert.deepEqual(internalPropertyNames(sources, ["Session", "Store"]), [
    "heldMs",
    "phaseSinceMs",
  ]);
  assert.throws(() => internalPropertyNames(sources, ["Gone"]), /no interface named Gone/);
});

Deno.test("every way of naming a property is renamed and the script means the same", () => {
  const { code, renamed, kept } = renameProperties(PROGRAM, NAMES, []);
  assert.deepEqual(run(code), run(PROGRAM));
  assert.equal(kept.size, 0);
  assert.equal(renamed.size, NAMES.length);
  for (const name of NAMES) {
    assert.equal(new RegExp("[.{,]\\s*" + name + "\\s*[:(]").test(code), false, name);
  }
  assert.equal(code.includes('"lastSeenMs is a word in a message"'), true);
});

Deno.test("names read as text, written to JSON or read by another text are kept", () => {
  const code = [
    "var o = { heldMs: 1, keyedMs: 2, jsonMs: 3, pageMs: 4, shortMs: 5 };",
    'var k = o["keyedMs"] + ("heldMs" in o ? 1 : 0);',
    "var t = JSON.stringify({ jsonMs: o.jsonMs });",
  ].join("\n");
  const names = ["heldMs", "keyedMs", "jsonMs", "pageMs", "ab"];
  const result = renameProperties(code, names, ["<script>x.pageMs</script>"]);
  assert.deepEqual(
    [...result.kept],
    [
      ["heldMs", "in a string"],
      ["keyedMs", "in a string"],
      ["jsonMs", "in a string"],
      ["pageMs", "in a string"],
      ["ab", "short already"],
    ],
  );
  assert.equal(result.code, code);
});

Deno.test("a new name never meets a name the script already uses", () => {
  const code = "var Qa = { Qb: 1, longNameMs: 2 }; var Qc = 'Qd'; var r = Qa.longNameMs;";
  const { code: out, renamed } = renameProperties(code, ["longNameMs"], []);
  assert.equal(renamed.get("longNameMs"), "Qe");
  assert.equal(new Function(out + "; return r;")(), 2);
});

Deno.test("any choice of names to rename leaves the script's meaning alone", () => {
  fc.assert(
    fc.property(fc.subarray(NAMES), fc.array(fc.constantFrom(...NAMES)), (names, readBy) => {
      const { code, renamed, kept } = renameProperties(PROGRAM, names, [readBy.join(" ")]);
      assert.deepEqual(run(code), run(PROGRAM));
      assert.equal(renamed.size + kept.size, names.length);
      assert.equal(new Set(renamed.values()).size, renamed.size);
      for (const name of readBy) assert.equal(renamed.has(name), false);
    }),
  );
});
