/**
 * An Espruino-compatible runtime in Deno, to run the built firmware bundles
 * (`dist/plug.js`, `dist/fan.js`) against the simulator: the bundle is evaluated with
 * `new Function`, its globals passed as parameters, so it sees Espruino's globals and
 * built-in modules and none of Deno's (every host-only global is shadowed by an
 * `undefined` parameter; Map, Set, Symbol and the like too, as Espruino lacks them).
 * This is isolation by scope, enough to keep a bundle honest, not a security sandbox.
 * Each `run` is a scope of its own (a bundle is one IIFE anyway): unlike top-level code
 * sent to Espruino, a script's `var`s are not globals; share through `globalThis`.
 *
 * What the bundle gets: `require("Storage" | "net" | "http" | "crypto" | "Wifi")`
 * (Wifi only when a Wi-Fi model is given; otherwise `Module Wifi not found`, as on the
 * Linux build, and the network counts as up), `getTime` and the timers on the virtual
 * clock (`shim_time.ts`), pins, `analogRead`, `digitalWrite` and `I2C1`
 * (`shim_hardware.ts`), `E`, `process.memory()`, `print` and `console.log`.
 *
 * As on Espruino, an error thrown by a callback is printed (`Uncaught ...`) and the
 * program goes on; the errors are also kept in {@linkcode EspruinoShim.errors}.
 * `process.memory()` is NOT device-realistic: its `usage` is a rough count of the
 * shim's live objects (timers, sockets, servers, listeners), only there so code that
 * reports it runs; measure memory on the real interpreter.
 *
 * @module
 */

import { toBinaryString, toBytes } from "./shim_bytes.ts";
import { createCryptoModule, type CryptoBuild } from "./shim_crypto.ts";
import { ShimEmitter } from "./shim_events.ts";
import { createHardware, type ShimHardware, type ShimHardwareOptions } from "./shim_hardware.ts";
import { ShimHttp } from "./shim_http.ts";
import { ShimNet, type ShimTraffic } from "./shim_net.ts";
import { ShimStorage } from "./shim_storage.ts";
import { CpuClock, type ShimClock, ShimTimers } from "./shim_time.ts";
import { ShimWifi, WIFI_POLL_MS, type WifiModel } from "./shim_wifi.ts";

/** Variables of an ESP8266_4MB build, reported as `process.memory().total`. */
export const ESP8266_VARIABLES = 1600;

/** Options of an {@linkcode EspruinoShim}. */
export interface EspruinoShimOptions {
  /** The virtual clock (the simulator's `VirtualClock`). */
  clock: ShimClock;
  /** The flash files (default: empty, in memory). Hand the same one to the next boot. */
  storage?: ShimStorage;
  /** What sits behind the pins. */
  hardware?: ShimHardwareOptions;
  /** A Wi-Fi model for `require("Wifi")`; without one the module is missing. */
  wifi?: WifiModel | null;
  /** Where `http` servers really listen. */
  http?: { host?: string; portFor?: (devicePort: number) => number };
  /** Each printed line. */
  onPrint?: (line: string) => void;
  /** Every byte on every socket. */
  onTraffic?: (traffic: ShimTraffic) => void;
  /**
   * The bundle asked to restart: `E.reboot()` or `load()` (no file), or `load(file)` to run
   * that Storage file once. Called after the bundle's callback returns.
   */
  onReboot?: (file?: string) => void;
  /** Which build's `crypto` module (default `esp8266`: SHA1 only, as an ESP8266_4MB). */
  crypto?: CryptoBuild;
  /** Lines kept in {@linkcode EspruinoShim.printed} (default 500). */
  printLimit?: number;
}

const ES_GLOBALS = [
  "Object",
  "Function",
  "Array",
  "Number",
  "Boolean",
  "String",
  "Date",
  "Promise",
  "RegExp",
  "Error",
  "EvalError",
  "RangeError",
  "ReferenceError",
  "SyntaxError",
  "TypeError",
  "URIError",
  "JSON",
  "Math",
  "ArrayBuffer",
  "DataView",
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "Float32Array",
  "Float64Array",
  "parseFloat",
  "parseInt",
  "isNaN",
  "isFinite",
  "encodeURIComponent",
  "decodeURIComponent",
  "encodeURI",
  "decodeURI",
  "escape",
  "unescape",
  "NaN",
  "Infinity",
  "undefined",
  "eval",
];

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** Every global name of the host that is not standard ECMAScript Espruino also has. */
const hostOnlyGlobals = (): string[] => {
  const names = new Set<string>();
  for (
    let object: object | null = globalThis;
    object !== null && object !== Object.prototype;
    object = Object.getPrototypeOf(object)
  ) {
    for (const name of Object.getOwnPropertyNames(object)) names.add(name);
  }
  return [...names].filter((name) => IDENTIFIER.test(name) && !ES_GLOBALS.includes(name));
};

