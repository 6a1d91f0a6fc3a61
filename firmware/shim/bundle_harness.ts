/**
 * A test bench for firmware bundles in the shim: an in-process aedes broker, a virtual
 * clock, one device's Storage (holding its configuration) that outlives shim instances,
 * an observer subscribed to everything, and a controller to send commands. Virtual time
 * moves in small steps with a turn of the event loop between them, so broker traffic
 * flows while the firmware's timers run much faster than real time.
 *
 * @module
 */

import mqtt from "mqtt";
import { type BrokerHandle, startBroker } from "../../sim/broker.ts";
import { VirtualClock } from "../../sim/clock.ts";
import { EspruinoShim } from "./shim.ts";
import type { ShimHardwareOptions } from "./shim_hardware.ts";
import { ShimStorage } from "./shim_storage.ts";
import { BOOT_FILE } from "../web_update.ts";

/** A message the observer saw. */
export interface SeenMessage {
  /** Topic. */
  topic: string;
  /** Payload text. */
  payload: string;
  /** Whether it came as a retained message. */
  retain: boolean;
  /** Virtual time when it was seen. */
  atMs: number;
}

/** Options of {@linkcode startBundleHarness}. */
export interface BundleHarnessOptions {
  /** The bundle. */
  code: string;
  /** `housegrid.json`, without the broker (filled in). */
  config: Record<string, unknown>;
  /** What sits behind the pins; `pins` records every output level. */
  hardware?: (pins: Record<string, boolean>) => ShimHardwareOptions;
  /** Virtual start time (default 2026-01-15 09:00 UTC). */
  startMs?: number;
}

/** A running bench. */
export interface BundleHarness {
  /** The broker. */
  broker: BrokerHandle;
  /** The virtual clock. */
  clock: VirtualClock;
  /** The device's flash. */
  storage: ShimStorage;
  /** Everything the observer saw, in order. */
  messages: SeenMessage[];
  /** Output levels by pin name. */
  pins: Record<string, boolean>;
  /** The running shim (after `boot`). */
  shim: EspruinoShim | null;
  /** Powers up a new shim on the same Storage and runs the bundle. */
  boot(): EspruinoShim;
  /** Cuts the power. */
  kill(): Promise<void>;
  /** Advances virtual time in `stepMs` steps until `condition` holds (fails after 5 s of wall time). */
  drive(condition: () => boolean, what: string, stepMs?: number): Promise<void>;
  /** Advances virtual time by `ms`, letting traffic flow. */
  runFor(ms: number): Promise<void>;
  /** Messages seen on a topic since index `from`. */
  on(topic: string, from?: number): SeenMessage[];
  /** Sends a command from a controller. */
  send(topic: string, payload: string | Uint8Array, retain?: boolean): Promise<void>;
  /** Stops everything. */
  stop(): Promise<void>;
}

const wallDelay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts a bench.
 *
 * @param options Bundle, configuration and hardware.
 * @returns The bench; call `boot` to power the device up.
 */
export async function startBundleHarness(options: BundleHarnessOptions): Promise<BundleHarness> {
  const broker = await startBroker({ port: 0 });
  const clock = new VirtualClock({ startMs: options.startMs ?? Date.UTC(2026, 0, 15, 9) });
  const config = Object.assign({}, options.config, {
    mqtt: { host: "127.0.0.1", port: broker.port, keepaliveS: 60 },
  });
  // The bundle is stored as `deno task flash` stores it: it reads its lazy code from there.
  const storage = new ShimStorage({
    files: { "housegrid.json": JSON.stringify(config), [BOOT_FILE]: options.code },
  });
  const messages: SeenMessage[] = [];
  const observer = await mqtt.connectAsync(broker.url, {
    clientId: "observer",
    reconnectPeriod: 20,
  });
  observer.on("message", (topic, payload, packet) => {
    messages.push({
      topic,
      payload: payload.toString(),
      retain: packet.retain,
      atMs: clock.nowMs(),
    });
  });
  await observer.subscribeAsync("#");
  const controller = await mqtt.connectAsync(broker.url, {
    clientId: "controller",
    reconnectPeriod: 20,
  });
  const pins: Record<string, boolean> = {};
  const bench: BundleHarness = {
    broker,
    clock,
    storage,
    messages,
    pins,
    shim: null,
    boot() {
      const shim = new EspruinoShim({
        clock,
        storage,
        hardware: options.hardware?.(pins) ?? {
          digitalWrite: (pin, high) => (pins[pin] = high),
        },
      });
      bench.shim = shim;
      shim.run(storage.module().read(BOOT_FILE) ?? options.code);
      return shim;
    },
    async kill() {
      await bench.shim?.kill();
      bench.shim = null;
    },
    async drive(condition, what, stepMs = 100) {
      const deadline = Date.now() + 5000;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error("timed out waiting for " + what);
        clock.advanceBy(stepMs);
        await wallDelay(1);
      }
    },
    async runFor(ms) {
      const end = clock.nowMs() + ms;
      while (clock.nowMs() < end) {
        clock.advanceTo(Math.min(end, clock.nowMs() + 100));
        await wallDelay(1);
      }
    },
    on: (topic, from = 0) => messages.slice(from).filter((message) => message.topic === topic),
    async send(topic, payload, retain = false) {
      await controller.publishAsync(topic, payload as string, { qos: 1, retain });
    },
    async stop() {
      await bench.kill();
      await observer.endAsync(true);
      await controller.endAsync(true);
      await broker.stop();
    },
  };
  return bench;
}
