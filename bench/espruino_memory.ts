/**
 * Measures a firmware bundle's memory on a real Espruino interpreter (its Linux build),
 * the way firmware/MEMORY.md describes: the bundle and its page go into the interpreter's
 * emulated Storage, it boots against a Mosquitto of its own, and this script reads
 * `process.memory().usage` at idle and around every web request, checking each answer.
 *
 * The interpreter is not part of the project: build Espruino 2v29 for Linux yourself (see
 * firmware/MEMORY.md) and pass its path. The memory figures are the interpreter's variable
 * counts, not times, so they are the same on any machine for the same build. A chip's
 * figures need a 32-bit build with a fixed table of at most 2,047 variables: its variables
 * are then 12 bytes, as an ESP8266_4MB's 1,600 are (`process.memory().blocksize`); with
 * 2,048 to 4,095 they are 13 bytes, which store strings alike but place a typed array's
 * bytes only on every fourth variable.
 *
 * Run: `deno task build:firmware`, then
 * `deno run -A bench/espruino_memory.ts --espruino <espruino> [--writer <espruino>]
 * [--kind plug|fan] [--bundle dist/plug.js] [--no-hooks] [--variables N] [--least]
 * [--device-log FILE] [--no-web] [--dense] [--exact] [--build-crypto] [--json]`.
 *
 * - `--writer`: the binary that writes Storage (a 32-bit build with a fixed table of
 *   variables cannot hold the whole bundle as one string; the flash file is the same).
 * - `--no-hooks`: without the hooks that read memory inside requests (about 60 variables).
 * - `--build-crypto`: the bundle gets the Linux build's whole `crypto` module; by default
 *   it gets what an ESP8266_4MB's has, `SHA1` alone (a boot file wraps `require`, some 10
 *   variables), so a login hashes the way it does on the chip (`pbkdf2-sha1`).
 * - `--dense`: the hooks also read memory each time the bundle makes a lazy binding (see
 *   firmware/lazy_modules.ts), from the first telemetry on: many readings inside every
 *   task, not only at its writes, so a request's reading comes near its deepest moment.
 * - `--exact`: the peaks are the most variables alive at once, counted by the interpreter
 *   itself at every allocation (a measuring build that reads `ESPR_PEAK`: when the count
 *   with garbage passes the peak so far, it collects the garbage and counts again;
 *   `process.memory(true).peak` gives the peak and starts a new one). No hooks run in the
 *   device, so none of their variables are counted, and no moment is missed.
 * - `--variables N`: the device gets N variables (a measuring build that reads `ESPR_VARS`).
 * - `--least`: searches the fewest variables with which the whole run passes.
 * - `--no-web`: the MQTT part only, without the web requests.
 * - `--device-log FILE`: everything the interpreter printed.
 * - a bundle may call `__probe(label)` (a probe build): each call's reading is reported.
 *
 * @module
 */

import { parseArgs } from "node:util";
import mqtt from "mqtt";
import { findMosquitto, startMosquitto } from "../sim/mosquitto.ts";

/** What one run measured. */
export interface MemoryReport {
  /** `plug` or `fan`. */
  kind: string;
  /** Variables the interpreter had. */
  variables: number;
  /** Bundle bytes. */
  bundleBytes: number;
  /** `process.memory()` after boot, before anything else. */
  memory: Record<string, number>;
  /** Variables in use at idle after boot (lowest of three readings). */
  idle: number;
  /** Idle after the web requests. */
  idleAfter: number;
  /** Highest reading the hooks took, by phase (boot, telemetry, each request). */
  peaks: Record<string, number>;
  /** Highest reading of each `__probe` label. */
  probes: Record<string, number>;
  /** MQTT topics the device published. */
  topics: number;
  /** Every problem seen (a non-200 answer, an error line); empty when all went well. */
  problems: string[];
}

const HOST = "127.0.0.1";

// Bytes of one variable on an ESP8266_4MB (1,600 of them: 11-bit references).
const ESP8266_BLOCK_BYTES = 12;
const PASSWORD = "measure-pass-1";

