/**
 * Fake Wi-Fi for a simulated device: addresses derived from the device id, a signal that
 * wanders around a per-device mean, link up/down with the moment it changed, and the
 * provisioning flow (a device with no saved network opens its own access point until it
 * is told which network to join). Nothing here touches a real network.
 *
 * The Wi-Fi password is kept in a private field: no getter, {@linkcode SimWifi.info},
 * `toJSON` or inspection ever shows it.
 *
 * @module
 */

import type { NetworkInfo } from "../lib/ports.ts";
import { err, ok, type Result } from "../lib/result.ts";
import { createRandom, gaussian } from "./random.ts";

/**
 * The simulated home network's name.
 *
 * @example
 * ```ts
 * import { SIM_SSID } from "./wifi.ts";
 * import assert from "node:assert/strict";
 * assert.equal(SIM_SSID, "housegrid-sim");
 * ```
 */
export const SIM_SSID = "housegrid-sim";

/**
 * Address of a device in access-point mode (the ESP8266's default).
 *
 * @example
 * ```ts
 * import { AP_IP } from "./wifi.ts";
 * import assert from "node:assert/strict";
 * assert.equal(AP_IP, "192.168.4.1");
 * ```
 */
export const AP_IP = "192.168.4.1";

/** Where a device's Wi-Fi stands. */
export type WifiState = "ap" | "connecting" | "up" | "down";

/** A network within reach of the simulated devices. */
export interface SimNetwork {
  /** Its name. */
  ssid: string;
  /** Its passphrase; when absent, any valid WPA2 passphrase (8..63 characters) is accepted. */
  password?: string;
}

/** Network and timing of a simulated device's Wi-Fi. */
export interface WifiOptions {
  /** The device id; MAC, IP, signal and access-point name derive from it. */
  deviceId: string;
  /** When the device powers up (default 0). */
  nowMs?: number;
  /** A network saved from earlier provisioning; absent or `null` starts in AP mode. */
  saved?: { ssid: string; password: string } | null;
  /** Networks within reach (default: {@linkcode SIM_SSID}, any passphrase). */
  networks?: readonly SimNetwork[];
  /** How long joining takes (default 3000 ms). */
  joinDelayMs?: number;
  /** Mean signal strength (default from the id, -80..-45 dBm). */
  meanRssiDbm?: number;
  /** Seed of the signal's jitter (default from the id). */
  seed?: number;
  /** IPv4 address when up (default {@linkcode ipFor}); ids can share a default address. */
  ip?: string;
}

/** Everything a device may show about its Wi-Fi (never the password). */
export interface WifiInfo extends NetworkInfo {
  /** The device id. */
  deviceId: string;
  /** Where the link stands. */
  state: WifiState;
  /** When `state` last changed. */
  changedMs: number;
  /** The access point's name the device opens while unprovisioned. */
  apSsid: string;
  /** Why the last join failed, or `""`. */
  lastError: string;
}

/** FNV-1a, 32 bits: a stable hash of the id. */
const hash = (text: string, salt: number): number => {
  let h = (0x811c9dc5 ^ salt) >>> 0;
  for (let n = 0; n < text.length; n++) {
    h = Math.imul(h ^ text.charCodeAt(n), 0x01000193) >>> 0;
  }
  return h;
};

const hex2 = (byte: number): string => byte.toString(16).toUpperCase().padStart(2, "0");

/**
 * The device's MAC address: Espressif's `5C:CF:7F` prefix and three bytes from the id.
 *
 * @param deviceId The device id.
 * @returns E.g. `5C:CF:7F:12:AB:EF`.
 * @example
 * ```ts
 * import { macFor } from "./wifi.ts";
 * import assert from "node:assert/strict";
 * assert.match(macFor("plug1"), /^5C:CF:7F(:[0-9A-F]{2}){3}$/);
 * assert.equal(macFor("plug1"), macFor("plug1"));
 * ```
 */
export function macFor(deviceId: string): string {
  const h = hash(deviceId, 0);
  return ["5C", "CF", "7F", hex2(h >>> 16 & 255), hex2(h >>> 8 & 255), hex2(h & 255)].join(":");
}

/**
 * The device's IPv4 address on the simulated network: `192.168.1.2` to `192.168.1.253`.
 *
 * @param deviceId The device id.
 * @returns The address.
 * @example
 * ```ts
 * import { ipFor } from "./wifi.ts";
 * import assert from "node:assert/strict";
 * assert.match(ipFor("fan1"), /^192\.168\.1\.\d+$/);
 * ```
 */
