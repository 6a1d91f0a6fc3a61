/**
 * Interop with Mosquitto: the simulator fleet runs against a real `mosquitto` process and is
 * driven and observed only with the real `mosquitto_pub`, `mosquitto_sub` and `mosquitto_rr`,
 * as a user would from a shell. Mosquitto is a Debian package (`apt-get install mosquitto
 * mosquitto-clients`; CI's `.ci/run` installs it); without it this test fails, on purpose.
 *
 * @module
 */

import assert from "node:assert/strict";
import { parseCommandLine } from "./cli.ts";
import { startSimulator } from "./main.ts";
import { findMosquitto, MOSQUITTO_HOST as HOST, runs, startMosquitto } from "./mosquitto.ts";
const INSTALL_HINT = "install it with `apt-get install mosquitto mosquitto-clients` " +
  "(CI's .ci/run installs them)";

async function requireTools(): Promise<string> {
  const mosquitto = await findMosquitto();
  if (mosquitto === null) assert.fail(`the mosquitto broker is not installed: ${INSTALL_HINT}`);
  for (const client of ["mosquitto_pub", "mosquitto_sub", "mosquitto_rr"]) {
    if (!(await runs(client))) assert.fail(`${client} is not installed: ${INSTALL_HINT}`);
  }
  return mosquitto;
}

interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(command: string, args: string[]): Promise<Output> {
  const output = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" })
    .output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** `mosquitto_sub` against the test's broker, giving up after `timeoutS` seconds (`-W`). */
function mosquittoSub(port: number, args: string[], timeoutS: number): Promise<Output> {
  return run("mosquitto_sub", ["-h", HOST, "-p", String(port), "-W", String(timeoutS), ...args]);
}

async function mosquittoPub(port: number, topic: string, message: string): Promise<void> {
  const result = await run("mosquitto_pub", [
    "-h",
    HOST,
    "-p",
    String(port),
    "-q",
    "1",
    "-t",
    topic,
    "-m",
    message,
  ]);
  assert.equal(result.code, 0, `mosquitto_pub ${topic} failed: ${result.stderr}`);
}

/** What a fresh subscriber gets as the retained value of `topic` (`--retained-only`). */
async function retained(port: number, topic: string): Promise<string> {
  const result = await mosquittoSub(port, ["--retained-only", "-C", "1", "-t", topic], 5);
  assert.equal(result.code, 0, `no retained message on ${topic}: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/**
 * Subscribes with `mosquitto_sub -v` and returns the first payload on `topic` (retained or
 * live) that `wanted` accepts; fails after `timeoutS` seconds, listing what was seen.
 */
async function waitFor(
  port: number,
  topic: string,
  wanted: (payload: string) => boolean,
  timeoutS = 15,
): Promise<string> {
  const child = new Deno.Command("mosquitto_sub", {
    args: ["-h", HOST, "-p", String(port), "-W", String(timeoutS), "-v", "-t", topic],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const seen: string[] = [];
  let found: string | null = null;
  let buffered = "";
  const lines = child.stdout.pipeThrough(new TextDecoderStream());
  for await (const chunk of lines) {
    buffered += chunk;
    const parts = buffered.split("\n");
    buffered = parts.pop() ?? "";
    for (const line of parts) {
      const payload = line.slice(line.indexOf(" ") + 1);
      seen.push(payload);
      if (found === null && wanted(payload)) found = payload;
    }
    if (found !== null) {
      child.kill("SIGTERM");
      break;
    }
  }
  // Breaking out of the loop cancels the stream; the process is then reaped.
  await child.status;
  if (found === null) assert.fail(`nothing wanted on ${topic} in ${timeoutS} s; saw ${seen}`);
  return found;
}

Deno.test("mosquitto: the fleet runs on Mosquitto, driven by mosquitto_pub/sub", async (t) => {
  const binary = await requireTools();
  const broker = await startMosquitto(binary);
  const dataDir = await Deno.makeTempDir({ prefix: "housegrid-sim-" });
  try {
    const options = parseCommandLine([
      "--broker",
      broker.url,
      "--web-port",
      "0",
      "--speed",
      "60",
      "--data",
      dataDir,
    ]);
    assert.equal(options.command, "run");
    if (options.command !== "run") return;
    const sim = await startSimulator(options);
    let stopped = false;
    try {
      assert.equal(sim.brokerUrl, broker.url);
      const port = broker.port;

      await t.step("every device announces itself online", async () => {
        for (const base of ["plugs/plug1", "plugs/plug2", "fans/fan1", "fans/fan2"]) {
          await waitFor(port, `${base}/availability`, (p) => p === "online");
        }
        assert.equal(await retained(port, "plugs/plug1/states/power"), "OFF");
      });

      await t.step("power TOGGLE switches the relay; the retained state reads ON", async () => {
        await mosquittoPub(port, "plugs/plug1/commands/power", "TOGGLE");
        await waitFor(port, "plugs/plug1/states/power", (p) => p === "ON");
        const readBack = await mosquittoSub(port, ["-C", "1", "-t", "plugs/plug1/states/power"], 5);
        assert.equal(readBack.code, 0, readBack.stderr);
        assert.equal(readBack.stdout.trim(), "ON");
        const snapshot = JSON.parse(await retained(port, "plugs/plug1/state"));
        assert.equal(snapshot.power, "ON");
        assert.equal(await retained(port, "plugs/plug2/states/power"), "OFF");
      });

      await t.step("the load knob from mosquitto_pub changes the measured watts", async () => {
        await mosquittoPub(port, "sim/plug1/load", "300");
        await waitFor(port, "plugs/plug1/states/watts", (p) => Math.abs(Number(p) - 300) < 15);
        await mosquittoPub(port, "sim/plug1/load", "1500");
        const watts = await waitFor(port, "plugs/plug1/states/watts", (p) => Number(p) > 1400);
        assert.ok(Number(watts) < 1600, `watts ${watts} for a 1500 W load`);
      });

      await t.step("a bad knob is answered on sim/<id>/errors (mosquitto_rr)", async () => {
        const answer = await run("mosquitto_rr", [
          "-h",
          HOST,
          "-p",
          String(port),
          "-W",
          "10",
          "-t",
          "sim/plug1/load",
          "-e",
          "sim/plug1/errors",
          "-m",
          "lots",
        ]);
        assert.equal(answer.code, 0, answer.stderr);
        const error = JSON.parse(answer.stdout);
        assert.equal(error.knob, "load");
        assert.match(error.error, /heater, kettle/);
      });

      await t.step("losing Wi-Fi: Mosquitto sends the last will, offline", async () => {
        await mosquittoPub(port, "sim/plug1/wifi", "DOWN");
        await waitFor(port, "plugs/plug1/availability", (p) => p === "offline");
        assert.equal(await retained(port, "plugs/plug1/availability"), "offline");
        assert.equal(await retained(port, "plugs/plug2/availability"), "online");
        await mosquittoPub(port, "sim/plug1/wifi", "UP");
        await waitFor(port, "plugs/plug1/availability", (p) => p === "online");
      });

      await t.step("a clean stop leaves every device retained offline", async () => {
        stopped = true;
        await sim.stop();
        for (const base of ["plugs/plug1", "plugs/plug2", "fans/fan1", "fans/fan2"]) {
          assert.equal(await retained(port, `${base}/availability`), "offline", base);
        }
      });
    } finally {
      if (!stopped) await sim.stop();
    }
  } finally {
    await broker.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});
