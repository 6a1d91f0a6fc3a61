/**
 * The start-up both entry points share: read and check the configuration, open the
 * bounded store, boot the pure device, then bring up Wi-Fi, the MQTT session (with
 * `offline` as its retained last will) and the device's hardware.
 *
 * @module
 */

import type { DeviceEffect } from "../lib/device_effects.ts";
import type { MqttSessionConfig } from "../lib/mqtt_session.ts";
import type { NetworkInfo } from "../lib/ports.ts";
import { availabilityTopic, baseTopic } from "../lib/topics.ts";
import { encodeUtf8 } from "../lib/utf8.ts";
import { CONFIG_FILE, parseDeviceConfig } from "./config.ts";
import type { DeviceConfig } from "./config.ts";
import { startRuntime } from "./device_runtime.ts";
import type { DeviceDriver, Runtime } from "./device_runtime.ts";
import type { EspruinoGlobals, EspruinoWifi } from "./espruino_types.ts";
import { createMqttNet } from "./mqtt_net.ts";
import type { MqttNet } from "./mqtt_net.ts";
import { createStore, DEFAULT_STORE_LIMITS } from "./storage.ts";
import type { BoundedStore } from "./storage.ts";
import { startWifi, WIRED_NETWORK } from "./wifi.ts";

/** Firmware version announced in discovery. */
export const FIRMWARE_VERSION = "0.1.0";

/** Time to join the saved network before the provisioning access point opens. */
export const WIFI_FAIL_AFTER_MS = 30000;

/** What an entry point adds to the shared start-up. */
export interface FirmwareKind<S extends { bootMs: number }, X> {
  /** `plug` or `fan`. */
  kind: "plug" | "fan";
  /** Boots the pure device from the store. */
  boot(
    config: DeviceConfig,
    store: BoundedStore,
    nowMs: number,
    network: NetworkInfo,
  ): { state: S; effects: DeviceEffect[]; problems: string[] };
  /** The device's step functions and output driver. */
  driver(config: DeviceConfig): DeviceDriver<S, X>;
  /** Starts the hardware's own work (sampling, sensor reading). */
  hardware(runtime: Runtime<S, X>, config: DeviceConfig): void;
}

/**
 * The MQTT session configuration of a device.
 *
 * @param config The device configuration.
 * @returns Client id `<kind>-<id>`, credentials, and `offline` (retained) as the last will.
 * @example
 * ```ts
 * import { sessionConfig } from "./firmware.ts";
 * import { parseDeviceConfig } from "./config.ts";
 * import assert from "node:assert/strict";
 * const parsed = parseDeviceConfig({ kind: "fan", id: "bath", mqtt: { host: "h", username: "u" } });
 * assert.ok(parsed.ok);
 * const session = sessionConfig(parsed.value);
 * assert.equal(session.clientId, "fan-bath");
 * assert.equal(session.will?.topic, "fans/bath/availability");
 * assert.equal(session.password, undefined);
 * ```
 */
export function sessionConfig(config: DeviceConfig): MqttSessionConfig {
  const base = baseTopic(config.prefix, config.kind === "plug" ? "plugs" : "fans", config.id);
  const session: MqttSessionConfig = {
    clientId: config.kind + "-" + config.id,
    will: { topic: availabilityTopic(base), payload: encodeUtf8("offline"), qos: 1, retain: true },
    keepaliveMs: config.mqtt.keepaliveS * 1000,
    pingTimeoutMs: 15000,
    connectTimeoutMs: 20000,
    reconnectMinMs: 2000,
    reconnectMaxMs: 60000,
    resendAfterMs: 20000,
    maxInflight: 2,
    maxPacketBytes: 1024,
  };
  if (config.mqtt.username !== "") session.username = config.mqtt.username;
  if (config.mqtt.password !== "") session.password = encodeUtf8(config.mqtt.password);
  return session;
}