// Reads memory at every request and before and after every response head, write and MQTT write
// (after: what the write queued is counted), keeping the highest;
// `__dense(maker)` adds a reading each time the bundle's lazy-binding maker runs.
const HOOKS = `var __pk=0,__pl={};
function __m(){var u=process.memory().usage;if(u>__pk)__pk=u;}
function __dense(k){var f=global[k];global[k]=function(v){__m();return f(v);};}
function __pp(){var p=__pk;__pk=0;return p;}
function __probe(l){var u=process.memory().usage;if(!(__pl[l]>=u))__pl[l]=u;if(u>__pk)__pk=u;}
(function(){var H=require("http"),N=require("net"),cs=H.createServer,cn=N.connect;
H.createServer=function(cb){return cs.call(H,function(q,s){__m();var w=s.write,e=s.end,h=s.writeHead;
s.writeHead=function(c,o){__m();h.call(s,c,o);__m();};s.write=function(d){__m();var r=w.call(s,d);__m();return r;};s.end=function(d){__m();e.call(s,d);__m();};
cb(q,s);});};
N.connect=function(o,c){var k=cn.call(N,o,c),w=k.write;k.write=function(d){__m();var r=w.call(k,d);__m();return r;};return k;};
})();
`;

// An ESP8266_4MB's `crypto` has SHA1 alone (no SHA256, no PBKDF2): the Linux build's
// module is cut down to that, so the chip's hashing path is the one measured.
const CHIP_CRYPTO = `(function(){var r=require;global.require=function(m){var x=r(m);
return m==="crypto"?{SHA1:x.SHA1}:x;};})();
`;

