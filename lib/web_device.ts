/**
 * The device as the web API sees it: a port its adapter implements (the simulator now,
 * the Espruino firmware later), the randomness and hashing lib/ cannot do itself, and the
 * state view that `/api/state` and the WebSocket send.
 *
 * @module
 */

import type { DeriveKey } from "./web_account.ts";
import { signalBars } from "./web_forms.ts";
import type { FanSettings, PlugSettings } from "./settings.ts";
import type { DeviceKind } from "./topics.ts";
import type { TextParts } from "./web_http.ts";

/** A device's Wi-Fi as the page may see it (never the password). */
export interface WebWifi {
  /** `ap`, `connecting`, `up` or `down`. */
  state: string;
  /** The access point's name while unprovisioned. */
  apSsid: string;
  /** The network joined (the own access point's name in AP mode). */
  ssid: string;
  /** IPv4 address. */
  ip: string;
  /** MAC address. */
  mac: string;
  /** Signal strength; 0 without a link. */
  rssiDbm: number;
  /** Why the last join failed, or `""`. */
  lastError: string;
}

/** The firmware a device runs. */
export interface WebFirmware {
  /** Version text. */
  version: string;
  /** SHA-256 (hex) of the last bundle applied through the page, or `null`. */
  sha256: string | null;
}

/** What the API reads from a device, by name: see {@linkcode WebDevicePort.read}. */
export interface WebDeviceFacts {
  /** Whether the device has power (its API answers 503 without). */
  powered: boolean;
  /** Whether its MQTT session is up. */
  connected: boolean;
  /** Its public states (no settings, no network), JSON-ready. */
  states: Record<string, unknown>;
  /** Its current settings. */
  settings: PlugSettings | FanSettings;
  /** Its Wi-Fi. */
  wifi: WebWifi;
  /** Its firmware. */
  firmware: WebFirmware;
  /**
   * The last 10 minutes of readings as JSON text (`{slotMs, startMs, <series>: [...]}`):
   * text, because the chip writes it a number at a time rather than hold its arrays; or
   * that text in parts, which the chip sends as it makes them rather than hold it whole.
   */
  history: string | TextParts;
  /** The stored account record (`web_account`), or `null`. */
  account: string | null;
}

/** What the API needs from a device: the port its adapter implements. */
export interface WebDevicePort {
  /** `plugs` or `fans`. */
  kind: DeviceKind;
  /** Device id. */
  id: string;
  /**
   * Reads one fact about the device. One method for every read, not one each: the chip
   * makes a port per request, and each method is a function object in its RAM (some 7 of
   * an ESP8266's 1,600 variables).
   */
  read<K extends keyof WebDeviceFacts>(fact: K): WebDeviceFacts[K];
  /** Feeds an MQTT command through the device; the rejection text, or `null`. */
  command(param: string, payload: string): string | null;
  /** Starts joining a network; an error text, or `null`. */
  joinWifi(ssid: string, password: string): string | null;
  /** Stores the account record. */
  writeAccount(text: string): void;
}

/** Randomness and hashing, which lib/ cannot do itself. */
export interface WebSecrets {
  /** Returns `bytes` random bytes as hex, from a cryptographic source. */
  randomHex(bytes: number): string;
  /** Password hashing: PBKDF2-SHA256, or the hashes to make and check PBKDF2-SHA1 records. */
  derive: DeriveKey;
  /** Iterations for new passwords. */
  iterations: number;
}

/**
 * The device's state as `/api/state` and the WebSocket send it.
 *
 * @param device The device.
 * @returns Kind, id, MQTT link, states, network, Wi-Fi and firmware; never a password.
 * @example
 * ```ts
 * import { deviceStateView, type WebDevicePort } from "./web_device.ts";
 * import assert from "node:assert/strict";
 * const facts: Record<string, unknown> = {
 *   powered: true, connected: true, states: { on: true },
 *   wifi: { state: "up", apSsid: "housegrid-plug1", ssid: "home", ip: "10.0.0.2",
 *     mac: "5C:CF:7F:00:00:01", rssiDbm: -60, lastError: "" },
 *   firmware: { version: "1.0.0", sha256: null },
 * };
 * const device = {
 *   kind: "plugs", id: "plug1", read: (fact: string) => facts[fact],
 * } as unknown as WebDevicePort;
 * const view = deviceStateView(device);
 * assert.deepEqual(view.states, { on: true });
 * assert.equal((view.network as { bars: number }).bars, 3);
 * ```
 */
export function deviceStateView(device: WebDevicePort): Record<string, unknown> {
  const wifi = device.read("wifi");
  const up = wifi.state === "up";
  return {
    kind: device.kind,
    id: device.id,
    powered: device.read("powered"),
    connected: device.read("connected"),
    states: device.read("states"),
    network: {
      rssiDbm: up ? wifi.rssiDbm : null,
      bars: up ? signalBars(wifi.rssiDbm) : 0,
      ssid: wifi.ssid,
      ip: wifi.ip,
      mac: wifi.mac,
    },
    wifi: { state: wifi.state, apSsid: wifi.apSsid, lastError: wifi.lastError },
    firmware: device.read("firmware"),
  };
}
