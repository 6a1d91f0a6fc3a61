/**
 * Wi-Fi from the saved credentials. With none, or when the network is not joined within
 * `failAfterMs`, the access point `<apName>` opens for provisioning (the station keeps
 * trying meanwhile, and the access point closes once it succeeds). On a board without
 * a Wifi module (Espruino's Linux build) the network counts as up at once.
 *
 * @module
 */

import type { NetworkInfo } from "../lib/ports.ts";
import type { EspruinoWifi } from "./espruino_types.ts";

/** How the station joins and when to give up. */
export interface WifiOptions {
  /** Network to join; `""` when not provisioned. */
  ssid: string;
  /** Its password. */
  password: string;
  /** Name of the provisioning access point. */
  apName: string;
  /** Its password; `""` for an open access point. */
  apPassword: string;
  /** Time to join before the access point opens. */
  failAfterMs: number;
  /** How often to refresh signal strength and addresses while up. */
  refreshMs: number;
  /** SNTP server, `""` for none. */
  ntp: string;
}

/** What the Wi-Fi tells its owner. */
export interface WifiHandlers {
  /** The network is up (again), or its facts changed. */
  up(network: NetworkInfo): void;
  /** The network went down. */
  down(): void;
  /** The provisioning access point opened. */
  accessPoint(name: string): void;
  /** A console line. */
  log(text: string): void;
}

/** Timers the Wi-Fi uses. */
export interface WifiTimers {
  /** `setTimeout`. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** `clearTimeout`. */
  clearTimeout(id: unknown): void;
}

/** Network facts on a board without Wi-Fi (the Linux build). */
export const WIRED_NETWORK: NetworkInfo = {
  rssiDbm: 0,
  ssid: "",
  ip: "127.0.0.1",
  mac: "00:00:00:00:00:00",
};

/**
 * Reads the station's facts.
 *
 * @param wifi The Wifi module.
 * @returns Signal, network name and addresses; `ip` is `0.0.0.0` before DHCP.
 * @example
 * ```ts
 * import { networkInfo } from "./wifi.ts";
 * import assert from "node:assert/strict";
 * const wifi = {
 *   getIP: () => ({ ip: "10.0.0.7", mac: "5c:cf:7f:00:00:01" }),
 *   getDetails: () => ({ rssi: -61, ssid: "home" }),
 * };
 * assert.deepEqual(networkInfo(wifi), {
 *   rssiDbm: -61, ssid: "home", ip: "10.0.0.7", mac: "5c:cf:7f:00:00:01",
 * });
 * ```
 */
export function networkInfo(wifi: Pick<EspruinoWifi, "getIP" | "getDetails">): NetworkInfo {
  const address = wifi.getIP();
  const details = wifi.getDetails();
  return {
    rssiDbm: typeof details.rssi === "number" ? details.rssi : 0,
    ssid: typeof details.ssid === "string" ? details.ssid : "",
    ip: address.ip || "0.0.0.0",
    mac: address.mac || "",
  };
}

/**
 * Starts the Wi-Fi.
 *
 * @param wifi `require("Wifi")`, or `null` on a board without one.
 * @param timers Timers.
 * @param options Credentials, access point and timings.
 * @param handlers Where news goes.
 * @example
 * ```ts
 * import { startWifi } from "./wifi.ts";
 * import assert from "node:assert/strict";
 * const seen: string[] = [];
 * startWifi(null, { setTimeout: (run) => run(), clearTimeout: () => {} }, {
 *   ssid: "", password: "", apName: "housegrid-p1", apPassword: "", failAfterMs: 30000,
 *   refreshMs: 60000, ntp: "",
 * }, { up: (n) => seen.push("up " + n.ip), down: () => {}, accessPoint: () => {}, log: () => {} });
 * assert.deepEqual(seen, ["up 127.0.0.1"]);
 * ```
 */
export function startWifi(
  wifi: EspruinoWifi | null,
  timers: WifiTimers,
  options: WifiOptions,
  handlers: WifiHandlers,
): void {
  if (wifi === null) {
    timers.setTimeout(() => handlers.up(WIRED_NETWORK), 0);
    return;
  }
  let isUp = false;
  let apOpen = false;
  // No timer is `undefined`, not `null`: on Espruino each `null` is a variable.
  let failTimer: unknown;
  let refreshTimer: unknown;
  const openAccessPoint = (): void => {
    failTimer = undefined;
    if (apOpen || isUp) return;
    apOpen = true;
    const settings = options.apPassword === ""
      ? { authMode: "open" }
      : { password: options.apPassword, authMode: "wpa2" };
    wifi.startAP(options.apName, settings, (error) => {
      if (error) handlers.log("wifi: access point failed: " + String(error));
    });
    handlers.accessPoint(options.apName);
  };
  const armFailTimer = (): void => {
    if (failTimer === undefined) {
      failTimer = timers.setTimeout(openAccessPoint, options.failAfterMs);
    }
  };
  const refresh = (): void => {
    refreshTimer = undefined;
    const network = networkInfo(wifi);
    // Joined but no DHCP lease yet: look again shortly.
    if (network.ip === "0.0.0.0") {
      refreshTimer = timers.setTimeout(refresh, 1000);
      return;
    }
    if (!isUp) {
      isUp = true;
      if (failTimer !== undefined) timers.clearTimeout(failTimer);
      failTimer = undefined;
      if (apOpen) wifi.stopAP();
      apOpen = false;
      if (options.ntp !== "") wifi.setSNTP(options.ntp, 0);
    }
    handlers.up(network);
    refreshTimer = timers.setTimeout(refresh, options.refreshMs);
  };
  const joined = (): void => {
    if (refreshTimer !== undefined) timers.clearTimeout(refreshTimer);
    refresh();
  };
  wifi.on("connected", joined);
  wifi.on("disconnected", () => {
    if (refreshTimer !== undefined) timers.clearTimeout(refreshTimer);
    refreshTimer = undefined;
    if (isUp) handlers.down();
    isUp = false;
    armFailTimer();
  });
  if (options.ssid === "") {
    timers.setTimeout(openAccessPoint, 0);
    return;
  }
  wifi.setHostname(options.apName);
  wifi.connect(options.ssid, { password: options.password }, (error) => {
    if (error) handlers.log("wifi: joining " + options.ssid + " failed: " + String(error));
  });
  armFailTimer();
}
