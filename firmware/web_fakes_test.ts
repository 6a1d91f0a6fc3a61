// Fakes of what the chip's web code touches: Espruino's http request/response, Storage
// with offset writes, timers, `crypto`, and a real plug device behind a ChipWeb context.
// Shared by web_test.ts and web_update_test.ts (no tests here).

import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { bootPlug, plugStates, stepPlug } from "../lib/plug_device.ts";
import type { PlugDeviceEvent, PlugDeviceState } from "../lib/plug_device.ts";
import { parseDeviceConfig } from "./config.ts";
import type {
  EspruinoCrypto,
  EspruinoGlobals,
  EspruinoHttpRequest,
  EspruinoHttpResponse,
  EspruinoStorage,
} from "./espruino_types.ts";
import { createStore, DEFAULT_STORE_LIMITS } from "./storage.ts";
import type { ChipWeb } from "./web_context.ts";
import { createChipHistory } from "./web_history.ts";
import { WIRED_NETWORK } from "./wifi.ts";

/** Storage with Espruino's semantics for `write(name, data, offset, size)`. */
export const fakeStorage = (totalBytes = 262144) => {
  const files: Record<string, string> = {};
  const used = () => Object.values(files).reduce((sum, file) => sum + file.length + 32, 0);
  const storage: EspruinoStorage = {
    read: (name, offset, length) => {
      const file = files[name];
      if (file === undefined) return undefined;
      if (offset === undefined) return file;
      return file.substr(offset, length ?? file.length);
    },
    write: (name, data, offset, size) => {
      if (!offset) {
        files[name] = data + "\xff".repeat(Math.max(0, (size ?? 0) - data.length));
        return true;
      }
      const file = files[name];
      if (file === undefined || offset + data.length > file.length) return false;
      if (file.slice(offset, offset + data.length) !== "\xff".repeat(data.length)) return false;
      files[name] = file.slice(0, offset) + data + file.slice(offset + data.length);
      return true;
    },
    readJSON: (name) => {
      const file = files[name];
      if (file === undefined) return undefined;
      try {
        return JSON.parse(file);
      } catch {
        return undefined;
      }
    },
    writeJSON: (name, data) => ((files[name] = JSON.stringify(data)), true),
    erase: (name) => void delete files[name],
    getFree: () => totalBytes - used(),
    getStats: () => ({ freeBytes: totalBytes - used(), trashBytes: 0 }),
    compact: () => {},
  };
  return { storage, files };
};

/** `require("crypto")` as a build with TLS has it (native SHA256 and PBKDF2). */
export const tlsCrypto: EspruinoCrypto = {
  SHA1: (m) => new Uint8Array(createHash("sha1").update(m, "latin1").digest()).buffer,
  SHA256: (m) => new Uint8Array(createHash("sha256").update(m, "latin1").digest()).buffer,
};

/** `require("crypto")` as an ESP8266_4MB build has it: SHA1 only. */
export const esp8266Crypto: EspruinoCrypto = {
  SHA1: tlsCrypto.SHA1 as (m: string) => ArrayBuffer,
};

/** A request whose body the test feeds. */
export const fakeRequest = (
  method: string,
  url: string,
  headers: Record<string, string> = {},
) => {
  const listeners: Record<string, Array<(data?: string) => void>> = {};
  const req: EspruinoHttpRequest = {
    method,
    url,
    headers,
    on: (event: string, listener: (data?: string) => void) => {
      (listeners[event] ??= []).push(listener);
    },
    removeAllListeners: (event: string) => {
      delete listeners[event];
    },
  } as EspruinoHttpRequest;
  const emit = (event: string, data?: string) => {
    for (const listener of listeners[event] ?? []) listener(data);
  };
  return {
    req,
    /** Sends body data then `end`, as Espruino does. */
    send(body: string, chunk = 536) {
      for (let at = 0; at < body.length; at += chunk) emit("data", body.slice(at, at + chunk));
      emit("end");
    },
    emit,
    listens: (event: string) => (listeners[event] ?? []).length > 0,
  };
};

