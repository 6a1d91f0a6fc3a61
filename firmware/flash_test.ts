import assert from "node:assert/strict";
import { checkConfigText, ESPRUINO_CLI, espruinoArgs, parseFlashArgs } from "./flash.ts";

Deno.test("flash arguments: Telnet and serial ports, kinds, config, help", () => {
  assert.deepEqual(
    parseFlashArgs(["--port", "tcp://192.168.1.50:23", "--kind", "plug", "--config", "p.json"]),
    {
      type: "flash",
      request: {
        port: "tcp://192.168.1.50:23",
        kind: "plug",
        configPath: "p.json",
        baud: 115200,
        dryRun: false,
      },
    },
  );
  const serial = parseFlashArgs([
    "--port=/dev/ttyUSB0",
    "--kind=fan",
    "--baud",
    "9600",
    "--dry-run",
  ]);
  assert.equal(serial.type === "flash" && serial.request.baud, 9600);
  assert.equal(serial.type === "flash" && serial.request.dryRun, true);
  assert.equal(parseFlashArgs(["--port", "COM3", "--kind", "fan"]).type, "flash");
  assert.deepEqual(parseFlashArgs(["-h"]), { type: "help" });
  assert.deepEqual(parseFlashArgs(["--help", "--kind", "x"]), { type: "help" });
});

Deno.test("flash arguments: clear errors", () => {
  const error = (args: string[]) => {
    const parsed = parseFlashArgs(args);
    return parsed.type === "error" ? parsed.error : parsed.type;
  };
  assert.equal(error(["--kind", "plug"]), "--port is required (tcp://<ip>:23 or /dev/ttyUSB0)");
  assert.equal(
    error(["--port", "192.168.1.50", "--kind", "plug"]),
    '--port must be tcp://<host>[:port] or a serial port like /dev/ttyUSB0 or COM3, got "192.168.1.50"',
  );
  assert.equal(error(["--port", "COM3"]), '--kind must be plug or fan, got ""');
  assert.equal(
    error(["--port", "COM3", "--kind", "fan", "--baud", "fast"]),
    "--baud must be a whole number of bits per second, got fast",
  );
  assert.match(
    error(["--port", "COM3", "--kind", "fan", "--colour", "red"]),
    /Unknown option '--colour'/,
  );
  assert.match(error(["--port", "COM3", "--kind", "fan", "extra"]), /positional argument/);
});

Deno.test("the espruino tool is asked to store the config once and the bundle as boot code", () => {
  const request = {
    port: "/dev/ttyUSB0",
    kind: "fan" as const,
    configPath: "f.json",
    baud: 115200,
    dryRun: false,
  };
  assert.deepEqual(espruinoArgs(request, "dist/fan.js", "/tmp/cfg.json"), [
    "run",
    "-A",
    ESPRUINO_CLI,
    "--no-ble",
    "--port",
    "/dev/ttyUSB0",
    "-b",
    "115200",
    "--config",
    "SAVE_ON_SEND=1",
    "--config",
    "STORE_LINE_NUMBERS=false",
    "--config",
    "MODULE_URL=",
    "--storage",
    "housegrid.json:/tmp/cfg.json",
    "dist/fan.js",
  ]);
  assert.ok(!espruinoArgs(request, "dist/fan.js", null).includes("--storage"));
  // The gzipped page goes to Storage too, under the name the chip's web server reads.
  assert.deepEqual(espruinoArgs(request, "dist/fan.js", null, "dist/page.html.gz").slice(-3), [
    "--storage",
    "hg.page.gz:dist/page.html.gz",
    "dist/fan.js",
  ]);
});

Deno.test("the configuration is checked against the kind before anything is uploaded", () => {
  assert.deepEqual(
    checkConfigText('{"kind":"fan","id":"bath","mqtt":{"host":"10.0.0.2"}}', "fan"),
    {
      ok: true,
      value: '{"kind":"fan","id":"bath","mqtt":{"host":"10.0.0.2"}}',
    },
  );
  assert.deepEqual(checkConfigText('{"kind":"fan","id":"bath","mqtt":{"host":"h"}}', "plug"), {
    ok: false,
    error: "the configuration is for a fan, not a plug",
  });
  const bad = checkConfigText('{"kind":"plug","id":"Bath","mqtt":{}}', "plug");
  assert.equal(
    bad.ok ? "" : bad.error,
    'id must be 1 to 32 of a-z 0-9 _ -, got "Bath"; mqtt.host must be a host name or address, got ""',
  );
  assert.match(checkConfigText("{kind:", "plug").ok ? "" : "not json", /not json/);
});
