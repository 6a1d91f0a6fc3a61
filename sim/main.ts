/**
 * `deno task sim`: the simulator's entry point.
 *
 * @module
 */

import { loadBundles } from "../firmware/shim/bundles.ts";
import { type BrokerAccount, type BrokerHandle, startBroker } from "./broker.ts";
import { parseCommandLine, type RunOptions } from "./cli.ts";
import { startRealtime, VirtualClock } from "./clock.ts";
import {
  DEFAULT_FLEET,
  type DeviceSpec,
  fleetFromCounts,
  type KnobListener,
  listenForKnobs,
  parseFleetFile,
  startFleet,
} from "./fleet.ts";
import { serveWeb, type WebServer } from "./web_server.ts";

/** A running simulator. */
export interface Simulator {
  /** The broker URL devices use. */
  readonly brokerUrl: string;
  /** The web server's URL. */
  readonly webUrl: string;
  /** Stops everything. */
  stop(): Promise<void>;
}

async function chooseDevices(options: RunOptions): Promise<DeviceSpec[]> {
  if (options.fleetFile !== null) {
    const parsed = parseFleetFile(await Deno.readTextFile(options.fleetFile));
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.value;
  }
  if (options.plugs !== null || options.fans !== null) {
    return fleetFromCounts(options.plugs ?? 0, options.fans ?? 0, options.idOffset);
  }
  return DEFAULT_FLEET;
}

function randomPassword(): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(12)),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

/**
 * Starts broker (unless external), fleet, knob listener, web server and the clock.
 *
 * @param options Parsed command line.
 * @returns The running simulator.
 */
export async function startSimulator(options: RunOptions): Promise<Simulator> {
  const devices = await chooseDevices(options);
  // --firmware: the devices run dist/plug.js and dist/fan.js in the Espruino shim.
  const bundles = options.firmware ? await loadBundles({ log: (text) => console.log(text) }) : null;
  const passwords = new Map<string, string>();
  let controller: { username: string; password: string } | undefined;
  let broker: BrokerHandle | null = null;
  let brokerUrl = options.brokerUrl;
  if (brokerUrl === null) {
    const accounts: BrokerAccount[] = [];
    if (options.secure) {
      controller = { username: "controller", password: randomPassword() };
      accounts.push({ role: "controller", ...controller });
      for (const device of devices) {
        const password = randomPassword();
        passwords.set(device.id, password);
        accounts.push({
          role: "device",
          username: device.id,
          password,
          kind: device.kind,
          id: device.id,
        });
      }
      await Deno.mkdir(options.dataDir, { recursive: true });
      const file = `${options.dataDir}/credentials.json`;
      await Deno.writeTextFile(
        file,
        JSON.stringify({ controller, devices: Object.fromEntries(passwords) }, null, 2),
        { mode: 0o600 },
      );
      // `mode` only applies when the file is created; an older file keeps its permissions.
      if (Deno.build.os !== "windows") await Deno.chmod(file, 0o600);
    }
    broker = await startBroker({
      host: options.host,
      port: options.mqttPort,
      fallbackToFreePort: true,
      auth: options.secure ? { accounts, prefix: options.prefix } : undefined,
    });
    brokerUrl = broker.url;
  } else if (options.brokerUsername !== null) {
    controller = { username: options.brokerUsername, password: options.brokerPassword ?? "" };
  }
  const clock = new VirtualClock({ startMs: Date.now() });
  const fleet = startFleet({
    devices,
    clock,
    prefix: options.prefix,
    dataDir: options.dataDir,
    seed: options.seed,
    brokerUrl,
    // Native devices reach our own broker in-process (no sockets); an external one over TCP.
    openStream: broker === null ? null : broker.openStream,
    credentials: (id) => {
      const password = passwords.get(id);
      if (password !== undefined) return { username: id, password };
      return options.brokerUsername === null
        ? undefined
        : { username: options.brokerUsername, password: options.brokerPassword ?? "" };
    },
    firmware: bundles,
    firmwareLog: (id, line) => console.log(`[${id}] ${line}`),
  });
  // Whatever started is stopped again when a later part fails, so a caller that catches
  // the error is not left with a broker or devices running.
  const undo: Array<() => Promise<void>> = [() => fleet.stop()];
  if (broker !== null) undo.push(() => broker.stop());
  const rollBack = async (): Promise<void> => {
    for (const step of undo) await step().catch(() => {});
  };
  let knobs: KnobListener;
  try {
    knobs = await listenForKnobs(fleet, brokerUrl, options.prefix, controller);
  } catch (error) {
    await rollBack();
    throw new Error(`cannot reach the broker at ${brokerUrl}: ${messageOf(error)}`);
  }
  undo.unshift(() => knobs.close());
  let web: WebServer;
  try {
    web = serveWeb({
      fleet,
      clock,
      host: options.host,
      port: options.webPort,
      dataDir: options.dataDir,
    });
  } catch (error) {
    await rollBack();
    if (error instanceof Deno.errors.AddrInUse) {
      throw new Error(
        `web port ${options.webPort} is in use: choose another with --web-port N (0 picks a free one)`,
      );
    }
    throw error;
  }
  const realtime = startRealtime(clock, options.speed);
  return {
    brokerUrl,
    webUrl: web.url,
    async stop() {
      realtime.stop();
      await knobs.close();
      await fleet.stop();
      await web.shutdown();
      await broker?.stop();
    },
  };
}

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

