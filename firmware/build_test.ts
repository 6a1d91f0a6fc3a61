import assert from "node:assert/strict";
import { ALLOWED_MODULES, buildFirmware, checkRequires } from "./build.ts";
import { checkEspruinoSubset } from "./espruino_subset.ts";

// The bundles themselves (not the sources) are what Espruino runs: both must be in its
// subset and require nothing but its built-in modules. buildFirmware throws otherwise;
// the checks are repeated here so a failure names the construct.
for (const kind of ["plug", "fan"] as const) {
  Deno.test(`the ${kind} bundle fits Espruino 2v29 and requires only built-in modules`, async () => {
    const built = await buildFirmware(kind);
    assert.deepEqual(checkEspruinoSubset(built.code), []);
    assert.deepEqual(checkRequires(built.code, ALLOWED_MODULES), []);
    const required = [...built.code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    assert.ok(required.length > 0);
    assert.ok(required.every((name) => ALLOWED_MODULES.includes(name as string)), String(required));
    assert.ok(!/\bimport\b|\bexport\b/.test(built.code.replace(/"[^"]*"/g, "")));
    assert.ok(built.bytes > 10000 && built.bytes < 200000, String(built.bytes));
    assert.ok(built.code.startsWith('if(0){"'), "the lazy bindings first");
    assert.ok(built.code.includes("}\nvar $hgf="), "then the script, at the top level");
    // Its own top-level names begin with `$`: none hides an Espruino global such as `E`.
    assert.ok(!/^(var|let|const) [A-Za-z_]/m.test(built.code.slice(built.code.indexOf("}\nvar "))));
    // The internal state's long names are shortened (property_names.ts), and so are the
    // settings' properties, whose keys the settings tables keep (setting_fields.ts); the
    // formats' names stay.
    for (const name of ["lastTelemetryMs", "phaseSinceMs", "keepaliveMs", "telemetryMs"]) {
      assert.equal(new RegExp("\\." + name + "\\b|\\b" + name + ":").test(built.code), false, name);
    }
    assert.ok(/[",]telemetryMs\/Q\w+ telemetry command seconds 1 86400,/.test(built.code));
    assert.equal(built.code.includes("clientId:"), true);
  });
}

Deno.test("checkRequires refuses what Espruino would try to fetch or cannot resolve", () => {
  const allowed = ["Storage", "net"];
  assert.deepEqual(checkRequires('g.require("Storage"); require("net");', allowed), []);
  assert.deepEqual(checkRequires('require("MQTT")', allowed), [
    '1:0 require("MQTT") is not an Espruino built-in module',
  ]);
  assert.deepEqual(checkRequires("var r = require; r(name);", allowed), [
    '1:8 require used other than as require("<module>")',
  ]);
  assert.deepEqual(checkRequires("require(name)", allowed), [
    '1:0 require used other than as require("<module>")',
  ]);
  assert.equal(checkRequires("var x = {require: 1}; x.require;", allowed).length, 1);
  assert.match(checkRequires("var = ;", allowed)[0] ?? "", /^does not parse/);
});
