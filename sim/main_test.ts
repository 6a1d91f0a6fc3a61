/**
 * `deno task sim` as a user runs it: a subprocess of `deno run -A sim/main.ts ...`, judged
 * by its exit code, what it prints and what it serves.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { parseCommandLine } from "./cli.ts";
import { startSimulator } from "./main.ts";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("..", import.meta.url));

interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

async function runCli(args: string[]): Promise<Output> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** A running `deno task sim`, with what it printed at start-up. */
interface RunningSim {
  child: Deno.ChildProcess;
  /** The banner up to the last `mosquitto_*` line. */
  banner: string;
  /** Sends SIGTERM and returns the exit status and everything printed after the banner. */
  terminate(): Promise<{ status: Deno.CommandStatus; rest: string; stderr: string }>;
}

/** Starts the simulator and reads its banner; fails (and kills it) if no banner comes. */
async function startCli(args: string[], timeoutMs = 20000): Promise<RunningSim> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let banner = "";
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  // The banner ends with five "Try:" lines, the last a mosquitto_pub.
  while ((banner.match(/mosquitto_(pub|sub)/g) ?? []).length < 5) {
    const { value, done } = await reader.read();
    if (done) break;
    banner += value;
  }
  clearTimeout(timer);
  const terminate = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // Already gone: the status says how it ended.
    }
    let rest = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += value;
    }
    return { status: await child.status, rest, stderr: await stderr };
  };
  if ((banner.match(/mosquitto_(pub|sub)/g) ?? []).length < 5) {
    const ended = await terminate();
    assert.fail(`no start-up banner; stdout:\n${banner}${ended.rest}\nstderr:\n${ended.stderr}`);
  }
  return { child, banner, terminate };
}

const field = (banner: string, name: string): string => {
  const match = banner.match(new RegExp(`^\\s*${name}:\\s+(\\S+)`, "m"));
  assert.ok(match?.[1], `no "${name}:" line in:\n${banner}`);
  return match[1];
};