function tryLines(brokerUrl: string, prefix: string, secure: boolean): string {
  const { hostname, port } = new URL(brokerUrl);
  const auth = secure ? " -u controller -P <see credentials.json>" : "";
  const at = `-h ${hostname} -p ${port}${auth}`;
  return [
    `  mosquitto_sub ${at} -v -t '${prefix}#'`,
    `  mosquitto_pub ${at} -t '${prefix}plugs/plug1/commands/power' -m TOGGLE`,
    `  mosquitto_pub ${at} -t '${prefix}sim/plug1/load' -m kettle`,
    `  mosquitto_pub ${at} -t '${prefix}sim/fan1/shower' -m 600`,
    `  mosquitto_pub ${at} -t '${prefix}fans/fan1/commands/hum_on' -m 75`,
  ].join("\n");
}

if (import.meta.main) {
  const request = parseCommandLine(Deno.args);
  if (request.command === "help") {
    console.log(request.text);
    Deno.exit(0);
  }
  if (request.command === "error") {
    console.error(`housegrid sim: ${request.message}`);
    Deno.exit(2);
  }
  if (request.command === "scenario") {
    const { runScenarioCommand } = await import("./scenario_cli.ts");
    Deno.exit(await runScenarioCommand(request));
  }
  if (request.command === "run") {
    // Signals are handled before anything is printed: a script that waits for the banner
    // and then stops the simulator must get a clean stop, not a killed process.
    let starting: Promise<Simulator> | null = null;
    let stopping = false;
    const stop = async (): Promise<void> => {
      if (stopping) Deno.exit(130); // a second Ctrl-C: do not wait for a clean stop
      stopping = true;
      console.log("stopping...");
      try {
        await (await starting)?.stop();
      } catch {
        // A failed start already reported itself and exits with 1.
        return;
      }
      Deno.exit(0);
    };
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
    try {
      starting = startSimulator(request);
      const sim = await starting;
      if (stopping) await new Promise(() => {}); // stop() exits once the start has finished
      console.log(`housegrid simulator running (virtual time x${request.speed})`);
      const port = Number(new URL(sim.brokerUrl).port);
      const fellBack = request.mqttPort !== 0 && port !== request.mqttPort;
      const where = request.brokerUrl !== null
        ? ""
        : ` (in-process aedes${fellBack ? `; port ${request.mqttPort} was in use` : ""})`;
      console.log(`  broker: ${sim.brokerUrl}${where}`);
      console.log(`  web:    ${sim.webUrl}`);
      console.log(`  data:   ${request.dataDir}`);
      if (request.firmware) {
        console.log("  devices: dist/plug.js and dist/fan.js in the Espruino shim");
      }
      console.log(`Try:\n${tryLines(sim.brokerUrl, request.prefix, request.secure)}`);
    } catch (error) {
      console.error(`housegrid sim: ${messageOf(error)}`);
      Deno.exit(1);
    }
  }
}
