import assert from "node:assert/strict";
import { parseCommandLine, RUN_HELP, SCENARIO_HELP } from "./cli.ts";

Deno.test("no flags: the in-process broker, default ports and fleet", () => {
  const request = parseCommandLine([]);
  assert.equal(request.command, "run");
  if (request.command !== "run") return;
  assert.equal(request.brokerUrl, null);
  assert.equal(request.mqttPort, 1883);
  assert.equal(request.speed, 1);
  assert.equal(request.dataDir, "./.housegrid");
  assert.equal(request.plugs, null);
});

Deno.test("flags are parsed into typed options", () => {
  const request = parseCommandLine([
    "--broker=mqtt://127.0.0.1:1884",
    "--speed",
    "60",
    "--plugs",
    "3",
    "--fans",
    "0",
    "--prefix",
    "home/",
    "--id-offset",
    "100",
  ]);
  assert.equal(request.command, "run");
  if (request.command !== "run") return;
  assert.equal(request.brokerUrl, "mqtt://127.0.0.1:1884");
  assert.equal(request.speed, 60);
  assert.equal(request.plugs, 3);
  assert.equal(request.fans, 0);
  assert.equal(request.prefix, "home/");
  assert.equal(request.idOffset, 100);
});

Deno.test("help for every command", () => {
  assert.deepEqual(parseCommandLine(["--help"]), { command: "help", text: RUN_HELP });
  assert.deepEqual(parseCommandLine(["-h"]), { command: "help", text: RUN_HELP });
  assert.deepEqual(parseCommandLine(["scenario", "--help"]), {
    command: "help",
    text: SCENARIO_HELP,
  });
});

Deno.test("bad flags give a clear error", () => {
  const cases: Array<[string[], RegExp]> = [
    [["--sped", "2"], /sped/],
    [["--speed", "fast"], /--speed must be a positive number/],
    [["--speed", "0"], /--speed must be a positive number/],
    [["--mqtt-port", "70000"], /--mqtt-port must be between 0 and 65535/],
    [["--broker", "localhost"], /--broker must look like mqtt:\/\/host:port/],
    [["--prefix", "home"], /--prefix must be empty or end with "\/"/],
    [["frobnicate"], /unknown command "frobnicate"/],
    [["scenario"], /scenario needs a name/],
    [["scenario", "nope"], /unknown scenario "nope"/],
    [["--plugs", "-1"], /--plugs/],
  ];
  for (const [args, pattern] of cases) {
    const request = parseCommandLine(args);
    assert.equal(request.command, "error", args.join(" "));
    if (request.command === "error") assert.match(request.message, pattern);
  }
});

Deno.test("scenario names and options", () => {
  const request = parseCommandLine(["scenario", "bathroom-day", "--out", "/tmp/x", "--seed", "7"]);
  assert.deepEqual(request, {
    command: "scenario",
    name: "bathroom-day",
    outDir: "/tmp/x",
    seed: 7,
  });
});
