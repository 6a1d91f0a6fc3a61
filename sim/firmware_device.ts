/**
 * A simulated device that runs a built firmware bundle (`dist/plug.js`, `dist/fan.js`)
 * in the Espruino shim instead of the library natively (`deno task sim --firmware`).
 * Its public surface is the one of {@linkcode SimDevice} the fleet, the knob listener
 * and the web server use: `start`, `stop`, `knob`, `command`, `view`, `onChange`,
 * `connected`, `powered`, `wifi`, `kind`, `id`, `base`.
 *
 * The hardware around the chip is the native simulator's: a never-started `SimPlug` or
 * `SimFan` holds the load or the room and the Wi-Fi model, and its knob handlers do the
 * work, so `load`, `humidity`, `temperature`, `shower` and `sensor` mean the same in
 * both modes. The relay or the speed outputs follow the pins the bundle drives; the ADC
 * and the BME280 read the load and the duct air (`firmware_hardware.ts`). `reboot`,
 * `power_cut` and the end of a cut power the shim off and boot a new one on the same
 * Storage, so settings, energy and the relay survive as on the chip. Like the chip's
 * flash task, every construction stores the configuration and the bundle (`.bootcde`).
 *
 * What the device does is learned from its MQTT traffic (`bundle_traffic.ts`): whether
 * the session is up, what it publishes (and the `<base>/state` snapshot that `view()`
 * shows). A command from the web page is handed to the bundle as an MQTT message.
 *
 * @module
 */

import { commandErrorReason } from "../lib/protocol.ts";
import type { KeyValueStore } from "../lib/ports.ts";
import { baseTopic, type DeviceKind } from "../lib/topics.ts";
import type { Bme280Emulator } from "../firmware/shim/shim_bme280.ts";
import type { ShimHardwareOptions } from "../firmware/shim/shim_hardware.ts";
import { EspruinoShim } from "../firmware/shim/shim.ts";
import { ShimStorage } from "../firmware/shim/shim_storage.ts";
import { BundleTraffic } from "./bundle_traffic.ts";
import type { VirtualClock } from "./clock.ts";
import { SimFan } from "./fan.ts";
import { fanPins, type FirmwareBroker, firmwareConfig, plugPins } from "./firmware_hardware.ts";
import type { LoadModel } from "./loads.ts";
import { encodePublish } from "./mqtt_frames.ts";
import { memoryLink, type RecordedMessage } from "./mqtt_link.ts";
import { PowerKnobs } from "./power_knobs.ts";
import type { Activity } from "./occupancy.ts";
import { SimPlug } from "./plug.ts";
import type { SimWifi } from "./wifi.ts";

/** Options of a {@linkcode FirmwareDevice}. */
export interface FirmwareDeviceOptions {
  /** `plugs` or `fans`. */
  kind: DeviceKind;
  /** Device id. */
  id: string;
  /** Topic prefix. */
  prefix: string;
  /** The shared virtual clock. */
  clock: VirtualClock;
  /** The bundle to flash. */
  code: string;
  /** Other Storage files to flash with it (name to binary contents), e.g. the device page. */
  files?: Record<string, string>;
  /** The broker. */
  broker: FirmwareBroker;
  /** The device's flash (default in memory); keep it to boot the same device again. */
  storage?: ShimStorage;
  /** A plug's load. */
  load?: LoadModel;
  /** A fan's room. */
  room?: "bathroom" | "toilet";
  /** A fan's showers or visits. */
  activities?: Activity[];
  /** Where the bundle's web server really listens. */
  http?: { host?: string; portFor?: (devicePort: number) => number };
  /** Each line the bundle prints. */
  onPrint?: (line: string) => void;
  /** Keep a trace of what the bundle publishes. */
  trace?: boolean;
}

const memoryStore = (): KeyValueStore => {
  const values: Record<string, string> = {};
  return {
    read: (key) => values[key] ?? null,
    write: (key, value) => {
      values[key] = value;
    },
  };
};