// A separate function, so no closure of startFirmware keeps the first state alive.
const bootLogged = <S>(
  booted: { state: S; effects: DeviceEffect[]; problems: string[] },
  log: (text: string) => void,
): { state: S; effects: DeviceEffect[] } => {
  for (const problem of booted.problems) log("storage: " + problem);
  return { state: booted.state, effects: booted.effects };
};

/**
 * Starts a device on Espruino.
 *
 * @param g The Espruino globals.
 * @param kind The device kind's boot, driver and hardware.
 * @example
 * ```ts ignore
 * import { startFirmware } from "./firmware.ts";
 * import { espruinoGlobals } from "./espruino_types.ts";
 * startFirmware(espruinoGlobals(), plugKind);
 * ```
 */
export function startFirmware<S extends { bootMs: number }, X>(
  g: EspruinoGlobals,
  kind: FirmwareKind<S, X>,
): void {
  const log = (text: string): void => g.print("[housegrid] " + text);
  const storage = g.require("Storage");
  const parsed = parseDeviceConfig(storage.readJSON(CONFIG_FILE, true));
  if (!parsed.ok || parsed.value.kind !== kind.kind) {
    log(CONFIG_FILE + ": " + (parsed.ok ? "kind is not " + kind.kind : parsed.error));
    return;
  }
  const config = parsed.value;
  const nowMs = (): number => Math.floor(g.getTime() * 1000);
  const store = createStore(storage, nowMs, DEFAULT_STORE_LIMITS);
  let wifi: EspruinoWifi | null = null;
  try {
    wifi = g.require("Wifi");
  } catch (_error) {
    // Espruino's Linux build has no Wifi module: the network counts as up.
  }
  let net: MqttNet | null = null;
  const runtime = startRuntime(kind.driver(config), {
    publish: (topic, payload, retain) => net !== null && net.publish(topic, payload, retain),
    subscribe: (filter) => {
      if (net !== null) net.subscribe(filter);
    },
    store: store,
    nowMs: nowMs,
    setTimeout: g.setTimeout,
    clearTimeout: g.clearTimeout,
    setInterval: g.setInterval,
    log: log,
  }, bootLogged(kind.boot(config, store, nowMs(), WIRED_NETWORK), log));
  const made = createMqttNet(sessionConfig(config), config.mqtt.host, config.mqtt.port, {
    net: g.require("net"),
    toBytes: (text) => g.E.toUint8Array(text),
    toText: (bytes) => g.E.toString(bytes),
    nowMs: nowMs,
    setTimeout: g.setTimeout,
    clearTimeout: g.clearTimeout,
  }, {
    connected: () => {
      log("mqtt connected");
      runtime.dispatch({ type: "connected", nowMs: nowMs() });
    },
    disconnected: (reason) => {
      log("mqtt down: " + reason);
      runtime.dispatch({ type: "disconnected", nowMs: nowMs() });
    },
    message: (topic, payload, retained) => {
      runtime.dispatch({ type: "message", nowMs: nowMs(), topic, payload, retained });
    },
    log: log,
  });
  if (!made.ok) {
    log("mqtt: " + made.error);
    return;
  }
  net = made.value;
  const mqtt = made.value;
  let started = false;
  startWifi(wifi, { setTimeout: g.setTimeout, clearTimeout: g.clearTimeout }, {
    ssid: config.wifi.ssid,
    password: config.wifi.password,
    apName: "housegrid-" + config.id,
    apPassword: config.wifi.apPassword,
    failAfterMs: WIFI_FAIL_AFTER_MS,
    refreshMs: 60000,
    ntp: config.wifi.ntp,
  }, {
    up: (network) => {
      runtime.dispatch({ type: "network", nowMs: nowMs(), network: network });
      if (!started) mqtt.start();
      else mqtt.retryNow();
      started = true;
    },
    down: () => log("wifi down"),
    accessPoint: (name) => log("wifi: access point " + name + " open for provisioning"),
    log: log,
  });
  kind.hardware(runtime, config);
  log(config.kind + " " + config.id + " up, " + g.process.memory().usage + " variables used");
}
