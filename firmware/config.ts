/**
 * Device configuration: what a board is (plug or fan), its id, pins, calibration, the
 * broker and the accounts. The flash task writes it to Storage as `housegrid.json`; the
 * firmware reads it at boot. {@linkcode parseDeviceConfig} fills defaults and names
 * every bad field, and runs in both places (it is in the Espruino subset).
 *
 * Calibration and the fan's speed count live here, not in the MQTT settings, because
 * they belong to the hardware: the firmware applies them over the stored settings at
 * every boot.
 *
 * @module
 */

import { err, ok, type Result } from "../lib/result.ts";
import { isValidDeviceId } from "../lib/topics.ts";

/** Storage file holding the configuration. */
export const CONFIG_FILE = "housegrid.json";

/** Wi-Fi: the network to join, and the access point opened when that fails. */
export interface WifiConfig {
  /** Network to join; `""` when not provisioned (the access point opens at once). */
  ssid: string;
  /** Its password. */
  password: string;
  /** Password of the provisioning access point; `""` leaves it open. */
  apPassword: string;
  /** SNTP server for the clock (energy days); `""` for none. */
  ntp: string;
}

/** The MQTT broker. */
export interface MqttConfig {
  /** Host name or address. */
  host: string;
  /** TCP port. */
  port: number;
  /** User name, `""` for none. */
  username: string;
  /** Password, `""` for none. */
  password: string;
  /** Keep-alive in whole seconds. */
  keepaliveS: number;
}

/** The device's web page. */
export interface WebAccount {
  /** User name (informational: the page asks for the password only). */
  user: string;
  /**
   * Password; when given, it replaces the page's password at the next boot and is then
   * removed from the stored file. `""` keeps the current one (or the first-run form).
   */
  password: string;
  /** HTTP port; 0 turns the web server off. */
  port: number;
}

/** Pins and calibration of a plug. */
export interface PlugHardware {
  /** Relay output pin, e.g. `D12`. */
  relayPin: string;
  /** Whether a high level closes the relay. */
  relayActiveHigh: boolean;
  /** Current-sensing analog pin, `A0` on an ESP8266. */
  adcPin: string;
  /** Amperes per ADC count (10-bit counts). */
  currentGainA: number;
  /** Mains voltage assumed (only current is measured). */
  nominalVoltageV: number;
  /** Mains frequency. */
  mainsHz: number;
  /** Samples per measurement. */
  burstSamples: number;
  /** Samples taken in one go before yielding to Wi-Fi. */
  sliceSamples: number;
  /** Time between measurements. */
  measurePeriodMs: number;
}

/** Pins and sensor of a fan. */
export interface FanHardware {
  /** One output per speed step, slowest first (its length is the fan's top speed). */
  speedPins: string[];
  /** Whether a high level switches a speed on. */
  activeHigh: boolean;
  /** BME280 data pin. */
  sdaPin: string;
  /** BME280 clock pin. */
  sclPin: string;
  /** BME280 I2C address (0x76 or 0x77). */
  sensorAddress: number;
  /** Time between sensor readings. */
  readPeriodMs: number;
}

/** A whole device configuration. */
export interface DeviceConfig {
  /** `plug` or `fan`. */
  kind: "plug" | "fan";
  /** Device id, `[a-z0-9_-]`, 1 to 32 characters. */
  id: string;
  /** Name shown in Home Assistant. */
  name: string;
  /** Topic prefix, empty or ending with `/`. */
  prefix: string;
  /** Wi-Fi. */
  wifi: WifiConfig;
  /** Broker. */
  mqtt: MqttConfig;
  /** Web login. */
  web: WebAccount;
  /** Plug hardware (kind `plug` only). */
  plug: PlugHardware | null;
  /** Fan hardware (kind `fan` only). */
  fan: FanHardware | null;
}

type Fields = Record<string, unknown>;

const PIN_PATTERN = /^[AD][0-9]+$/;

