/**
 * A Mosquitto broker of one's own on a free loopback port, for tests and benchmarks that
 * talk to a real broker. Mosquitto and its clients are Debian packages (`apt-get install
 * mosquitto mosquitto-clients`; CI's `.ci/run` installs them).
 *
 * @module
 */

/** The address the broker listens on. */
export const MOSQUITTO_HOST = "127.0.0.1";

/** `mosquitto` lives in /usr/sbin on Debian, which a non-root PATH often lacks. */
export const MOSQUITTO_CANDIDATES: readonly string[] = [
  "mosquitto",
  "/usr/sbin/mosquitto",
  "/usr/local/sbin/mosquitto",
];

/** A running Mosquitto. */
export interface Mosquitto {
  /** Its port on {@linkcode MOSQUITTO_HOST}. */
  port: number;
  /** `mqtt://127.0.0.1:<port>`. */
  url: string;
  /** Stops it and removes its folder. */
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Tells whether a command can be started.
 *
 * @param command A program name or path.
 * @returns Whether running it with `--help` started it.
 * @example
 * ```ts
 * import { runs } from "./mosquitto.ts";
 * import assert from "node:assert/strict";
 * assert.equal(await runs("housegrid-no-such-program"), false);
 * ```
 */
export async function runs(command: string): Promise<boolean> {
  try {
    await new Deno.Command(command, { args: ["--help"], stdout: "null", stderr: "null" }).output();
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Finds the `mosquitto` binary.
 *
 * @returns The first of {@linkcode MOSQUITTO_CANDIDATES} that runs, or `null`.
 * @example
 * ```ts
 * import { findMosquitto } from "./mosquitto.ts";
 * const binary = await findMosquitto();
 * console.log(binary ?? "no mosquitto here");
 * ```
 */
export async function findMosquitto(): Promise<string | null> {
  for (const candidate of MOSQUITTO_CANDIDATES) {
    if (await runs(candidate)) return candidate;
  }
  return null;
}

const freePort = (): number => {
  const listener = Deno.listen({ hostname: MOSQUITTO_HOST, port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
};

/**
 * Starts Mosquitto on a free port. A port picked free can be taken before Mosquitto binds
 * it, so a start that fails is retried on another port. Ready means the broker answered
 * `mosquitto_sub` with its own retained version, so it is Mosquitto that listens.
 *
 * @param binary The `mosquitto` binary (see {@linkcode findMosquitto}).
 * @returns The running broker.
 * @throws When five starts failed, with each one's log.
 * @example
 * ```ts ignore
 * import { findMosquitto, startMosquitto } from "./mosquitto.ts";
 * const broker = await startMosquitto((await findMosquitto()) ?? "mosquitto");
 * console.log(broker.url);
 * await broker.stop();
 * ```
 */
export async function startMosquitto(binary: string): Promise<Mosquitto> {
  const failures: string[] = [];
  for (let attempt = 1; attempt <= 5; attempt++) {
    const dir = await Deno.makeTempDir({ prefix: "housegrid-mosquitto-" });
    const port = freePort();
    const config = `${dir}/mosquitto.conf`;
    await Deno.writeTextFile(
      config,
      [
        `listener ${port} ${MOSQUITTO_HOST}`,
        "allow_anonymous true",
        "persistence false",
        "log_dest stderr",
        "",
      ].join("\n"),
    );
    const child = new Deno.Command(binary, {
      args: ["-c", config],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // Reading the log all along keeps Mosquitto from blocking on a full pipe.
    const log = new Response(child.stderr).text();
    let exited = false;
    const status = child.status.then((s) => {
      exited = true;
      return s;
    });
    const stop = async (): Promise<void> => {
      if (!exited) child.kill("SIGTERM");
      await status;
      await log;
      await Deno.remove(dir, { recursive: true });
    };
    const deadline = performance.now() + 5000;
    while (!exited && performance.now() < deadline) {
      const probe = await new Deno.Command("mosquitto_sub", {
        args: ["-h", MOSQUITTO_HOST, "-p", String(port), "-W", "1"].concat(
          ["-t", "$SYS/broker/version", "-C", "1"],
        ),
        stdout: "piped",
        stderr: "null",
      }).output();
      if (
        probe.code === 0 && new TextDecoder().decode(probe.stdout).startsWith("mosquitto version")
      ) {
        return { port, url: `mqtt://${MOSQUITTO_HOST}:${port}`, stop };
      }
      await sleep(50);
    }
    await stop();
    failures.push(`attempt ${attempt} on port ${port}: ${(await log).trim().slice(-400)}`);
  }
  throw new Error(`mosquitto did not start:\n${failures.join("\n")}`);
}
