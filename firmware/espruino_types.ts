/**
 * Minimal TypeScript declarations of the Espruino 2v29 globals and built-in modules the
 * firmware uses, and the one place that reaches them: {@linkcode espruinoGlobals}.
 *
 * Adapters take these objects as arguments rather than reading globals, so Deno tests
 * hand them fakes. Only the entry points (`plug_main.ts`, `fan_main.ts`) call
 * {@linkcode espruinoGlobals}. Built-in modules are reached as `globalThis.require(...)`,
 * not a bare `require`, because the bundler would otherwise try to resolve them.
 *
 * @module
 */

/** `require("Storage")`: named files in flash that survive reboots. */
export interface EspruinoStorage {
  /** The file's contents (or `length` bytes from `offset`), `undefined` when missing. */
  read(name: string, offset?: number, length?: number): string | undefined;
  /**
   * Writes (replaces) a file; `false` when it failed. With `offset` 0 and `size`, a file of
   * `size` bytes is created and later writes fill it at their `offset` (never over data
   * already written).
   */
  write(name: string, data: string, offset?: number, size?: number): boolean;
  /** Parses a JSON file; with `noExceptions`, `undefined` on bad JSON or no file. */
  readJSON(name: string, noExceptions: boolean): unknown;
  /** Writes a value as JSON. */
  writeJSON(name: string, data: unknown): boolean;
  /** Removes a file. */
  erase(name: string): void;
  /** Bytes still free. */
  getFree(): number;
  /** Byte counts: free, and erased files waiting for a compaction (2v29). */
  getStats?(): { freeBytes: number; trashBytes: number };
  /** Reclaims erased files' space (moving files, and what points into them). */
  compact?(): void;
}

/** A TCP socket of `require("net")`. */
export interface EspruinoSocket {
  /** Queues bytes, one character per byte. */
  write(data: string): unknown;
  /** Closes the connection. */
  end(): void;
  /** `data` brings a binary string; `close` ends the connection (also after `error`). */
  on(event: "data", listener: (data: string) => void): void;
  /**
   * `close`, `end`, `drain` (all written bytes sent; Espruino passes the socket, as it
   * does to the connection's callback) or `error` (with an error object).
   */
  on(event: "close" | "end" | "drain" | "error", listener: (arg?: unknown) => void): void;
}

/** `require("net")`. */
export interface EspruinoNet {
  /** Opens a TCP connection; `callback` runs once it is open, with the socket. */
  connect(
    options: { host: string; port: number },
    callback: (socket: EspruinoSocket) => void,
  ): EspruinoSocket;
}

/** `require("crypto")`: what a build has varies (an ESP8266_4MB has SHA1 only). */
export interface EspruinoCrypto {
  /** SHA-1 of a binary string (20 bytes). */
  SHA1?(message: string): ArrayBuffer;
  /** SHA-256 of a binary string (32 bytes); builds with `SHA256` only. */
  SHA256?(message: string): ArrayBuffer;
  /** PBKDF2; builds with TLS only. `keySize` is in 32-bit words. */
  PBKDF2?(
    passphrase: string,
    salt: string,
    options: { keySize: number; iterations: number; hasher: string },
  ): ArrayBuffer;
}

/** A request of `require("http").createServer`. */
export interface EspruinoHttpRequest {
  /** E.g. `GET`. */
  method: string;
  /** Path and query, e.g. `/devices/plug1/api/state`. */
  url: string;
  /** Headers, names as the client sent them. */
  headers: Record<string, string>;
  /** Body data (binary strings). */
  on(event: "data", listener: (data: string) => void): void;
  /** `end` after the whole body, `close` when the connection closes. */
  on(event: "end" | "close", listener: () => void): void;
  /** Drops an event's listeners. */
  removeAllListeners(event: string): void;
}

/** A response of `require("http").createServer`. */
export interface EspruinoHttpResponse {
  /** Sends the status line and headers. */
  writeHead(status: number, headers: Record<string, string>): void;
  /** Queues body data (a binary string). */
  write(data: string): unknown;
  /** Ends the response (and, Espruino's default, the connection). */
  end(data?: string): void;
  /** `drain` once everything queued is sent, `close` when the connection closes. */
  on(event: "drain" | "close", listener: () => void): void;
}

/** An HTTP server. */
export interface EspruinoHttpServer {
  /** Starts listening. */
  listen(port: number): unknown;
}

/** `require("http")`. */
export interface EspruinoHttp {
  /** Makes a server; `handler` runs once a request's headers have arrived. */
  createServer(
    handler: (req: EspruinoHttpRequest, res: EspruinoHttpResponse) => void,
  ): EspruinoHttpServer;
}

/** What `Wifi.getIP()` reports. */
export interface EspruinoIpInfo {
  /** IPv4 address, `0.0.0.0` when none. */
  ip: string;
  /** MAC address. */
  mac: string;
}

/** What `Wifi.getDetails()` reports (the fields we use). */
export interface EspruinoWifiDetails {
  /** Signal strength in dBm. */
  rssi?: number;
  /** Network name. */
  ssid?: string;
}