/** A device running a firmware bundle in the shim. */
export class FirmwareDevice {
  /** `plugs` or `fans`. */
  readonly kind: DeviceKind;
  /** Device id. */
  readonly id: string;
  /** Topic prefix. */
  readonly prefix: string;
  /** The device's flash. */
  readonly storage: ShimStorage;
  /** The hardware around the chip (never started itself). */
  readonly env: SimPlug | SimFan;
  /** Whether the device has power. */
  powered = false;
  /** How many times it booted. */
  boots = 0;
  #options: FirmwareDeviceOptions;
  #shim: EspruinoShim | null = null;
  #stopping: Promise<void> = Promise.resolve();
  #bme: Bme280Emulator | null = null;
  #watch: BundleTraffic;
  #listeners: Array<() => void> = [];
  #powerKnobs: PowerKnobs;

  /**
   * Makes the device and flashes it (configuration and bundle); `start` powers it up.
   *
   * @param options Kind, id, clock, bundle, broker, storage and hardware.
   */
  constructor(options: FirmwareDeviceOptions) {
    this.#options = options;
    this.#powerKnobs = new PowerKnobs(options.clock, this);
    this.kind = options.kind;
    this.id = options.id;
    this.prefix = options.prefix;
    this.#watch = new BundleTraffic({
      snapshotTopic: baseTopic(options.prefix, options.kind, options.id) + "/state",
      trace: options.trace === true,
      onChange: () => this.#changed(),
    });
    this.storage = options.storage ?? new ShimStorage();
    const env = { id: options.id, prefix: options.prefix, clock: options.clock };
    const unused = { link: () => memoryLink(), store: memoryStore() };
    this.env = options.kind === "plugs"
      ? new SimPlug(Object.assign(env, unused, { load: options.load }))
      : new SimFan(Object.assign(env, unused, {
        room: options.room,
        activities: options.activities,
      }));
    const flash = this.storage.module();
    flash.writeJSON(
      "housegrid.json",
      firmwareConfig(options.kind, options.id, options.prefix, options.broker),
    );
    flash.write(".bootcde", options.code);
    for (const [name, contents] of Object.entries(options.files ?? {})) flash.write(name, contents);
  }

  /** The device's base topic. */
  get base(): string {
    return baseTopic(this.prefix, this.kind, this.id);
  }

  /** Whether the bundle's MQTT session is up (a CONNACK seen on its live connection). */
  get connected(): boolean {
    return this.#watch.connected;
  }

  /** Everything the bundle published while tracing, in order. */
  get trace(): RecordedMessage[] | null {
    return this.#watch.trace;
  }

  /** PUBLISH packets the bundle sent, over all its connections. */
  get sentCount(): number {
    return this.#watch.sent;
  }

  /** PUBLISH packets the bundle received from the broker. */
  get receivedCount(): number {
    return this.#watch.received;
  }

  /** The Wi-Fi model. */
  get wifi(): SimWifi {
    return this.env.wifi;
  }

  /** The running shim (`null` without power). */
  get shim(): EspruinoShim | null {
    return this.#shim;
  }

  /**
   * Powers up: a new shim runs the bundle saved in Storage (`.bootcde`).
   *
   * @param file A Storage file to run instead, once (the bundle's `load(file)`).
   */
  start(file?: string): void {
    if (this.powered) return;
    this.powered = true;
    this.boots++;
    const clock = this.#options.clock;
    const env = this.env;
    let hardware: ShimHardwareOptions;
    if (env instanceof SimPlug) hardware = plugPins(env, clock);
    else {
      const wired = fanPins(env, clock);
      this.#bme = wired.bme;
      hardware = wired.hardware;
    }
    const shim = new EspruinoShim({
      clock,
      storage: this.storage,
      wifi: env.wifi,
      hardware,
      http: this.#options.http,
      onPrint: this.#options.onPrint,
      onTraffic: (traffic) => this.#watch.see(traffic),
      onReboot: (file) => {
        if (this.#shim !== shim) return;
        this.powerOff();
        this.start(file);
      },
    });
    this.#shim = shim;
    const flash = this.storage.module();
    const code = file === undefined ? undefined : flash.read(file);
    if (code !== undefined) shim.run(code, file);
    else shim.run(flash.read(".bootcde") ?? this.#options.code);
    // The bundle's own web server listens on a free port: say where.
    shim.http.listening().then(() => {
      for (const server of shim.http.servers()) {
        this.#options.onPrint?.(`[shim] web server (port ${server.devicePort}) at ${server.url}`);
      }
    }, (error) => this.#options.onPrint?.(`[shim] web server failed: ${error}`));
  }

  /** Cuts power: connections die (the broker sends the last will), outputs fall off. */
  powerOff(): void {
    if (!this.powered) return;
    this.powered = false;
    const shim = this.#shim;
    this.#shim = null;
    if (shim !== null) this.#stopping = shim.kill();
    this.#watch.reset();
    const env = this.env;
    if (env instanceof SimPlug) env.relayOn = false;
    else {
      env.advanceRoom();
      env.speed = 0;
    }
    this.#changed();
  }

  /**
   * Stops for good (power off; the broker publishes `offline` as the last will).
   *
   * @returns When the shim's servers are closed.
   */
  async stop(): Promise<void> {
    this.#powerKnobs.cancel();
    this.powerOff();
    await this.#stopping;
  }

  /**
   * Applies a simulator knob (DESIGN.md), as {@linkcode SimDevice.knob} does.
   *
   * @param name Knob name.
   * @param payload Its value.
   * @returns An error text, or `null` when applied.
   */
  knob(name: string, payload: string): string | null {
    const clock = this.#options.clock;
    const power = this.#powerKnobs.apply(name, payload);
    if (power !== undefined) return power;
    if (name === "wifi") {
      const word = payload.trim().toUpperCase();
      if (word !== "UP" && word !== "DOWN") return "wifi must be UP or DOWN";
      this.env.wifi.setLink(word === "UP", clock.nowMs());
      this.#shim?.wifi?.poll();
      return null;
    }
    if (!this.powered) return "the device has no power";
    const error = this.env.hardwareKnob(name, payload);
    if (this.#bme !== null && this.env instanceof SimFan) {
      this.#bme.present = this.env.sensorMode !== "missing";
    }
    return error;
  }

  /**
   * Hands the bundle a command as a non-retained `<base>/commands/<param>` message.
   *
   * @param param Command parameter.
   * @param payload Its payload.
   * @returns The rejection the bundle published on `<base>/errors`, or `null`.
   */
  command(param: string, payload: string): string | null {
    const shim = this.#shim;
    if (shim === null) return "the device has no power";
    if (!this.#watch.atPacketBoundary()) return "the device is not connected to the broker";
    const packet = encodePublish(`${this.base}/commands/${param}`, payload);
    const injected = this.#watch.capture(() => shim.net.inject(packet));
    if (!injected.result) return "the device is not connected to the broker";
    const captured = injected.published;
    const rejection = captured.find((message) => message.topic === `${this.base}/errors`);
    return rejection === undefined ? null : commandErrorReason(rejection.payload);
  }

  /**
   * Registers a listener called after every change.
   *
   * @param listener The listener.
   * @returns A function that removes it.
   */
  onChange(listener: () => void): () => void {
    this.#listeners.push(listener);
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  /**
   * The device as the web pages show it: the states from its last `<base>/state`.
   *
   * @returns JSON-ready data.
   */
  view(): Record<string, unknown> {
    if (!this.powered) return { id: this.id, kind: this.kind, powered: false, firmware: true };
    const s = this.#watch.snapshot;
    const number = (key: string): number | null => typeof s[key] === "number" ? s[key] : null;
    const env = this.env;
    const hardware = env instanceof SimPlug ? { load: env.load.name } : {
      room: { humidityPct: env.room.humidityPct, tempC: env.room.tempC },
      sensor: env.sensorMode,
    };
    return Object.assign({
      id: this.id,
      kind: this.kind,
      powered: true,
      connected: this.connected,
      firmware: true,
      states: {
        on: s.power === "ON",
        powerW: number("watts"),
        speed: number("speed"),
        reason: s.reason,
        humidityPct: number("humidity"),
        tempC: number("temperature"),
      },
      published: s,
      settings: {},
      network: {},
    }, hardware);
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }
}