/** A response that records what is sent; `drain()` says the socket sent it all. */
export const fakeResponse = () => {
  const drains: Array<() => void> = [];
  const sent = {
    status: 0,
    headers: {} as Record<string, string>,
    chunks: [] as string[],
    ended: false,
  };
  const res: EspruinoHttpResponse = {
    writeHead: (status, headers) => {
      if (sent.status !== 0) throw new Error("writeHead twice");
      sent.status = status;
      sent.headers = headers;
    },
    write: (data) => {
      if (sent.ended) throw new Error("write after end");
      sent.chunks.push(data);
      return false;
    },
    end: (data) => {
      if (data !== undefined) sent.chunks.push(data);
      sent.ended = true;
    },
    on: (event: string, listener: () => void) => {
      if (event === "drain") drains.push(listener);
    },
  } as EspruinoHttpResponse;
  return {
    res,
    sent,
    body: () => sent.chunks.join(""),
    json: () => JSON.parse(sent.chunks.join("")),
    drain: () => drains.forEach((run) => run()),
  };
};

/** A plug with its ChipWeb context, fake timers and a fake clock. */
export const plugWeb = (options: { crypto?: EspruinoCrypto | null; password?: string } = {}) => {
  let nowMs = 1_700_000_000_000;
  let timers: Array<{ at: number; run: () => void }> = [];
  let busy = false;
  const logs: string[] = [];
  const loaded: string[] = [];
  const { storage, files } = fakeStorage();
  const parsed = parseDeviceConfig({
    kind: "plug",
    id: "plug1",
    mqtt: { host: "h" },
    web: { password: options.password ?? "" },
  });
  if (!parsed.ok) throw new Error(parsed.error);
  files["housegrid.json"] = JSON.stringify({
    kind: "plug",
    id: "plug1",
    mqtt: { host: "h" },
    web: { password: options.password ?? "" },
  });
  const crypto = options.crypto === undefined ? tlsCrypto : options.crypto;
  const g = {
    // Real time passes within a step (PBKDF2 calibration measures it); `advance` jumps.
    getTime: () => (nowMs + performance.now()) / 1000,
    setTimeout: (run: () => void, ms: number) =>
      timers.push({ at: nowMs + performance.now() + ms, run }),
    clearTimeout: () => {},
    setInterval: () => 0,
    print: (text: string) => logs.push(text),
    E: {
      toString: (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1"),
      toUint8Array: (text: string) => new Uint8Array(Buffer.from(text, "latin1")),
      getSizeOf: () => 0,
      hwRand: () => Math.floor(Math.random() * 2 ** 32),
      CRC32: (data: string) =>
        Number.parseInt(createHash("md5").update(data).digest("hex").slice(0, 8), 16),
    },
    require: (name: string) => {
      if (name === "crypto" && crypto !== null) return crypto;
      throw new Error("Module " + name + " not found");
    },
    process: { memory: () => ({ usage: 0, total: 1600, free: 1600 }), env: { BOARD: "LINUX" } },
    load: (file: string) => loaded.push(file),
  } as unknown as EspruinoGlobals;
  const store = createStore(storage, () => nowMs, DEFAULT_STORE_LIMITS);
  let state: PlugDeviceState = bootPlug({
    prefix: "",
    id: "plug1",
    nowMs,
    settingsText: null,
    energyText: null,
    relayText: null,
    network: WIRED_NETWORK,
    swVersion: "test",
  }).state;
  state = stepPlug(state, { type: "connected", nowMs }).state;
  const web: ChipWeb = {
    g,
    config: parsed.value,
    storage,
    store,
    runtime: {
      state: () => state,
      dispatch: (event) => {
        const step = stepPlug(state, event as PlugDeviceEvent);
        state = step.state;
        return step.effects;
      },
      busy: () => busy,
    },
    step: (s, event) => stepPlug(s as PlugDeviceState, event as PlugDeviceEvent),
    view: {
      pageStates: (s, now) =>
        Object.assign({}, plugStates(s as PlugDeviceState, now), {
          settings: undefined,
          network: undefined,
        }),
      series: ["power"],
      seriesScale: 4,
      sample: (s) => [(s as PlugDeviceState).reading?.powerW ?? NaN],
    },
    history: createChipHistory(["power"], 60, 10000, 4),
    wifi: null,
    wifiStatus: { state: "up", lastError: "" },
    auth: undefined,
    seed: "",
    updating: false,
    log: (text) => logs.push(text),
  };
  return {
    web,
    files,
    logs,
    loaded,
    state: () => state,
    /** Says the runtime has states or messages queued (or not any more). */
    setBusy(value: boolean) {
      busy = value;
    },
    advance(ms: number) {
      nowMs += ms;
      for (;;) {
        const due = timers.filter((t) => t.at <= nowMs + performance.now());
        if (due.length === 0) break;
        timers = timers.filter((t) => !due.includes(t));
        for (const timer of due) timer.run();
      }
    },
  };
};
