/**
 * The start-up both entry points share: read and check the configuration, open the
 * bounded store, boot the pure device, then bring up Wi-Fi, the MQTT session (with
 * `offline` as its retained last will), the web server (`web.ts`, loaded per request)
 * and the device's hardware.
 *
 * @module
 */

import type { DeviceEffect } from "../lib/device_effects.ts";
import type { NetworkInfo } from "../lib/ports.ts";
import { CONFIG_FILE, parseDeviceConfig } from "./config.ts";
import type { DeviceConfig } from "./config.ts";
import { startRuntime } from "./device_runtime.ts";
import type { DeviceDriver, HardwareRuntime, Runtime, RuntimeEvent } from "./device_runtime.ts";
import type { EspruinoGlobals, EspruinoWifi } from "./espruino_types.ts";
import { bootLogged, sessionConfig } from "./firmware_boot.ts";
import { createMqttNet } from "./mqtt_net.ts";
import type { MqttNet, MqttNetEvent } from "./mqtt_net.ts";
import type { Result } from "../lib/result.ts";
import { createStore, DEFAULT_STORE_LIMITS } from "./storage.ts";
import type { BoundedStore } from "./storage.ts";
import { startWifi, WIRED_NETWORK } from "./wifi.ts";
import { serveWeb } from "./web.ts";
import type { ChipWeb, WebView } from "./web_context.ts";
import { CHIP_HISTORY_SLOT_MS, CHIP_HISTORY_SLOTS, createChipHistory } from "./web_history.ts";
import { recordReading } from "./web_history_record.ts";
import { adoptConfiguredPassword } from "./web_port.ts";
import { settleFirmware } from "./web_update.ts";

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
  /** Starts the hardware's own work (sampling, sensor reading); `nowMs` is the clock. */
  hardware(runtime: HardwareRuntime<S, X>, config: DeviceConfig, nowMs: () => number): void;
  /** What the device page shows. */
  view: WebView;
}

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
  let parsed: Result<DeviceConfig> | undefined = parseDeviceConfig(
    storage.readJSON(CONFIG_FILE, true),
  );
  if (!parsed.ok || parsed.value.kind !== kind.kind) {
    log(CONFIG_FILE + ": " + (parsed.ok ? "kind is not " + kind.kind : parsed.error));
    return;
  }
  const config = parsed.value;
  // The closures below keep this scope: let the wrapper go (`undefined`, not `null`: on
  // Espruino each `null` is a variable).
  parsed = undefined;
  const nowMs = (): number => Math.floor(g.getTime() * 1000);
  const store = createStore(storage, nowMs, DEFAULT_STORE_LIMITS);
  let wifi: EspruinoWifi | null = null;
  try {
    wifi = g.require("Wifi");
  } catch (_error) {
    // Espruino's Linux build has no Wifi module: the network counts as up.
  }
  const driver = kind.driver(config);
  // Set below, before anything can reach the MQTT handlers (they run in later tasks).
  let runtime = null as unknown as Runtime<S, X>;
  // Events from the MQTT session are dispatched in a task of their own, in order: the
  // session's code is then no longer in memory while the device steps.
  const inbox: RuntimeEvent[] = [];
  let draining = false;
  // One function for the session's events and for the task that dispatches them (called
  // with no event): each resident function costs memory.
  const mqttEvent = (event?: MqttNetEvent): void => {
    if (event === undefined) {
      draining = false;
      while (inbox.length > 0) runtime.dispatch(inbox.shift() as RuntimeEvent);
      return;
    }
    if (event.type === "connected") log("mqtt connected");
    else if (event.type === "disconnected") log("mqtt down: " + event.reason);
    inbox.push(event);
    if (draining) return;
    draining = true;
    g.setTimeout(mqttEvent, 0);
  };
  let made: Result<MqttNet> | undefined = createMqttNet(
    sessionConfig(config),
    config.mqtt.host,
    config.mqtt.port,
    {
      net: g.require("net"),
      // Espruino's E functions need no `this`: no wrapper closures stay resident.
      toBytes: g.E.toUint8Array,
      toText: g.E.toString,
      nowMs: nowMs,
      setTimeout: g.setTimeout,
      clearTimeout: g.clearTimeout,
    },
    {
      event: mqttEvent,
      log: log,
    },
  );
  // The net's own functions, not closures around them: fewer functions stay resident.
  const mqtt = made.ok ? made.value : null;
  if (!made.ok) log("mqtt: " + made.error);
  made = undefined;
  runtime = startRuntime(driver, {
    publish: mqtt === null ? () => false : mqtt.publish,
    subscribe: mqtt === null ? () => {} : mqtt.subscribe,
    store: store,
    nowMs: nowMs,
    setTimeout: g.setTimeout,
    clearTimeout: g.clearTimeout,
    setInterval: g.setInterval,
    log: log,
  }, bootLogged(kind.boot(config, store, nowMs(), WIRED_NETWORK), log));
  if (mqtt === null) return;
  // Only the web (kind, id, password), the hardware and Wi-Fi's start read the
  // configuration from here on: let the rest go.
  const slim = config as Partial<DeviceConfig>;
  delete slim.mqtt;
  delete slim.name;
  delete slim.prefix;
  // The web server and what it keeps; its handling code loads per request.
  let web: ChipWeb | null = null;
  if (config.web.port > 0) {
    const served: ChipWeb = {
      g: g,
      config: config,
      storage: storage,
      store: store,
      runtime: runtime,
      step: driver.step,
      view: kind.view,
      history: createChipHistory(
        kind.view.series,
        CHIP_HISTORY_SLOTS,
        CHIP_HISTORY_SLOT_MS,
        kind.view.seriesScale,
      ),
      wifi: wifi,
      wifiStatus: { state: wifi === null ? "up" : "connecting", lastError: "" },
      auth: undefined,
      seed: "",
      updating: false,
      log: log,
    };
    web = served;
    try {
      g.require("http").createServer((req, res) => serveWeb(served, req, res)).listen(
        config.web.port,
      );
    } catch (error) {
      log("web: no server (" + String(error) + ")");
    }
    g.setTimeout(() => {
      settleFirmware(served);
      adoptConfiguredPassword(served);
    }, 0);
  }
  // Wi-Fi and MQTT start in a task of their own: the boot's code is out of memory then.
  // What only Wi-Fi needs is made in that task, so a board whose network does not come
  // and go (no Wi-Fi module) keeps none of it.
  g.setTimeout(() => {
    const setWifi = (state: string): void => {
      if (web !== null) web.wifiStatus.state = state;
    };
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
        setWifi("up");
        runtime.dispatch({ type: "network", nowMs: nowMs(), network: network });
        // The session starts (or retries) in a task of its own, without the device's code.
        g.setTimeout(mqtt.start, 0);
      },
      down: () => {
        setWifi("down");
        log("wifi down");
      },
      accessPoint: (name) => {
        setWifi("ap");
        log("wifi: access point " + name + " open for provisioning");
      },
      log: log,
    });
    // Read once (the web's setup reads and writes the saved file, not this object).
    delete (config as Partial<DeviceConfig>).wifi;
  }, 0);
  const view = kind.view;
  let hardwareRuntime: HardwareRuntime<S, X> = runtime;
  if (web !== null) {
    // Every reading also goes to the page's graph.
    const history = web.history;
    hardwareRuntime = {
      state: runtime.state,
      every: runtime.every,
      dispatch: (event) => {
        const effects = runtime.dispatch(event);
        const now = nowMs();
        recordReading(history, view.sample(runtime.state(), now), now);
        return effects;
      },
    };
  }
  kind.hardware(hardwareRuntime, config, nowMs);
  // The driver and the hardware keep what they use of their configuration: let it go.
  delete slim.plug;
  delete slim.fan;
  // `every` is for the hardware's start only: let its function go.
  delete (runtime as Partial<Runtime<S, X>>).every;
  delete (hardwareRuntime as Partial<HardwareRuntime<S, X>>).every;
  // The closures above keep this scope: let the boot and hardware functions go.
  kind = undefined as unknown as FirmwareKind<S, X>;
  g.setTimeout(() => {
    log(config.kind + " " + config.id + " up, " + g.process.memory().usage + " variables used");
  }, 0);
}
