/**
 * The chip's side of the web API (`lib/web_api.ts`): the device port over the running
 * firmware, and the secrets (random tokens, PBKDF2) from `web_crypto.ts`.
 *
 * Commands from the page go through the device's MQTT command path, as in the
 * simulator: connected, the device refuses a command on `<base>/errors` as it would one
 * from MQTT, and that is the page's answer; offline, the pure step is first run on a copy
 * as if connected to learn the refusal text, and only an accepted command is fed.
 *
 * Passwords: PBKDF2-SHA256, iterations chosen on the device to fit
 * {@linkcode PBKDF2_BUDGET_MS} (see `web_crypto.ts`). A `web.password` in the
 * configuration (`housegrid.json`, from the flash task) replaces the account at boot and
 * is then removed from the file, so the plain password does not stay in flash.
 *
 * @module
 */

import { rejectionIn } from "../lib/device_effects.ts";
import { createAccount, encodeAccount } from "../lib/web_account.ts";
import type { DeriveKey } from "../lib/web_account.ts";
import type { WebDeviceFacts, WebDevicePort, WebSecrets, WebWifi } from "../lib/web_device.ts";
import type { EspruinoCrypto } from "./espruino_types.ts";
import type { ChipWeb, WebCommandEvent, WebDeviceState } from "./web_context.ts";
import { chipAccountHashing, chooseIterations, randomHex } from "./web_crypto.ts";
import { historyParts } from "./web_history.ts";
import { storeRead, storeWrite } from "./storage.ts";
import { FIRMWARE_VERSION } from "./version.ts";

/** Store key of the web account (as in the simulator). */
export const ACCOUNT_KEY = "web_account";

/** Store key of the firmware record (`{version, sha256, sizeBytes, state}`). */
export const FIRMWARE_KEY = "firmware";

/** Time one password derivation may take on the device (one task, Wi-Fi waiting). */
export const PBKDF2_BUDGET_MS = 300;

/** Most PBKDF2 iterations used, however fast the device (the simulator's count). */
export const MAX_PBKDF2_ITERATIONS = 150000;

/** Slots in the plug graph's running mean (1 minute of 10 s slots). */
export const POWER_MEAN_SLOTS = 6;

/** ESP8266's hardware random number register (noise from the radio). */
const ESP8266_RANDOM_REGISTER = 0x3ff20e44;

/**
 * The chip's clock in whole milliseconds (wall-clock time once SNTP has set it).
 *
 * @param web The firmware's web context.
 * @returns Now, ms.
 * @example
 * ```ts
 * import { nowMsOf } from "./web_port.ts";
 * import type { ChipWeb } from "./web_context.ts";
 * import assert from "node:assert/strict";
 * const web = { g: { getTime: () => 1700000000.1234 } } as unknown as ChipWeb;
 * assert.equal(nowMsOf(web), 1700000000123);
 * ```
 */
export function nowMsOf(web: ChipWeb): number {
  return Math.floor(web.g.getTime() * 1000);
}

const stateOf = (web: ChipWeb): WebDeviceState => web.runtime.state() as WebDeviceState;

/**
 * `require("crypto")`, or `null` on a build without it.
 *
 * @param web The firmware's web context.
 * @returns The module or `null`.
 */
export function cryptoOf(web: ChipWeb): EspruinoCrypto | null {
  try {
    return web.g.require("crypto");
  } catch (_error) {
    return null;
  }
}

const noiseOf = (web: ChipWeb): string => {
  const g = web.g;
  let noise = String(g.getTime()) + ":" + Math.random();
  if (typeof g.E.hwRand === "function") noise += ":" + g.E.hwRand();
  const env = g.process.env;
  const board = env === undefined || typeof env.BOARD !== "string" ? "" : env.BOARD;
  if (board.indexOf("ESP8266") === 0 && typeof g.peek32 === "function") {
    noise += ":" + g.peek32(ESP8266_RANDOM_REGISTER);
  }
  return noise;
};

