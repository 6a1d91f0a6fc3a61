/**
 * A fake `require("Wifi")` for the shim, driven by a Wi-Fi model (the simulator's
 * `SimWifi` fits): `connect` starts a join, the model decides when it succeeds, and a
 * poll every {@linkcode WIFI_POLL_MS} turns the model's changes into the `connected` and
 * `disconnected` events and the network's reachability (sockets need the link up).
 * Addresses and signal come from the model; the access point calls are accepted and
 * logged. Without a model the shim has no Wifi module at all (as Espruino's Linux build).
 *
 * @module
 */

import { ShimEmitter } from "./shim_events.ts";

/** How often the model is looked at (the native simulated device's period too). */
export const WIFI_POLL_MS = 1000;

/** A Wi-Fi link model; `SimWifi` of `sim/wifi.ts` fits. */
export interface WifiModel {
  /** `up` once joined. */
  readonly state: string;
  /** IPv4 address. */
  readonly ip: string;
  /** MAC address. */
  readonly mac: string;
  /** Signal in dBm. */
  readonly rssiDbm: number;
  /** Network name. */
  readonly ssid: string;
  /** Why the last join failed, or `""`. */
  readonly lastError: string;
  /** The access point's name while unprovisioned. */
  readonly apSsid: string;
  /** Moves the model's time on; returns its state. */
  advance(nowMs: number): string;
  /** Starts joining a network. */
  join(ssid: string, password: string, nowMs: number): { ok: boolean };
}

/** What the fake module needs around it. */
export interface ShimWifiOptions {
  /** The model. */
  model: WifiModel;
  /** The virtual clock. */
  nowMs(): number;
  /** Runs a callback as the shim runs every callback. */
  invoke(run: () => void): void;
  /** The link went up or down (the net module follows). */
  onLink(up: boolean): void;
  /** A log line. */
  log(text: string): void;
}

/** A callback of the Wifi module. */
export type WifiCallback = (...args: unknown[]) => void;

/** The fake module (what `require("Wifi")` returns) and its poll. */
export class ShimWifi extends ShimEmitter {
  #options: ShimWifiOptions;
  #up: boolean;
  #joining: WifiCallback | null = null;
  #hostname = "espressif";

  /**
   * Makes the module; the link's state is taken from the model now.
   *
   * @param options Model, clock and hooks.
   */
  constructor(options: ShimWifiOptions) {
    super();
    this.#options = options;
    this.#up = options.model.advance(options.nowMs()) === "up";
    options.onLink(this.#up);
  }

  /** Looks at the model: reports a change of the link, and ends a pending `connect`. */
  poll(): void {
    const options = this.#options;
    const model = options.model;
    const up = model.advance(options.nowMs()) === "up";
    if (up !== this.#up) {
      this.#up = up;
      options.onLink(up);
      if (up) {
        const info = { ip: model.ip, netmask: "255.255.255.0", gw: gatewayOf(model.ip) };
        options.invoke(() => this.emit("connected", info));
      } else {
        options.invoke(() => this.emit("disconnected", { ssid: model.ssid, mac: model.mac }));
      }
    }
    const joining = this.#joining;
    if (joining === null || model.state === "connecting") return;
    this.#joining = null;
    const error = model.state === "up" ? null : model.lastError || "join failed";
    options.invoke(() => joining(error));
  }

  /**
   * Joins a network; the callback gets `null` once joined, or an error text.
   *
   * @param ssid Network name.
   * @param settings `{ password }`.
   * @param callback Told the outcome.
   */
  connect(ssid: string, settings?: { password?: string }, callback?: WifiCallback): void {
    const joined = this.#options.model.join(ssid, settings?.password ?? "", this.#options.nowMs());
    if (!joined.ok) {
      if (callback) this.#options.invoke(() => callback("cannot join " + ssid));
      return;
    }
    this.#joining = callback ?? null;
  }

  /**
   * Leaves the network (the model keeps it; the simulator's `wifi` knob cuts links).
   *
   * @param callback Called at once.
   */
  disconnect(callback?: WifiCallback): void {
    this.#options.log("Wifi.disconnect() is not modelled");
    if (callback) this.#options.invoke(() => callback());
  }

  /**
   * Opens the provisioning access point (logged only).
   *
   * @param ssid Its name.
   * @param _settings Password and auth mode.
   * @param callback Told `null`.
   */
  startAP(ssid: string, _settings?: unknown, callback?: WifiCallback): void {
    this.#options.log("access point " + ssid + " (not modelled)");
    if (callback) this.#options.invoke(() => callback(null));
  }

  /**
   * Closes the access point.
   *
   * @param callback Called at once.
   */
  stopAP(callback?: WifiCallback): void {
    if (callback) this.#options.invoke(() => callback());
  }

  /**
   * Station addresses.
   *
   * @param callback Also given the answer.
   * @returns `{ ip, netmask, gw, mac }`.
   */
  getIP(callback?: WifiCallback): { ip: string; netmask: string; gw: string; mac: string } {
    const model = this.#sync();
    const up = model.state === "up";
    const info = {
      ip: up ? model.ip : "0.0.0.0",
      netmask: up ? "255.255.255.0" : "0.0.0.0",
      gw: up ? gatewayOf(model.ip) : "0.0.0.0",
      mac: model.mac,
    };
    if (callback) callback(info);
    return info;
  }

  /**
   * Access point addresses.
   *
   * @returns `{ ip, mac }`.
   */
  getAPIP(): { ip: string; mac: string } {
    return { ip: "192.168.4.1", mac: this.#options.model.mac };
  }

  /**
   * Station details.
   *
   * @param callback Also given the answer.
   * @returns `{ status, rssi, ssid }`.
   */
  getDetails(callback?: WifiCallback): { status: string; rssi: number; ssid: string } {
    const model = this.#sync();
    const details = {
      status: model.state === "up"
        ? "connected"
        : model.state === "connecting"
        ? "connecting"
        : "off",
      rssi: model.rssiDbm,
      ssid: model.state === "ap" ? "" : model.ssid,
    };
    if (callback) callback(details);
    return details;
  }

  /**
   * Overall status.
   *
   * @returns `{ station, ap, mode }`.
   */
  getStatus(): { station: string; ap: string; mode: string } {
    const state = this.#sync().state;
    return {
      station: state === "up" ? "connected" : state === "connecting" ? "connecting" : "off",
      ap: state === "ap" ? "enabled" : "disabled",
      mode: state === "ap" ? "ap" : "sta",
    };
  }

  /**
   * Sets the DHCP host name.
   *
   * @param name The name.
   */
  setHostname(name: string): void {
    this.#hostname = name;
  }

  /**
   * The DHCP host name.
   *
   * @returns The name.
   */
  getHostname(): string {
    return this.#hostname;
  }

  /**
   * Starts SNTP (the shim's clock is already the simulator's: nothing to do).
   *
   * @param _server Server name.
   * @param _offsetHours Time zone.
   */
  setSNTP(_server: string, _offsetHours: number): void {}

  /**
   * Networks in reach.
   *
   * @param callback Given a list with the model's network.
   */
  scan(callback: WifiCallback): void {
    const model = this.#options.model;
    this.#options.invoke(() => callback([{ ssid: model.ssid, rssi: model.rssiDbm }]));
  }

  /** Saves the settings for boot (accepted). */
  save(): void {}

  #sync(): WifiModel {
    // The model's signal depends on its time; a change of state waits for the poll.
    this.#options.model.advance(this.#options.nowMs());
    return this.#options.model;
  }
}

const gatewayOf = (ip: string): string => ip.replace(/\.\d+$/, ".1");
