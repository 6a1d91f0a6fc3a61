import assert from "node:assert/strict";
import fc from "fast-check";
import { formatFanCommand, formatPlugCommand } from "./commands.ts";
import {
  commandErrorMessage,
  commandFilter,
  type DeviceAddress,
  encodeCommandError,
  type ParsedMessage,
  parseMessage,
} from "./protocol.ts";
import { fanCommandArbitrary, plugCommandArbitrary } from "./settings_arbitrary_test.ts";
import { baseTopic, commandTopic } from "./topics.ts";
import { encodeUtf8 } from "./utf8.ts";

const PLUG: DeviceAddress = { prefix: "", kind: "plugs", id: "p1" };
const FAN: DeviceAddress = { prefix: "home/", kind: "fans", id: "fan1" };
const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("a command for this device becomes a typed command", () => {
  assert.deepEqual(parseMessage(PLUG, "plugs/p1/commands/power", "on", false), {
    type: "command",
    kind: "plugs",
    param: "power",
    payload: "on",
    command: { type: "power", action: "on" },
  });
  assert.deepEqual(parseMessage(FAN, "home/fans/fan1/commands/speed", bytes("2"), false), {
    type: "command",
    kind: "fans",
    param: "speed",
    payload: "2",
    command: { type: "speed", speed: 2 },
  });
});

Deno.test("other devices, other topics, sim knobs and retained commands are ignored", () => {
  const notMine = { type: "ignored", why: "not a command topic of this device" };
  for (
    const topic of [
      "plugs/p2/commands/power",
      "plugs/p10/commands/power",
      "home/plugs/p1/commands/power",
      "fans/p1/commands/power",
      "plugs/p1/states/power",
      "plugs/p1/state",
      "plugs/p1/errors",
      "plugs/p1/availability",
      "plugs/p1/commands",
      "plugs/p1/commands/power/extra",
      "sim/p1/load",
      "",
    ]
  ) {
    assert.deepEqual(parseMessage(PLUG, topic, "ON", false), notMine, topic);
  }
  assert.deepEqual(parseMessage(PLUG, "plugs/p1/commands/power", "ON", true), {
    type: "ignored",
    why: "retained command (a stale command must not act)",
  });
  assert.deepEqual(parseMessage(FAN, "fans/fan1/commands/power", "ON", false), notMine);
});

Deno.test("bad payloads become typed errors that echo what was sent", () => {
  assert.deepEqual(parseMessage(FAN, "home/fans/fan1/commands/hum_on", "150", false), {
    type: "error",
    param: "hum_on",
    payload: "150",
    error: "hum_on must be between 1 and 100 %RH, got 150",
  });
  assert.deepEqual(
    parseMessage(PLUG, "plugs/p1/commands/power", new Uint8Array([0x4f, 0xff]), false),
    { type: "error", param: "power", payload: "O\ufffd", error: "payload is not valid UTF-8" },
  );
  const long = parseMessage(PLUG, "plugs/p1/commands/pulse", "1".repeat(300), false);
  assert.ok(long.type === "error");
  assert.equal(long.error, "payload too long (300 characters, at most 256)");
  assert.equal(long.payload, "1".repeat(64) + "…");
  const longBytes = parseMessage(PLUG, "plugs/p1/commands/pulse", new Uint8Array(1000), false);
  assert.ok(
    longBytes.type === "error" && longBytes.error.startsWith("payload too long (1000 bytes"),
  );
  assert.deepEqual(parseMessage(PLUG, "plugs/p1/commands/dance", "now", false), {
    type: "error",
    param: "dance",
    payload: "now",
    error: 'unknown plug command "dance" (expected one of power, pulse, energy_reset, ' +
      "power_on_state, max_power, telemetry, telemetry_mode)",
  });
  const weird = parseMessage(PLUG, "plugs/p1/commands/power", 42 as unknown as string, false);
  assert.deepEqual(weird, {
    type: "error",
    param: "power",
    payload: "",
    error: "payload must be text or bytes",
  });
});

const checkShape = (parsed: ParsedMessage): void => {
  if (parsed.type === "ignored") {
    assert.equal(typeof parsed.why, "string");
    return;
  }
  assert.equal(typeof parsed.param, "string");
  assert.equal(typeof parsed.payload, "string");
  if (parsed.type === "error") {
    assert.ok(parsed.error.length > 0);
    const json = JSON.parse(encodeCommandError(parsed));
    assert.deepEqual(Object.keys(json), ["param", "payload", "error"]);
    assert.equal(json.error, parsed.error);
    assert.ok(parsed.payload.length <= 65);
  } else {
    assert.ok(parsed.command && typeof parsed.command.type === "string");
  }
};

Deno.test("parseMessage never throws, whatever the topic and bytes", () => {
  const params = fc.oneof(
    fc.constantFrom("power", "pulse", "energy_reset", "speed", "hum_on", "timer_on", "cooldown"),
    fc.string({ unit: "binary", maxLength: 12 }),
  );
  const topic = fc.oneof(
    fc.string({ unit: "binary" }),
    fc.string(),
    params.map((param) => commandTopic("plugs/p1", param)),
    params.map((param) => commandTopic("home/fans/fan1", param)),
  );
  const payload = fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc.string({ unit: "binary" }),
    fc.string({ unit: "grapheme" }),
    fc.string(),
    fc.constantFrom("ON", "auto", "1e3", "0x10", " ", "NaN", "", "-0", "99999999"),
  );
  fc.assert(
    fc.property(topic, payload, fc.boolean(), (t, p, retained) => {
      for (const device of [PLUG, FAN]) {
        const parsed = parseMessage(device, t, p, retained);
        checkShape(parsed);
        if (retained) assert.equal(parsed.type, "ignored");
      }
    }),
    { numRuns: 3000 },
  );
  assert.equal(parseMessage(null as unknown as DeviceAddress, "x", "y", false).type, "ignored");
});

Deno.test("a printed command, sent as bytes, parses back to the same command", () => {
  const base = baseTopic(PLUG.prefix, PLUG.kind, PLUG.id);
  fc.assert(
    fc.property(plugCommandArbitrary, (command) => {
      const text = formatPlugCommand(command);
      const parsed = parseMessage(
        PLUG,
        commandTopic(base, text.param),
        encodeUtf8(text.payload),
        false,
      );
      assert.deepEqual(parsed, {
        type: "command",
        kind: "plugs",
        param: text.param,
        payload: text.payload,
        command,
      });
    }),
    { numRuns: 500 },
  );
  const fanBase = baseTopic(FAN.prefix, FAN.kind, FAN.id);
  fc.assert(
    fc.property(fanCommandArbitrary, (command) => {
      const text = formatFanCommand(command);
      const parsed = parseMessage(FAN, commandTopic(fanBase, text.param), text.payload, false);
      assert.ok(parsed.type === "command" && parsed.kind === "fans");
      assert.deepEqual(parsed.command, command);
    }),
    { numRuns: 500 },
  );
});

Deno.test("errors are JSON {param, payload, error} on <base>/errors, not retained", () => {
  const error = { param: "hum_on", payload: 'say "hi"\n', error: "nope" };
  assert.equal(
    encodeCommandError(error),
    '{"param":"hum_on","payload":"say \\"hi\\"\\n","error":"nope"}',
  );
  assert.deepEqual(commandErrorMessage("home/fans/fan1", error), {
    topic: "home/fans/fan1/errors",
    payload: encodeCommandError(error),
    retain: false,
  });
});

Deno.test("a device subscribes to <base>/commands/+", () => {
  assert.equal(commandFilter("home/fans/fan1"), "home/fans/fan1/commands/+");
});