export function ipFor(deviceId: string): string {
  return `192.168.1.${2 + (hash(deviceId, 1) % 252)}`;
}

/** Checks a join request's shape; `""` when fine. */
const joinProblem = (ssid: string, password: string): string => {
  if (ssid.length < 1 || ssid.length > 32) {
    return `SSID must be 1..32 characters, got ${ssid.length}`;
  }
  if (password.length !== 0 && (password.length < 8 || password.length > 63)) {
    return `password must be empty (open network) or 8..63 characters, got ${password.length}`;
  }
  return "";
};

/**
 * The Wi-Fi of one simulated device. Time only moves when a method is given `nowMs`;
 * getters answer as of the latest such call.
 *
 * @example
 * ```ts
 * import { SIM_SSID, SimWifi } from "./wifi.ts";
 * import assert from "node:assert/strict";
 * const wifi = new SimWifi({ deviceId: "plug1" });
 * assert.equal(wifi.state, "ap");
 * assert.equal(wifi.ssid, "housegrid-plug1");
 * assert.ok(wifi.join(SIM_SSID, "correct horse", 1000).ok);
 * wifi.advance(5000);
 * assert.equal(wifi.state, "up");
 * assert.ok(!JSON.stringify(wifi).includes("correct horse"));
 * ```
 */
export class SimWifi implements NetworkInfo {
  /** The device id. */
  readonly deviceId: string;
  /** The MAC address. */
  readonly mac: string;
  /** The access point's name the device opens while unprovisioned. */
  readonly apSsid: string;
  #ipWhenUp: string;
  #networks: readonly SimNetwork[];
  #joinDelayMs: number;
  #meanRssiDbm: number;
  #seed: number;
  #state: WifiState = "ap";
  #changedMs: number;
  #nowMs: number;
  #lastError = "";
  #linkAvailable = true;
  #saved: { ssid: string; password: string } | null;
  #pending: { ssid: string; password: string; startedMs: number; fallback: boolean } | null = null;

