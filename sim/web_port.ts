/**
 * A simulated device behind the web API's device port ({@linkcode WebDevicePort}): its
 * states, settings, Wi-Fi, firmware record, 10-minute history, command path and store.
 *
 * A network given through the page is saved (store key `wifi`) only once the device has
 * joined it, so a mistyped password never replaces a network that works.
 *
 * @module
 */

import type { Clock, KeyValueStore } from "../lib/ports.ts";
import type { WebDeviceFacts, WebDevicePort, WebWifi } from "../lib/web_device.ts";
import type { SimDevice } from "./device.ts";
import { SimFan } from "./fan.ts";
import { readFirmware } from "./firmware_record.ts";
import { SimPlug } from "./plug.ts";

/** Store key of the web account (salted password hash). */
export const ACCOUNT_KEY = "web_account";

/** Store key of the saved Wi-Fi network (shared with sim/device.ts). */
export const WIFI_KEY = "wifi";

/** Window of the running mean of the plug's power graph. */
export const POWER_MEAN_WINDOW_MS = 60000;

/** Any simulated device, whatever its pure state. */
export type AnySimDevice = SimDevice<unknown, never>;

const nullable = (values: number[]): (number | null)[] =>
  values.map((value) => isNaN(value) ? null : Math.round(value * 100) / 100);

// What `GET api/history` answers: the plug's power with its running mean, the fan's
// humidity and temperature.
const historyOf = (device: AnySimDevice, now: number): Record<string, unknown> => {
  if (device instanceof SimPlug) {
    const series = device.history.series(now, POWER_MEAN_WINDOW_MS);
    return {
      slotMs: series.slotMs,
      startMs: series.startMs,
      meanWindowMs: POWER_MEAN_WINDOW_MS,
      power: nullable(series.values),
      mean: nullable(series.means),
    };
  }
  if (device instanceof SimFan) {
    const humidity = device.humidityHistory.series(now, 0);
    const temperature = device.temperatureHistory.series(now, 0);
    return {
      slotMs: humidity.slotMs,
      startMs: humidity.startMs,
      humidity: nullable(humidity.values),
      temperature: nullable(temperature.values),
    };
  }
  return {};
};

/**
 * Wraps a simulated device as the web API's device port.
 *
 * @param device The device.
 * @param store The device's store (the same folder the device uses).
 * @param clock The fleet's virtual clock.
 * @returns The port, and a `stop` that detaches its listener.
 */
export function simWebPort(
  device: AnySimDevice,
  store: KeyValueStore,
  clock: Clock,
): WebDevicePort & { stop(): void } {
  let pending: { ssid: string; password: string } | null = null;
  const stopWatching = device.onChange(() => {
    if (pending === null) return;
    const wifi = device.wifi;
    if (wifi.state === "up" && wifi.ssid === pending.ssid && wifi.lastError === "") {
      store.write(WIFI_KEY, JSON.stringify(pending));
      pending = null;
    } else if (wifi.state !== "connecting" && wifi.lastError !== "") {
      pending = null;
    }
  });
  const view = (): Record<string, unknown> => device.view();
  const facts: { [K in keyof WebDeviceFacts]: () => WebDeviceFacts[K] } = {
    powered: () => device.powered,
    connected: () => device.connected,
    states() {
      const states = (view().states ?? {}) as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(states)) if (value !== undefined) out[key] = value;
      const settings = view().settings as { maxSpeed?: number } | undefined;
      if (device.kind === "fans" && settings?.maxSpeed !== undefined) {
        out.maxSpeed = settings.maxSpeed;
      }
      return out;
    },
    settings: () => view().settings as WebDeviceFacts["settings"],
    wifi(): WebWifi {
      const info = device.wifi.info();
      return {
        state: info.state,
        apSsid: info.apSsid,
        ssid: info.ssid,
        ip: info.ip,
        mac: info.mac,
        rssiDbm: info.rssiDbm,
        lastError: info.lastError,
      };
    },
    firmware: () => readFirmware(store),
    history: () => JSON.stringify(historyOf(device, clock.nowMs())),
    account: () => store.read(ACCOUNT_KEY),
  };
  return {
    kind: device.kind,
    id: device.id,
    read: (fact) => facts[fact](),
    command: (param, payload) => device.command(param, payload),
    joinWifi(ssid, password) {
      const joined = device.wifi.join(ssid, password, clock.nowMs());
      if (!joined.ok) return joined.error;
      pending = { ssid, password };
      return null;
    },
    writeAccount: (text) => store.write(ACCOUNT_KEY, text),
    stop: stopWatching,
  };
}