const freePort = (): number => {
  const listener = Deno.listen({ hostname: HOST, port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Writes Storage with one run of the writer: the configuration, the page, the bundle.
const writeStorage = async (
  writer: string,
  dir: string,
  files: Record<string, string>,
): Promise<void> => {
  const lines = Object.entries(files).map(([name, path]) =>
    `require("Storage").write(${JSON.stringify(name)}, require("fs").readFileSync(${
      JSON.stringify(path)
    }));`
  );
  const output = await new Deno.Command(writer, {
    args: ["-e", lines.join("") + "print('STORED', require('Storage').list());"],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  if (text.indexOf("STORED") < 0) throw new Error("writing Storage failed:\n" + text);
};

/** A running interpreter fed lines on stdin. */
class Interpreter {
  readonly lines: string[] = [];
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #child: Deno.ChildProcess;

  readonly #exact: boolean;

  constructor(binary: string, dir: string, variables: number, exact: boolean) {
    const env: Record<string, string> = {};
    // Read by a measuring build that can run with fewer variables than it was built for,
    // and that can count the most variables alive at once.
    if (variables > 0) env["ESPR_VARS"] = String(variables);
    if (exact) env["ESPR_PEAK"] = "1";
    this.#exact = exact;
    this.#child = new Deno.Command(binary, {
      cwd: dir,
      env,
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    this.#read();
  }

  async #read(): Promise<void> {
    let rest = "";
    const decoder = new TextDecoder();
    for await (const chunk of this.#child.stdout) {
      rest += decoder.decode(chunk, { stream: true });
      const parts = rest.split("\n");
      rest = parts.pop() ?? "";
      for (const line of parts) this.lines.push(line.replace(/\r$/, ""));
    }
  }

  /** Runs `code` at the REPL and waits for the line it prints after `tag`. */
  async ask(tag: string, code: string): Promise<string> {
    // The REPL keeps what is typed at it; a device nobody types at does not.
    await this.#line(tag, 'delete global["\\xFF"].history', true);
    return await this.#line(tag, code, false);
  }

  // One line of at most 64 bytes: the Linux build stops (an assertion) on more input than
  // that read at once, and the line before has been answered, so none waits in the pipe.
  // A line now and then goes unanswered on the Linux build (seen once in some 30 runs, with
  // memory to spare): it is sent once more before the run counts as failed.
  async #line(tag: string, code: string, statement: boolean, retried = false): Promise<string> {
    const marker = "@" + Math.random().toString(36).slice(2, 6);
    const text = statement ? `${code};print("${marker}")\n` : `print("${marker}",${code})\n`;
    if (text.length > 64) throw new Error("a REPL line longer than 64 bytes: " + text);
    const from = this.lines.length;
    try {
      await this.#writer.write(new TextEncoder().encode(text));
    } catch (_error) {
      throw new Error("the interpreter stopped:\n" + this.lines.slice(-60).join("\n"));
    }
    for (let i = 0; i < 400; i++) {
      // Prompts and cursor codes may come first on the line.
      const line = this.lines.slice(from).find((line) => line.indexOf(marker) >= 0);
      if (line !== undefined) return line.slice(line.indexOf(marker) + marker.length + 1);
      await sleep(25);
    }
    if (!retried) return await this.#line(tag, code, statement, true);
    throw new Error(`no answer to ${tag}:\n` + this.lines.slice(-60).join("\n"));
  }

  async usage(): Promise<number> {
    return Number(await this.ask("mem", "process.memory().usage"));
  }

  /** The highest reading (or the exact peak) since the last call, then starts again. */
  async peak(): Promise<number> {
    return Number(await this.ask("peak", this.#exact ? "process.memory(true).peak" : "__pp()"));
  }

  async stop(): Promise<void> {
    try {
      // The Linux build ignores SIGTERM.
      this.#child.kill("SIGKILL");
      await this.#child.status;
    } catch (_error) {
      // already gone
    }
  }
}

/** The cookie and CSRF token of a logged-in page. */
interface Session {
  cookie: string;
  csrf: string;
}

const request = async (
  base: string,
  path: string,
  session: Session | null,
  body?: unknown,
): Promise<{ status: number; text: string; cookie: string }> => {
  const headers: Record<string, string> = {};
  if (session !== null) {
    headers["cookie"] = session.cookie;
    headers["x-csrf-token"] = session.csrf;
  }
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(base + path, {
    method: body === undefined ? "GET" : "POST",
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15000),
  });
  const text = await response.text();
  const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  return { status: response.status, text, cookie };
};

/** What {@linkcode measureBundle} runs. */
export interface MeasureOptions {
  /** The interpreter that runs the device. */
  espruino: string;
  /** The interpreter that writes its Storage (see the module's notes). */
  writer: string;
  /** Device kind. */
  kind: "plug" | "fan";
  /** The bundle. */
  bundle: string;
  /** The gzipped page. */
  page: string;
  /** Whether the hooks read memory inside requests (they cost about 60 variables). */
  hooks: boolean;
  /** Variables the device gets (a measuring build's `ESPR_VARS`); 0 for the build's own. */
  variables: number;
  /** A file that gets everything the interpreter printed. */
  deviceLog?: string;
  /** Whether the web requests run (default true); without them, MQTT only. */
  web?: boolean;
  /** Whether the hooks also read memory at every lazy binding made (see `--dense`). */
  dense?: boolean;
  /** Whether the interpreter counts the exact peaks (see `--exact`; no hooks then). */
  exact?: boolean;
  /** Whether the bundle gets the build's whole `crypto` (default: SHA1 alone, as a chip). */
  buildCrypto?: boolean;
}

/**
 * The name of a bundle's lazy-binding maker (flash_bindings.ts:
 * `function $f(v){return $hg(v,0)||eval($hg(v,1))}`), or null for a bundle without one.
 *
 * @param bundle The bundle's text.
 * @returns The maker's global name.
 * @example
 * ```ts
 * import { lazyMakerName } from "./espruino_memory.ts";
 * import assert from "node:assert/strict";
 * assert.equal(lazyMakerName("function $f(_){return $hg(_,0)||eval($hg(_,1))}"), "$f");
 * assert.equal(lazyMakerName("print(1)"), null);
 * ```
 */
export function lazyMakerName(bundle: string): string | null {
  const found = /function (\$[\w$]*)\(([\w$]+)\)\{return \$[\w$]*\(\2,0\)\|\|/.exec(bundle);
  return found === null ? null : found[1] as string;
}

/**
 * Boots one bundle on the interpreter and measures it.
 *
 * @param options Binaries, kind and bundle.
 * @returns The figures.
 */
export async function measureBundle(options: MeasureOptions): Promise<MemoryReport> {
  const dir = await Deno.makeTempDir({ prefix: "hg-espruino-" });
  const broker = await startMosquitto((await findMosquitto()) ?? "mosquitto");
  const webPort = freePort();
  const id = options.kind === "plug" ? "p1" : "f1";
  const base = (options.kind === "plug" ? "plugs/" : "fans/") + id;
  const config = {
    kind: options.kind,
    id,
    wifi: { ntp: "" },
    mqtt: { host: HOST, port: broker.port },
    web: { port: webPort },
  };
  await Deno.writeTextFile(dir + "/config.json", JSON.stringify(config));
  const files: Record<string, string> = {
    "housegrid.json": dir + "/config.json",
    "hg.page.gz": await Deno.realPath(options.page),
    ".bootcde": await Deno.realPath(options.bundle),
  };
  const exact = options.exact === true;
  if (options.hooks && !exact) {
    await Deno.writeTextFile(dir + "/hooks.js", HOOKS);
    files[".boot0"] = dir + "/hooks.js";
  }
  if (!options.buildCrypto) {
    await Deno.writeTextFile(dir + "/crypto.js", CHIP_CRYPTO);
    files[".boot1"] = dir + "/crypto.js";
  }
  await writeStorage(options.writer, dir, files);

  const seen: Array<{ topic: string; payload: string }> = [];
  const observer = mqtt.connect(`mqtt://${HOST}:${broker.port}`, { reconnectPeriod: 0 });
  await new Promise<void>((resolve) => observer.on("connect", () => resolve()));
  observer.subscribe(base + "/#");
  observer.subscribe("homeassistant/#");
  observer.on("message", (topic, payload) => seen.push({ topic, payload: payload.toString() }));
  const topics = () => new Set(seen.map((message) => message.topic));

  const problems: string[] = [];
  const peaks: Record<string, number> = {};
  const device = new Interpreter(options.espruino, dir, options.variables, exact);
  // The highest reading (or exact peak) since the last one; none without hooks or --exact.
  const peak = async (label: string) => {
    if (options.hooks || exact) peaks[label] = await device.peak();
  };
  try {
    await device.ask("echo", "echo(0)");
    for (let i = 0; i < 100 && !topics().has(base + "/availability"); i++) await sleep(100);
    await sleep(12000); // discovery and the first states go out
    const memory = JSON.parse(await device.ask("memory", "JSON.stringify(process.memory())"));
    if (exact && typeof memory.peak !== "number") {
      throw new Error("--exact needs a measuring build that counts peaks (ESPR_PEAK)");
    }
    const idleNow = async (): Promise<number> => {
      let lowest = Infinity;
      for (let i = 0; i < 3; i++) {
        lowest = Math.min(lowest, await device.usage());
        await sleep(700);
      }
      return lowest;
    };
    const idle = await idleNow();
    await peak("boot");
    if (options.hooks && options.dense && !exact) {
      const maker = lazyMakerName(await Deno.readTextFile(options.bundle));
      if (maker === null) throw new Error("--dense: the bundle has no lazy-binding maker");
      await device.ask("dense", `__dense(${JSON.stringify(maker)})`);
    }
    observer.publish(base + "/commands/telemetry", "10");
    await sleep(25000);
    await peak("telemetry");
    const web = `http://${HOST}:${webPort}/devices/${id}/`;
    let session: Session | null = null;
    const step = async (label: string, path: string, body?: unknown, keep = false) => {
      await sleep(300);
      await peak("before " + label);
      delete peaks["before " + label];
      try {
        const answer = await request(web, path, session, body);
        if (answer.status !== 200) {
          problems.push(`${label}: ${answer.status} ${answer.text.slice(0, 200)}`);
        } else if (keep) session = { cookie: answer.cookie, csrf: JSON.parse(answer.text).csrf };
      } catch (error) {
        problems.push(`${label}: ${error}`);
      }
      await sleep(300);
      await peak(label);
    };
    if (options.web !== false) {
      await step("GET page", "");
      await step("GET api/session", "api/session");
      await step("POST api/setup", "api/setup", { password: PASSWORD }, true);
      await step("GET api/state", "api/state");
      await step("GET api/history", "api/history");
      await step("GET api/settings", "api/settings");
      if (options.kind === "plug") await step("POST api/relay", "api/relay", { action: "on" });
      else await step("POST api/fan", "api/fan", { power: "on" });
      const change = options.kind === "plug" ? { max_power: 2500 } : { hum_on: 75 };
      await step("POST api/settings", "api/settings", change);
      await step("POST api/login", "api/login", { password: PASSWORD }, true);
    }
    // The device still obeys MQTT: switched (the page switched it on), it says so.
    const wanted = options.web === false ? "ON" : "OFF";
    const before = seen.length;
    observer.publish(base + "/commands/power", wanted);
    // The last word on it (a fan may be on already, purging after its start); a slow
    // measuring build (--exact) may take some seconds.
    const said = () =>
      seen.slice(before).filter((message) => message.topic === base + "/states/power").pop();
    for (let i = 0; i < 30 && said()?.payload !== wanted; i++) await sleep(500);
    await sleep(1000);
    await peak("MQTT command");
    if (said()?.payload !== wanted) problems.push(`MQTT power ${wanted}: not on states/power`);
    const idleAfter = await idleNow();
    const probes = options.hooks && !exact
      ? JSON.parse(await device.ask("probes", "JSON.stringify(__pl)")) as Record<string, number>
      : {};
    const flags = await device.ask("flags", "E.getErrorFlags().join()");
    // LOW_MEMORY only says a garbage collection was needed; MEMORY that one did not help.
    if (flags.split(",").indexOf("MEMORY") >= 0) {
      problems.push("out of memory (" + flags + ")");
    }
    for (const line of device.lines) {
      if (/error|uncaught|out of memory|interrupted/i.test(line)) problems.push("device: " + line);
    }
    return {
      kind: options.kind,
      variables: memory.total,
      bundleBytes: (await Deno.stat(options.bundle)).size,
      memory,
      idle,
      idleAfter,
      peaks,
      probes,
      topics: topics().size,
      problems,
    };
  } finally {
    if (options.deviceLog !== undefined) {
      await Deno.writeTextFile(options.deviceLog, device.lines.join("\n") + "\n");
    }
    await device.stop();
    observer.end(true);
    await broker.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * The fewest variables (to `step`) with which the whole run still passes: every answer right,
 * every topic of a run with the build's own variables published, no memory error. It needs a
 * measuring build that reads `ESPR_VARS`; the hooks are off, so this is what a chip needs.
 *
 * @param options As for {@linkcode measureBundle} (`hooks` and `variables` are set here).
 * @param step Resolution of the search.
 * @param report Called with each run's figures.
 * @returns The fewest variables that passed.
 */
export async function leastVariables(
  options: MeasureOptions,
  step: number,
  report: (run: MemoryReport) => void,
): Promise<number> {
  const reference = await measureBundle({ ...options, hooks: false, variables: 0 });
  report(reference);
  if (reference.problems.length > 0) throw new Error("the run fails with all variables");
  let fails = reference.idle;
  let passes = reference.variables;
  while (passes - fails > step) {
    const variables = Math.round((fails + passes) / 2 / step) * step;
    if (variables <= fails || variables >= passes) break;
    let run: MemoryReport;
    try {
      run = await measureBundle({ ...options, hooks: false, variables });
    } catch (error) {
      // Out of memory, Espruino may stop or stop answering.
      run = { ...reference, variables, problems: [String(error).split("\n")[0] ?? ""] };
    }
    if (run.topics < reference.topics) run.problems.push(`${run.topics} topics`);
    report(run);
    if (run.problems.length === 0) passes = variables;
    else fails = variables;
  }
  return passes;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      espruino: { type: "string", default: Deno.env.get("HOUSEGRID_ESPRUINO") ?? "" },
      writer: { type: "string" },
      kind: { type: "string", default: "plug" },
      bundle: { type: "string" },
      page: { type: "string", default: "dist/page.html.gz" },
      "no-hooks": { type: "boolean", default: false },
      variables: { type: "string", default: "0" },
      least: { type: "boolean", default: false },
      "device-log": { type: "string" },
      "no-web": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      dense: { type: "boolean", default: false },
      exact: { type: "boolean", default: false },
      "build-crypto": { type: "boolean", default: false },
    },
  });
  if (values.espruino === "") {
    console.error("--espruino <path of Espruino's Linux binary> is required");
    Deno.exit(2);
  }
  if (values.kind !== "plug" && values.kind !== "fan") {
    console.error("--kind must be plug or fan");
    Deno.exit(2);
  }
  const options: MeasureOptions = {
    espruino: values.espruino,
    writer: values.writer ?? values.espruino,
    kind: values.kind,
    bundle: values.bundle ?? `dist/${values.kind}.js`,
    page: values.page,
    hooks: !values["no-hooks"],
    variables: parseInt(values.variables, 10),
    deviceLog: values["device-log"],
    web: !values["no-web"],
    dense: values.dense,
    exact: values.exact,
    buildCrypto: values["build-crypto"],
  };
  const show = (report: MemoryReport): void => {
    if (values.json) {
      console.log(JSON.stringify(report));
      return;
    }
    console.log(
      `${report.kind} in ${report.variables} variables: ${report.bundleBytes} B, ` +
        `${report.topics} topics, idle ${report.idle}, after the requests ${report.idleAfter}`,
    );
    const blockBytes = report.memory.blocksize;
    if (blockBytes !== undefined && blockBytes !== ESP8266_BLOCK_BYTES) {
      console.log(`  NOTE ${blockBytes}-byte variables here, ${ESP8266_BLOCK_BYTES} on an ESP8266`);
    }
    for (const [label, peak] of Object.entries(report.peaks)) console.log(`  ${label}: ${peak}`);
    for (const [label, peak] of Object.entries(report.probes)) {
      console.log(`  probe ${label}: ${peak}`);
    }
    for (const problem of report.problems) console.log("  PROBLEM " + problem);
  };
  if (values.least) {
    console.log(`${values.kind} runs in ${await leastVariables(options, 25, show)} variables`);
  } else show(await measureBundle(options));
}