/**
 * The randomness and hashing the API needs, on this chip.
 *
 * @param web The firmware's web context (its seed moves on with every token).
 * @returns The secrets; `iterations` is measured when first read (new passwords only).
 */
export function chipSecrets(web: ChipWeb): WebSecrets {
  const crypto = cryptoOf(web);
  const sha1 = crypto !== null && typeof crypto.SHA1 === "function"
    ? (data: string) =>
      web.g.E.toString(new Uint8Array((crypto.SHA1 as (d: string) => ArrayBuffer)(data)))
    : null;
  // Made when first used: most requests hash nothing, and the hashing code is large.
  let derive: DeriveKey | null = null;
  const deriveKey = (): DeriveKey => {
    if (derive === null) derive = chipAccountHashing(crypto);
    return derive;
  };
  let iterations = 0;
  return {
    randomHex: (bytes) => {
      const source = { sha1: sha1, noise: () => noiseOf(web), seed: web.seed };
      const hex = randomHex(source, bytes);
      web.seed = source.seed;
      return hex;
    },
    get derive(): DeriveKey {
      return deriveKey();
    },
    get iterations(): number {
      if (iterations === 0) {
        iterations = chooseIterations(
          deriveKey(),
          () => web.g.getTime() * 1000,
          PBKDF2_BUDGET_MS,
          MAX_PBKDF2_ITERATIONS,
        );
        web.log("web: new passwords use " + iterations + " PBKDF2 iterations");
      }
      return iterations;
    },
  };
}

const wifiOf = (web: ChipWeb): WebWifi => {
  const network = stateOf(web).network;
  const apSsid = "housegrid-" + web.config.id;
  const status = web.wifiStatus;
  return {
    state: status.state,
    apSsid: apSsid,
    ssid: status.state === "ap" ? apSsid : network.ssid,
    ip: network.ip,
    mac: network.mac,
    rssiDbm: network.rssiDbm,
    lastError: status.lastError,
  };
};

const firmwareOf = (web: ChipWeb): { version: string; sha256: string | null } => {
  const record = storeRead(web.store, FIRMWARE_KEY);
  let sha256: string | null = null;
  if (record !== null) {
    try {
      const parsed = JSON.parse(record);
      if (parsed !== null && typeof parsed.sha256 === "string") sha256 = parsed.sha256;
    } catch (_error) {
      sha256 = null;
    }
  }
  return { version: FIRMWARE_VERSION, sha256: sha256 };
};

// Offline, what the device would answer on `<base>/errors` to `event`, stepped as if
// connected on a copy of its state, or `null`. A function of its own so that the trial
// step's state and effects are let go before the real one runs: on an ESP8266 both at once
// do not fit.
const rejection = (web: ChipWeb, event: WebCommandEvent): string | null => {
  const state = stateOf(web);
  return rejectionIn(
    state.base,
    web.step(Object.assign({}, state, { connected: true }), event, true).effects,
  );
};

// Connected, the device answers a refusal on `<base>/errors` itself, as it does a refused
// MQTT command: one step, not two.
const command = (web: ChipWeb, param: string, payload: string): string | null => {
  const base = stateOf(web).base;
  const event: WebCommandEvent = {
    type: "message",
    nowMs: nowMsOf(web),
    topic: base + "/commands/" + param,
    payload: web.g.E.toUint8Array(payload),
    retained: false,
  };
  if (!stateOf(web).connected) {
    const refusal = rejection(web, event);
    if (refusal !== null) return refusal;
  }
  return rejectionIn(base, web.runtime.dispatch(event));
};

// Saves a network in the configuration once joined, so it survives restarts.
const rememberNetwork = (web: ChipWeb, ssid: string, password: string): void => {
  const config = web.storage.readJSON("housegrid.json", true) as Record<string, unknown>;
  if (config === undefined || config === null || typeof config !== "object") return;
  const wifi = typeof config.wifi === "object" && config.wifi !== null ? config.wifi : {};
  config.wifi = Object.assign({}, wifi, { ssid: ssid, password: password });
  web.storage.writeJSON("housegrid.json", config);
};