/** Reads fields of one object, noting every problem with its path. */
const reader = (problems: string[], source: unknown, path: string) => {
  const fields: Fields = typeof source === "object" && source !== null ? source as Fields : {};
  if (source !== undefined && fields !== source) {
    problems.push(path.slice(0, path.length - 1) + " must be an object");
  }
  const bad = (key: string, what: string, value: unknown): void => {
    problems.push(path + key + " must be " + what + ", got " + JSON.stringify(value));
  };
  const text = (key: string, fallback: string): string => {
    const value = fields[key];
    if (value === undefined) return fallback;
    if (typeof value !== "string" || value.length > 64) {
      bad(key, "text (64 characters at most)", value);
    }
    return String(value);
  };
  const number = (key: string, fallback: number, min: number, max: number): number => {
    const value = fields[key];
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !(value >= min && value <= max)) {
      bad(key, "a number from " + min + " to " + max, value);
      return fallback;
    }
    return value;
  };
  const whole = (key: string, fallback: number, min: number, max: number): number => {
    const value = number(key, fallback, min, max);
    if (Math.floor(value) !== value) bad(key, "a whole number", value);
    return value;
  };
  const flag = (key: string, fallback: boolean): boolean => {
    const value = fields[key];
    if (value === undefined) return fallback;
    if (typeof value !== "boolean") bad(key, "true or false", value);
    return value === true;
  };
  const pin = (key: string, fallback: string): string => {
    const value = text(key, fallback);
    if (!PIN_PATTERN.test(value)) bad(key, "a pin name like D12 or A0", value);
    return value;
  };
  return { fields, text, number, whole, flag, pin, bad };
};

const readPlugHardware = (
  problems: string[],
  pins: unknown,
  calibration: unknown,
): PlugHardware => {
  const p = reader(problems, pins, "pins.");
  const c = reader(problems, calibration, "calibration.");
  return {
    relayPin: p.pin("relay", "D12"),
    relayActiveHigh: p.flag("relayActiveHigh", true),
    adcPin: p.pin("adc", "A0"),
    // The ranges of the matching settings in lib/settings_schema.ts.
    currentGainA: c.number("currentGainA", 0.05, 0.000001, 100000),
    nominalVoltageV: c.number("nominalVoltageV", 230, 50, 300),
    mainsHz: c.number("mainsHz", 50, 40, 70),
    burstSamples: c.whole("burstSamples", 200, 10, 1000),
    sliceSamples: c.whole("sliceSamples", 50, 1, 1000),
    measurePeriodMs: c.whole("measurePeriodMs", 1000, 200, 600000),
  };
};

const readFanHardware = (problems: string[], pins: unknown, sensor: unknown): FanHardware => {
  const p = reader(problems, pins, "pins.");
  const s = reader(problems, sensor, "sensor.");
  let speedPins = ["D12"];
  const speeds = p.fields.speeds;
  if (speeds !== undefined) {
    const valid = Array.isArray(speeds) && speeds.length >= 1 && speeds.length <= 8 &&
      speeds.every((name) => typeof name === "string" && PIN_PATTERN.test(name));
    if (valid) speedPins = speeds as string[];
    else p.bad("speeds", "1 to 8 pin names like D12, slowest first", speeds);
  }
  return {
    speedPins: speedPins,
    activeHigh: p.flag("activeHigh", true),
    sdaPin: p.pin("sda", "D4"),
    sclPin: p.pin("scl", "D5"),
    sensorAddress: s.whole("address", 0x76, 0x76, 0x77),
    readPeriodMs: s.whole("periodMs", 10000, 1000, 600000),
  };
};

/**
 * Checks a configuration object and fills its defaults.
 *
 * @param value Parsed JSON (e.g. from `housegrid.json`).
 * @returns The complete configuration, or every problem found, each naming its field.
 * @example
 * ```ts
 * import { parseDeviceConfig } from "./config.ts";
 * import assert from "node:assert/strict";
 * const parsed = parseDeviceConfig({ kind: "plug", id: "desk", mqtt: { host: "10.0.0.5" } });
 * assert.ok(parsed.ok);
 * assert.equal(parsed.value.mqtt.port, 1883);
 * assert.equal(parsed.value.plug?.relayPin, "D12");
 * const bad = parseDeviceConfig({ kind: "plug", id: "Desk!", mqtt: { host: "h", port: 0 } });
 * assert.equal(bad.ok, false);
 * assert.match(bad.ok ? "" : bad.error, /id must be 1 to 32 of a-z 0-9 _ -/);
 * assert.match(bad.ok ? "" : bad.error, /mqtt.port must be a number from 1 to 65535, got 0/);
 * ```
 */