  /**
   * Powers the device's Wi-Fi up: AP mode without a saved network, else joining it.
   *
   * @param options See {@linkcode WifiOptions}.
   */
  constructor(options: WifiOptions) {
    this.deviceId = options.deviceId;
    this.mac = macFor(options.deviceId);
    this.apSsid = `housegrid-${options.deviceId.slice(0, 22)}`;
    this.#ipWhenUp = options.ip ?? ipFor(options.deviceId);
    this.#networks = options.networks ?? [{ ssid: SIM_SSID }];
    this.#joinDelayMs = options.joinDelayMs ?? 3000;
    this.#meanRssiDbm = options.meanRssiDbm ?? -45 - (hash(options.deviceId, 2) % 36);
    this.#seed = options.seed ?? hash(options.deviceId, 3);
    this.#nowMs = options.nowMs ?? 0;
    this.#changedMs = this.#nowMs;
    this.#saved = options.saved ? { ...options.saved } : null;
    if (this.#saved) this.#startJoin(this.#saved.ssid, this.#saved.password, this.#nowMs);
  }

  /** Where the link stands. */
  get state(): WifiState {
    return this.#state;
  }

  /** When `state` last changed. */
  get changedMs(): number {
    return this.#changedMs;
  }

  /** Why the last join failed, or `""`. */
  get lastError(): string {
    return this.#lastError;
  }

  /** The network joined or being joined; the own access point's name in AP mode. */
  get ssid(): string {
    if (this.#state === "ap") return this.apSsid;
    return this.#pending?.ssid ?? this.#saved?.ssid ?? "";
  }

  /** The address: `192.168.1.x` when up, {@linkcode AP_IP} in AP mode, else `0.0.0.0`. */
  get ip(): string {
    if (this.#state === "up") return this.#ipWhenUp;
    return this.#state === "ap" ? AP_IP : "0.0.0.0";
  }

  /** Signal strength when up (jittering every 5 s, seeded); 0 when there is no link. */
  get rssiDbm(): number {
    if (this.#state !== "up") return 0;
    const slot = Math.floor(this.#nowMs / 5000);
    const jitter = 2 * gaussian(createRandom((this.#seed ^ Math.imul(slot, 0x9e3779b1)) >>> 0));
    return Math.round(Math.max(-95, Math.min(-30, this.#meanRssiDbm + jitter)));
  }

  /**
   * Moves time on to `nowMs`, finishing a join whose delay has passed.
   *
   * @param nowMs The current time (earlier times are ignored).
   * @returns The state after.
   */
  advance(nowMs: number): WifiState {
    if (nowMs > this.#nowMs) this.#nowMs = nowMs;
    let pending = this.#pending;
    while (pending && this.#nowMs - pending.startedMs >= this.#joinDelayMs) {
      const doneMs = pending.startedMs + this.#joinDelayMs;
      this.#pending = null;
      const problem = this.#joinOutcome(pending.ssid, pending.password);
      const saved = this.#saved;
      if (problem === "") {
        this.#saved = { ssid: pending.ssid, password: pending.password };
        // After a fallback, keep the reason the requested network failed.
        if (!pending.fallback) this.#lastError = "";
        this.#setState("up", doneMs);
      } else if (!saved) {
        this.#lastError = problem;
        this.#setState("ap", doneMs);
      } else if (saved.ssid !== pending.ssid || saved.password !== pending.password) {
        // A failed attempt at a new network falls back to the saved one.
        this.#lastError = problem;
        this.#startJoin(saved.ssid, saved.password, doneMs, true);
      } else {
        this.#lastError = problem;
        this.#setState("down", doneMs);
      }
      pending = this.#pending;
    }
    return this.#state;
  }

  /**
   * Starts joining a network (the provisioning page's form); the outcome shows after the
   * join delay: `up`, or `ap` with {@linkcode SimWifi.lastError} on a wrong password or
   * an unknown network.
   *
   * @param ssid Network name, 1..32 characters.
   * @param password Passphrase, 8..63 characters, or empty for an open network.
   * @param nowMs The current time.
   * @returns `connecting`, or an error for a malformed request (then nothing changes).
   */
  join(ssid: string, password: string, nowMs: number): Result<WifiState> {
    this.advance(nowMs);
    const problem = joinProblem(ssid, password);
    if (problem !== "") return err(problem);
    this.#startJoin(ssid, password, this.#nowMs);
    return ok(this.#state);
  }

  /**
   * Cuts or restores the home network (the simulator's `wifi` knob). Restoring makes a
   * provisioned device rejoin its saved network; AP mode is unaffected.
   *
   * @param up Whether the network is in reach.
   * @param nowMs The current time.
   */
  setLink(up: boolean, nowMs: number): void {
    this.advance(nowMs);
    this.#linkAvailable = up;
    if (!up && (this.#state === "up" || this.#state === "connecting") && this.#saved) {
      this.#pending = null;
      this.#setState("down", this.#nowMs);
    } else if (up && this.#state === "down" && this.#saved) {
      this.#startJoin(this.#saved.ssid, this.#saved.password, this.#nowMs);
    }
  }

  /**
   * Forgets the saved network (factory reset) and reopens the access point.
   *
   * @param nowMs The current time.
   */
  forget(nowMs: number): void {
    this.advance(nowMs);
    this.#saved = null;
    this.#pending = null;
    this.#lastError = "";
    this.#setState("ap", this.#nowMs);
  }

  /**
   * Everything the device may show about its Wi-Fi; never the password.
   *
   * @returns A plain snapshot.
   */
  info(): WifiInfo {
    return {
      deviceId: this.deviceId,
      state: this.#state,
      changedMs: this.#changedMs,
      ssid: this.ssid,
      ip: this.ip,
      mac: this.mac,
      rssiDbm: this.rssiDbm,
      apSsid: this.apSsid,
      lastError: this.#lastError,
    };
  }

  /**
   * What `JSON.stringify` writes: {@linkcode SimWifi.info}.
   *
   * @returns A plain snapshot without the password.
   */
  toJSON(): WifiInfo {
    return this.info();
  }

  #joinOutcome(ssid: string, password: string): string {
    const network = this.#networks.find((n) => n.ssid === ssid);
    if (!network || !this.#linkAvailable) return `no network named "${ssid}" in reach`;
    const accepted = network.password === undefined
      ? password.length >= 8
      : network.password === password;
    return accepted ? "" : `wrong password for "${ssid}"`;
  }

  #startJoin(ssid: string, password: string, nowMs: number, fallback = false): void {
    this.#pending = { ssid, password, startedMs: nowMs, fallback };
    this.#setState("connecting", nowMs);
  }

  #setState(state: WifiState, atMs: number): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#changedMs = atMs;
  }
}