const joinWifi = (web: ChipWeb, ssid: string, password: string): string | null => {
  const wifi = web.wifi;
  if (wifi === null) return "this board has no Wi-Fi module";
  const status = web.wifiStatus;
  const before = status.state;
  status.state = "connecting";
  status.lastError = "";
  wifi.connect(ssid, { password: password }, (error) => {
    if (error) {
      status.lastError = "joining " + ssid + " failed: " + String(error);
      if (status.state === "connecting") status.state = before;
      return;
    }
    rememberNetwork(web, ssid, password);
  });
  return null;
};

// A port is its firmware context and these methods, shared by every request's port and
// reading the context from `this`: on an ESP8266 each closure made per request holds its own
// copy of its scope chain, and a port of 11 closures took some 120 variables per request.
// One method answers every read (a switch, not a function per fact): each function object
// costs some 7 variables.
interface ChipPort extends WebDevicePort {
  web: ChipWeb;
}

function portRead(this: ChipPort, fact: keyof WebDeviceFacts): WebDeviceFacts[typeof fact] {
  const web = this.web;
  switch (fact) {
    case "powered":
      return true;
    case "connected":
      return stateOf(web).connected;
    case "states":
      return web.view.pageStates(web.runtime.state(), nowMsOf(web));
    case "settings":
      return stateOf(web).settings;
    case "wifi":
      return wifiOf(web);
    case "firmware":
      return firmwareOf(web);
    case "history":
      return historyParts(web.history, nowMsOf(web), this.kind === "plugs" ? POWER_MEAN_SLOTS : 0);
    case "account":
      return storeRead(web.store, ACCOUNT_KEY);
  }
}

function portCommand(this: ChipPort, param: string, payload: string): string | null {
  return command(this.web, param, payload);
}

function portJoinWifi(this: ChipPort, ssid: string, password: string): string | null {
  return joinWifi(this.web, ssid, password);
}

function portWriteAccount(this: ChipPort, text: string): void {
  storeWrite(this.web.store, ACCOUNT_KEY, text);
}

/**
 * The device port of the web API over the running firmware.
 *
 * @param web The firmware's web context.
 * @returns The port (made per request; it holds nothing of its own).
 */
export function chipPort(web: ChipWeb): WebDevicePort {
  const port: ChipPort = {
    kind: web.config.kind === "plug" ? "plugs" : "fans",
    id: web.config.id,
    web: web,
    read: portRead as WebDevicePort["read"],
    command: portCommand,
    joinWifi: portJoinWifi,
    writeAccount: portWriteAccount,
  };
  return port;
}

/**
 * Takes over a password given in the configuration: stores its hash as the web account
 * (replacing any) and removes it from `housegrid.json`.
 *
 * @param web The firmware's web context.
 * @returns Whether there was one.
 */
export function adoptConfiguredPassword(web: ChipWeb): boolean {
  const password = web.config.web.password;
  if (password === "") return false;
  const secrets = chipSecrets(web);
  const salt = secrets.randomHex(16);
  const account = createAccount(password, salt, secrets.iterations, secrets.derive);
  storeWrite(web.store, ACCOUNT_KEY, encodeAccount(account));
  const config = web.storage.readJSON("housegrid.json", true) as Record<string, unknown>;
  if (config !== undefined && config !== null && typeof config === "object") {
    const fields = typeof config.web === "object" && config.web !== null ? config.web : {};
    config.web = Object.assign({}, fields, { password: "" });
    web.storage.writeJSON("housegrid.json", config);
  }
  web.config.web.password = "";
  web.log("web: the password from housegrid.json is set, and removed from the file");
  return true;
}