export function parseDeviceConfig(value: unknown): Result<DeviceConfig> {
  const problems: string[] = [];
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return err("the configuration must be a JSON object");
  }
  const top = reader(problems, value, "");
  const kind = top.fields.kind;
  if (kind !== "plug" && kind !== "fan") top.bad("kind", '"plug" or "fan"', kind);
  const id = top.text("id", "");
  if (!isValidDeviceId(id) || id === "") top.bad("id", "1 to 32 of a-z 0-9 _ -", id);
  const prefix = top.text("prefix", "");
  if (prefix !== "" && (prefix.charAt(prefix.length - 1) !== "/" || /[+#]/.test(prefix))) {
    top.bad("prefix", "empty or end with / (no + or #)", prefix);
  }
  const w = reader(problems, top.fields.wifi, "wifi.");
  const wifi: WifiConfig = {
    ssid: w.text("ssid", ""),
    password: w.text("password", ""),
    apPassword: w.text("apPassword", ""),
    ntp: w.text("ntp", "pool.ntp.org"),
  };
  if (wifi.apPassword !== "" && wifi.apPassword.length < 8) {
    w.bad("apPassword", "empty (open) or 8 characters at least", wifi.apPassword);
  }
  const m = reader(problems, top.fields.mqtt, "mqtt.");
  const mqtt: MqttConfig = {
    host: m.text("host", ""),
    port: m.whole("port", 1883, 1, 65535),
    username: m.text("username", ""),
    password: m.text("password", ""),
    keepaliveS: m.whole("keepaliveS", 60, 5, 3600),
  };
  if (mqtt.host === "") m.bad("host", "a host name or address", mqtt.host);
  const account = reader(problems, top.fields.web, "web.");
  const web: WebAccount = {
    user: account.text("user", "admin"),
    password: account.text("password", ""),
    port: account.whole("port", 80, 0, 65535),
  };
  const config: DeviceConfig = {
    kind: kind === "fan" ? "fan" : "plug",
    id: id,
    name: top.text("name", id),
    prefix: prefix,
    wifi: wifi,
    mqtt: mqtt,
    web: web,
    plug: kind === "plug"
      ? readPlugHardware(problems, top.fields.pins, top.fields.calibration)
      : null,
    fan: kind === "fan" ? readFanHardware(problems, top.fields.pins, top.fields.sensor) : null,
  };
  return problems.length === 0 ? ok(config) : err(problems.join("; "));
}

/**
 * A plug's hardware section (a parsed plug configuration always has one).
 *
 * @param config A parsed plug configuration.
 * @returns Its `plug` section.
 * @example
 * ```ts
 * import { parseDeviceConfig, plugHardware } from "./config.ts";
 * import assert from "node:assert/strict";
 * const parsed = parseDeviceConfig({ kind: "plug", id: "desk", mqtt: { host: "10.0.0.5" } });
 * assert.equal(parsed.ok && plugHardware(parsed.value).relayPin, "D12");
 * ```
 */
export function plugHardware(config: DeviceConfig): PlugHardware {
  return config.plug as PlugHardware;
}

/**
 * A fan's hardware section (a parsed fan configuration always has one).
 *
 * @param config A parsed fan configuration.
 * @returns Its `fan` section.
 * @example
 * ```ts
 * import { fanHardware, parseDeviceConfig } from "./config.ts";
 * import assert from "node:assert/strict";
 * const parsed = parseDeviceConfig({ kind: "fan", id: "bath", mqtt: { host: "10.0.0.5" } });
 * assert.ok(parsed.ok && fanHardware(parsed.value).speedPins.length > 0);
 * ```
 */
export function fanHardware(config: DeviceConfig): FanHardware {
  return config.fan as FanHardware;
}