/** `require("Wifi")` on an ESP8266 (absent on the Linux build). */
export interface EspruinoWifi {
  /** Joins a network; the callback gets an error text or `null`. */
  connect(ssid: string, options: { password: string }, callback: (error: unknown) => void): void;
  /** Opens an access point. */
  startAP(
    ssid: string,
    options: { password?: string; authMode?: string },
    callback: (error: unknown) => void,
  ): void;
  /** Closes the access point. */
  stopAP(): void;
  /** Station address. */
  getIP(): EspruinoIpInfo;
  /** Station link details. */
  getDetails(): EspruinoWifiDetails;
  /** Name announced by DHCP. */
  setHostname(name: string): void;
  /** Starts SNTP time sync. */
  setSNTP(server: string, tzOffsetHours: number): void;
  /** `connected` and `disconnected` station events. */
  on(event: "connected" | "disconnected", listener: () => void): void;
}

/** An I2C bus (`I2C1`). */
export interface EspruinoI2C {
  /** Configures pins and speed. */
  setup(options: { scl: unknown; sda: unknown; bitrate?: number }): void;
  /** Writes bytes to a device. */
  writeTo(address: number, data: number[] | number): void;
  /** Reads bytes from a device. */
  readFrom(address: number, count: number): Uint8Array;
}

/** The `E` object (the helpers we use). */
export interface EspruinoE {
  /** Bytes as a binary string (one character per byte). */
  toString(bytes: Uint8Array): string;
  /** A binary string as bytes. */
  toUint8Array(text: string): Uint8Array;
  /** Variables a value occupies. */
  getSizeOf(value: unknown, depth?: number): number;
  /** A random 32-bit number "from noise" (on an ESP8266 it is libc's `rand()`). */
  hwRand?(): number;
  /** Moves the variables together so the free ones are in one run (not on the smallest boards). */
  defrag?(): void;
}

/** Pin modes of `pinMode`. */
export type EspruinoPinMode = "output" | "input" | "input_pullup" | "opendrain";

/** The Espruino globals the firmware uses. */
export interface EspruinoGlobals {
  /** Built-in modules. */
  require(name: "Storage"): EspruinoStorage;
  /** Built-in modules. */
  require(name: "net"): EspruinoNet;
  /** Built-in modules (throws on a board without Wi-Fi). */
  require(name: "Wifi"): EspruinoWifi;
  /** Built-in modules. */
  require(name: "http"): EspruinoHttp;
  /** Built-in modules (what it holds depends on the build). */
  require(name: "crypto"): EspruinoCrypto;
  /** Seconds since 1970 (or since boot before the clock is set), fractional. */
  getTime(): number;
  /** Reads an analog pin: 0..1. */
  analogRead(pin: unknown): number;
  /** Drives a pin. */
  digitalWrite(pin: unknown, level: boolean | number): void;
  /** Sets a pin's mode. */
  pinMode(pin: unknown, mode: EspruinoPinMode): void;
  /** Prints a line on the console. */
  print(...text: unknown[]): void;
  /** Helpers. */
  E: EspruinoE;
  /** The first I2C bus (software I2C on an ESP8266). */
  I2C1: EspruinoI2C;
  /** A software I2C bus of its own, on the pins its `setup` names. */
  I2C: new () => EspruinoI2C;
  /** Timers. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a timer. */
  clearTimeout(id: unknown): void;
  /** Repeating timers. */
  setInterval(callback: () => void, ms: number): unknown;
  /** Variable usage, and the build (`env.BOARD`, e.g. `ESP8266_4MB` or `LINUX`). */
  process: {
    memory(): { usage: number; total: number; free: number };
    env?: { BOARD?: string };
  };
  /** Restarts the interpreter and runs a Storage file (not kept across a power cycle). */
  load?(file: string): void;
  /** The Storage file the program was started from by `load(file)`; unset at boot. */
  __FILE__?: string;
  /** Reads a 32-bit word of memory (a hardware register). */
  peek32?(address: number): number;
}

/**
 * The Espruino globals, as typed above. Only entry points call it.
 *
 * @returns `globalThis`, typed.
 * @example
 * ```ts
 * import { espruinoGlobals } from "./espruino_types.ts";
 * import assert from "node:assert/strict";
 * assert.equal(typeof espruinoGlobals().setTimeout, "function");
 * ```
 */
export function espruinoGlobals(): EspruinoGlobals {
  return globalThis as unknown as EspruinoGlobals;
}

/**
 * Finds a pin by its name (`D12`, `A0`, `NodeMCU`-style names are not used).
 *
 * @param globals Where pins live (the Espruino global object).
 * @param name The pin's name.
 * @returns The pin, or `undefined` when this board has no such pin.
 * @example
 * ```ts
 * import { pinByName } from "./espruino_types.ts";
 * import assert from "node:assert/strict";
 * assert.equal(pinByName({ D12: 12 }, "D12"), 12);
 * assert.equal(pinByName({ D12: 12 }, "A0"), undefined);
 * ```
 */
export function pinByName(globals: unknown, name: string): unknown {
  return (globals as Record<string, unknown>)[name];
}