const describe = (error: unknown): string =>
  error instanceof Error ? error.name + ": " + error.message : String(error);

/** `E.CRC32`: the IEEE CRC-32 of a binary string or bytes. */
const crc32 = (data: unknown): number => {
  const bytes = toBytes(data);
  let crc = 0xffffffff;
  for (let n = 0; n < bytes.length; n++) {
    crc ^= bytes[n] as number;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
};

/** A rough `E.getSizeOf`: one variable per value, and per key of objects. */
const sizeOf = (value: unknown, depth: number): number => {
  if (typeof value !== "object" || value === null || depth <= 0) return 1;
  let size = 1;
  for (const key of Object.keys(value)) {
    size += 1 + sizeOf((value as Record<string, unknown>)[key], depth - 1);
  }
  return size;
};

/**
 * One powered-up Espruino: its globals, hardware and connections. {@linkcode
 * EspruinoShim.kill} is a power cut; make a new shim with the same storage to boot again.
 *
 * @example
 * ```ts
 * import { EspruinoShim } from "./shim.ts";
 * import { VirtualClock } from "../../sim/clock.ts";
 * import assert from "node:assert/strict";
 * const clock = new VirtualClock({ startMs: 5000 });
 * const shim = new EspruinoShim({ clock });
 * shim.run('setTimeout(function () { print(typeof Deno, getTime()); }, 10);');
 * clock.advanceBy(10);
 * assert.deepEqual(shim.printed, ["undefined 5.010001"]);
 * await shim.kill();
 * ```
 */
export class EspruinoShim {
  /** The virtual clock. */
  readonly clock: ShimClock;
  /** The processor clock (`getTime`). */
  readonly cpu: CpuClock;
  /** The flash files. */
  readonly storage: ShimStorage;
  /** The net module. */
  readonly net: ShimNet;
  /** The http module. */
  readonly http: ShimHttp;
  /** Pins and buses. */
  readonly hardware: ShimHardware;
  /** The firmware's timers. */
  readonly timers: ShimTimers;
  /** The Wifi module, `null` on a board without one. */
  readonly wifi: ShimWifi | null;
  /** The last printed lines. */
  readonly printed: string[] = [];
  /** Errors thrown by the bundle's callbacks. */
  readonly errors: unknown[] = [];
  /** The global object the bundle sees. */
  readonly globals: Record<string, unknown>;
  #options: EspruinoShimOptions;
  #internal: ShimTimers;
  #running = true;

  /**
   * Powers up: globals, modules and hardware are ready; nothing runs until `run`.
   *
   * @param options Clock, storage, hardware, Wi-Fi and hooks.
   */
  constructor(options: EspruinoShimOptions) {
    this.#options = options;
    this.clock = options.clock;
    this.cpu = new CpuClock(options.clock);
    this.storage = options.storage ?? new ShimStorage();
    const invoke = (run: () => void): boolean => this.#invoke(run);
    this.timers = new ShimTimers(options.clock, invoke);
    this.#internal = new ShimTimers(options.clock, invoke);
    const internal = this.#internal.api();
    this.net = new ShimNet({
      invoke,
      defer: (run) => internal.setTimeout(run, 0),
      onTraffic: options.onTraffic,
      settle: () => {
        // The firmware's own zero-delay work, and the shim's (a socket's `drain`), until
        // neither arms more.
        while (this.#internal.runZeroDelay() + this.timers.runZeroDelay() > 0);
      },
    });
    this.http = new ShimHttp({
      invoke,
      host: options.http?.host,
      portFor: options.http?.portFor,
    });
    this.hardware = createHardware(options.hardware ?? {}, this.cpu);
    const model = options.wifi ?? null;
    this.wifi = model === null ? null : new ShimWifi({
      model,
      nowMs: () => options.clock.nowMs(),
      invoke,
      onLink: (up) => this.net.setOnline(up),
      log: (text) => this.#print("[shim wifi] " + text),
    });
    const wifi = this.wifi;
    if (wifi !== null) internal.setInterval(() => wifi.poll(), WIFI_POLL_MS);
    this.globals = this.#makeGlobals();
  }

  /**
   * Whether the shim has power.
   *
   * @returns `false` after {@linkcode EspruinoShim.kill}.
   */
  get running(): boolean {
    return this.#running;
  }

  /**
   * Evaluates a script (a bundle) in the Espruino scope.
   *
   * @param code The script.
   * @param file The Storage file it came from by `load(file)` (sets `__FILE__`).
   * @returns `false` when it threw (the error is printed and kept, as on Espruino).
   */
  run(code: string, file?: string): boolean {
    if (file !== undefined) this.globals.__FILE__ = file;
    const names = ["globalThis"];
    const values: unknown[] = [this.globals];
    for (const name of Object.keys(this.globals)) {
      if (IDENTIFIER.test(name) && name !== "globalThis") {
        names.push(name);
        values.push(this.globals[name]);
      }
    }
    for (const name of hostOnlyGlobals()) {
      if (!(name in this.globals)) {
        names.push(name);
        values.push(undefined);
      }
    }
    return this.#invoke(() => {
      const script = new Function(...names, code);
      script.apply(this.globals, values);
    });
  }

  /**
   * Power off: timers stop, connections die without a word (the broker sends the last
   * will), servers close. Further callbacks never run.
   *
   * @returns When the servers are closed.
   */
  kill(): Promise<void> {
    this.#running = false;
    this.timers.clearAll();
    this.#internal.clearAll();
    this.net.killAll();
    return this.http.closeAll();
  }

  /**
   * What `process.memory()` reports (see the module doc: not device-realistic).
   *
   * @returns `usage`, `free`, `total` and a note.
   */
  memory(): { usage: number; free: number; total: number; shim: string } {
    const servers = this.http.servers().length;
    const usage = Math.min(
      ESP8266_VARIABLES,
      200 + 4 * this.timers.count() + 30 * this.net.openCount() + 30 * servers,
    );
    return {
      usage,
      free: ESP8266_VARIABLES - usage,
      total: ESP8266_VARIABLES,
      shim: "estimate from the shim's live objects, not Espruino's variable count",
    };
  }

  #invoke(run: () => void): boolean {
    if (!this.#running) return false;
    try {
      this.cpu.run(run);
      return true;
    } catch (error) {
      this.errors.push(error);
      this.#print("Uncaught " + describe(error));
      return false;
    }
  }

  #print(line: string): void {
    this.printed.push(line);
    const limit = this.#options.printLimit ?? 500;
    if (this.printed.length > limit) this.printed.splice(0, this.printed.length - limit);
    this.#options.onPrint?.(line);
  }

  #reboot(file?: string): void {
    const onReboot = this.#options.onReboot;
    if (onReboot === undefined) {
      this.#print("[shim] reboot requested: no handler, ignored");
      return;
    }
    // After the current callback, never from inside it.
    queueMicrotask(() => onReboot(file));
  }

  #makeGlobals(): Record<string, unknown> {
    const g: Record<string, unknown> = {};
    const host = globalThis as unknown as Record<string, unknown>;
    for (const name of ES_GLOBALS) if (name in host) g[name] = host[name];
    const storage = this.storage.module();
    const crypto = createCryptoModule(this.#options.crypto);
    const require = (name: unknown): unknown => {
      if (name === "Storage") return storage;
      if (name === "net") return this.net.module();
      if (name === "http") return this.http.module();
      if (name === "crypto") return crypto;
      if (name === "Wifi" && this.wifi !== null) return this.wifi;
      throw new Error("Module " + String(name) + " not found");
    };
    const print = (...args: unknown[]): void => this.#print(args.map(String).join(" "));
    const E = Object.assign(new ShimEmitter(), {
      toString: (...args: unknown[]) => args.map(toBinaryString).join(""),
      toUint8Array: (...args: unknown[]) => toBytes(args.map(toBinaryString).join("")),
      sum: (values: ArrayLike<number>) => {
        let sum = 0;
        for (let n = 0; n < values.length; n++) sum += values[n] as number;
        return sum;
      },
      // Espruino's variance is the sum of squared deviations, not their mean.
      variance: (values: ArrayLike<number>, mean: number) => {
        let sum = 0;
        for (let n = 0; n < values.length; n++) sum += ((values[n] as number) - mean) ** 2;
        return sum;
      },
      getSizeOf: (value: unknown, depth?: number) => sizeOf(value, depth ?? 8),
      hwRand: () => (Math.random() * 0x100000000) | 0,
      CRC32: crc32,
      getTemperature: () => 25,
      reboot: () => this.#reboot(),
    });
    const hardware = this.hardware;
    Object.assign(g, this.timers.api(), hardware.pins, {
      require,
      print,
      console: { log: print, info: print, warn: print, error: print, debug: print },
      getTime: () => this.cpu.nowS(),
      analogRead: hardware.analogRead,
      digitalWrite: hardware.digitalWrite,
      digitalRead: hardware.digitalRead,
      pinMode: hardware.pinMode,
      getPinMode: hardware.getPinMode,
      I2C1: hardware.I2C1,
      I2C: hardware.I2C,
      E,
      process: {
        version: "2v29",
        env: { VERSION: "2v29", BOARD: "ESP8266_4MB (shim)" },
        memory: () => this.memory(),
      },
      btoa: (text: string) => btoa(text),
      atob: (text: string) => atob(text),
      load: (file?: unknown) => this.#reboot(typeof file === "string" ? file : undefined),
      // Hardware registers: random words (the ESP8266's random number register is one).
      peek32: () => (Math.random() * 0x100000000) >>> 0,
    });
    g.global = g;
    g.globalThis = g;
    return g;
  }
}
