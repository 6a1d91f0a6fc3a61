/**
 * What the firmware keeps for its web page between requests: the device's runtime and
 * store, the login state, the graph's history, the Wi-Fi status and the random seed. It
 * is plain data made by `firmware.ts` (resident); the code that serves requests
 * (`web.ts` and its helpers) is loaded only while a request is served.
 *
 * @module
 */

import type { DeviceEffect } from "../lib/device_effects.ts";
import type { FanSettings, PlugSettings } from "../lib/settings.ts";
import type { WebAuthState } from "../lib/web_auth.ts";
import type { DeviceConfig } from "./config.ts";
import type { EspruinoGlobals, EspruinoStorage, EspruinoWifi } from "./espruino_types.ts";
import type { BoundedStore } from "./storage.ts";
import type { ChipHistory } from "./web_history.ts";

/** The device state fields the page reads, whatever the kind. */
export interface WebDeviceState {
  /** `<prefix><kind>/<id>`. */
  base: string;
  /** Current settings. */
  settings: PlugSettings | FanSettings;
  /** Whether the MQTT session is up. */
  connected: boolean;
  /** Wi-Fi facts. */
  network: { rssiDbm: number; ssid: string; ip: string; mac: string };
}

/** A device event the page may feed (an MQTT command, as if it came from the broker). */
export interface WebCommandEvent {
  /** Always `message`. */
  type: "message";
  /** When. */
  nowMs: number;
  /** `<base>/commands/<param>`. */
  topic: string;
  /** The command's text, as bytes. */
  payload: Uint8Array;
  /** Always `false`. */
  retained: boolean;
}

/** The Wi-Fi as the page shows it. */
export interface WebWifiStatus {
  /** `ap`, `connecting`, `up` or `down`. */
  state: string;
  /** Why the last join failed, or `""`. */
  lastError: string;
}

/** What a device kind shows on its page. */
export interface WebView {
  /** The states as `api/state` shows them (no settings, no network). */
  pageStates(state: unknown, nowMs: number): Record<string, unknown>;
  /** The graph's series, e.g. `["power"]`. */
  series: string[];
  /** Fixed-point scale the graph keeps them in (see `ChipHistory.scale`). */
  seriesScale: number;
  /** One reading of each series from the state (NaN when none). */
  sample(state: unknown, nowMs: number): number[];
}

/** Everything the web code needs, kept by the firmware. */
export interface ChipWeb {
  /** The Espruino globals. */
  g: EspruinoGlobals;
  /** The device configuration. */
  config: DeviceConfig;
  /** `require("Storage")`. */
  storage: EspruinoStorage;
  /** The device's bounded store (settings, the web account, ...). */
  store: BoundedStore;
  /** The running device (its state has at least the {@linkcode WebDeviceState} fields). */
  runtime: {
    state(): unknown;
    dispatch(event: WebCommandEvent): DeviceEffect[];
    busy(): boolean;
  };
  /**
   * The pure step, to learn offline whether a command would be refused without applying it
   * (its states deferred: a refusal is in its other effects).
   */
  step(state: unknown, event: WebCommandEvent, deferStates: boolean): { effects: DeviceEffect[] };
  /** The device kind's view for the page. */
  view: WebView;
  /** The graph's readings. */
  history: ChipHistory;
  /** `require("Wifi")`, or `null` on a board without it. */
  wifi: EspruinoWifi | null;
  /** The Wi-Fi's status, updated by the firmware. */
  wifiStatus: WebWifiStatus;
  /** Sessions and login limits; `undefined` until the first request needs them. */
  auth: WebAuthState | undefined;
  /** The random generator's running seed. */
  seed: string;
  /** Whether a firmware upload is being received. */
  updating: boolean;
  /** A console line. */
  log(text: string): void;
}