Deno.test("cli: --help exits 0 and prints usage", async () => {
  const result = await runCli(["--help"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^Usage: deno task sim \[options\]/m);
  assert.match(result.stdout, /--mqtt-port N/);
  assert.equal(result.stderr, "");
});

Deno.test("cli: scenario --help exits 0 and lists the scenarios", async () => {
  const result = await runCli(["scenario", "--help"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /Usage: deno task sim scenario <name>/);
  assert.match(result.stdout, /bathroom-day/);
});

Deno.test("cli: bad flags and values exit non-zero with a clear message", async () => {
  const cases: Array<[string[], RegExp]> = [
    [["--sped", "60"], /unknown option --sped; did you mean --speed\? \(try --help\)$/m],
    [["scenario", "kettle", "--otu", "x"], /unknown option --otu; did you mean --out\?/],
    [["--speed", "fast"], /--speed must be a positive number, got "fast"/],
    [["--mqtt-port", "70000"], /--mqtt-port must be between 0 and 65535/],
    [["--broker", "localhost"], /--broker must look like mqtt:\/\/host:port/],
    [["scenario", "nope"], /unknown scenario "nope"/],
    [["--secure", "--broker", "mqtt://127.0.0.1:1"], /--secure sets up credentials/],
  ];
  for (const [args, message] of cases) {
    const result = await runCli(args);
    assert.notEqual(result.code, 0, `${args.join(" ")} exited 0`);
    assert.match(result.stderr, /^housegrid sim: /, args.join(" "));
    assert.match(result.stderr, message, args.join(" "));
    assert.equal(result.stdout, "", args.join(" "));
  }
});

Deno.test("cli: starts, prints URLs and mosquitto lines, serves the fleet, stops on SIGTERM", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "housegrid-cli-" });
  const sim = await startCli(["--mqtt-port", "0", "--web-port", "0", "--data", dataDir]);
  let ended = false;
  try {
    const brokerUrl = field(sim.banner, "broker");
    const webUrl = field(sim.banner, "web");
    assert.match(brokerUrl, /^mqtt:\/\/127\.0\.0\.1:\d+$/);
    assert.match(webUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(field(sim.banner, "data"), dataDir);
    const port = new URL(brokerUrl).port;
    assert.match(sim.banner, new RegExp(`mosquitto_sub -h 127\\.0\\.0\\.1 -p ${port} -v -t '#'`));
    assert.match(
      sim.banner,
      new RegExp(`mosquitto_pub -h 127\\.0\\.0\\.1 -p ${port} -t 'plugs/plug1/commands/power'`),
    );

    const page = await fetch(webUrl);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /text\/html/);
    const html = await page.text();
    for (const id of ["plug1", "plug2", "fan1", "fan2"]) assert.ok(html.includes(id), id);

    const api = await fetch(`${webUrl}/api/devices`);
    assert.equal(api.status, 200);
    const devices: Array<{ id: string; kind: string }> = await api.json();
    assert.deepEqual(devices.map((d) => `${d.kind}/${d.id}`), [
      "plugs/plug1",
      "plugs/plug2",
      "fans/fan1",
      "fans/fan2",
    ]);
    const missing = await fetch(`${webUrl}/nope`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();

    ended = true;
    const end = await sim.terminate();
    assert.equal(end.status.code, 0, `exit ${end.status.code}; stderr:\n${end.stderr}`);
    assert.match(end.rest, /stopping/);
  } finally {
    if (!ended) await sim.terminate();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("cli: a web port in use is a clear error and exit 1", async () => {
  const blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const dataDir = await Deno.makeTempDir({ prefix: "housegrid-cli-" });
  try {
    const port = (blocker.addr as Deno.NetAddr).port;
    const result = await runCli([
      "--mqtt-port",
      "0",
      "--web-port",
      String(port),
      "--data",
      dataDir,
    ]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, new RegExp(`^housegrid sim: web port ${port} is in use`));
  } finally {
    blocker.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("startSimulator: a failed start stops the broker and devices it started", async () => {
  const blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const mqttPort = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const dataDir = await Deno.makeTempDir({ prefix: "housegrid-cli-" });
  try {
    const webPort = (blocker.addr as Deno.NetAddr).port;
    const options = parseCommandLine([
      ...["--mqtt-port", String(mqttPort), "--web-port", String(webPort), "--data", dataDir],
    ]);
    assert.equal(options.command, "run");
    if (options.command !== "run") return;
    await assert.rejects(startSimulator(options), /web port \d+ is in use/);
    // The broker's port is free again (and the test sanitizers see no leftover timers).
    Deno.listen({ hostname: "127.0.0.1", port: mqttPort }).close();
  } finally {
    blocker.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("cli: the default --mqtt-port 1883 falls back to a free port when taken", async () => {
  let blocker: Deno.Listener;
  try {
    blocker = Deno.listen({ hostname: "127.0.0.1", port: 1883 });
  } catch (error) {
    // Something on this machine already holds 1883 (a Mosquitto, another test). The test
    // cannot know it stays held for the whole run, so it skips this check rather than guess.
    if (error instanceof Deno.errors.AddrInUse) {
      console.log("skipped: port 1883 is in use by another program");
      return;
    }
    throw error;
  }
  const dataDir = await Deno.makeTempDir({ prefix: "housegrid-cli-" });
  try {
    const sim = await startCli(["--web-port", "0", "--data", dataDir]);
    // The banner is already read; stop first so a failed assertion leaves nothing running.
    const end = await sim.terminate();
    const port = Number(new URL(field(sim.banner, "broker")).port);
    assert.notEqual(port, 1883);
    assert.ok(port > 0);
    assert.match(sim.banner, /in-process aedes; port 1883 was in use/);
    assert.equal(end.status.code, 0, end.stderr);
  } finally {
    blocker.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
