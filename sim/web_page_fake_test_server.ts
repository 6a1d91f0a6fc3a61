/**
 * An in-memory stand-in for the device web server (web/API.md), written from the contract
 * so that the browser test of `web/device.html` does not depend on the real server alone,
 * and can refuse WebSockets to exercise the page's polling fallback.
 *
 * It is strict where the page could get things wrong: the session cookie (HttpOnly,
 * SameSite=Strict, one per device path), the `X-CSRF-Token` header on every POST after
 * login, `content-type: application/json` on JSON POSTs, same-origin POSTs, a login rate
 * limit answering 429 with `Retry-After`, and settings validated by lib/ with one message
 * per field. Passwords are salted SHA-256 here (the real server uses PBKDF2): this file
 * serves tests only.
 *
 * @module
 */

import { parse } from "acorn";
import type { DeviceKind } from "../lib/topics.ts";
import { defaultSettings } from "../lib/settings.ts";
import {
  type SettingSpec,
  settingSpecByName,
  settingSpecs,
  type SettingValue,
} from "../lib/settings_schema.ts";
import { formatSettingValue, parseSettingText } from "../lib/setting_value.ts";
import { applySettingChange } from "../lib/settings_validate.ts";
import { settingField } from "../lib/web_settings.ts";

/** How the fake server behaves. */
export interface FakeServerOptions {
  /** Ids of devices that refuse WebSockets on `api/ws`, so that the page has to poll. */
  noWebSocket?: string[];
  /** Wrong passwords before logins are refused with 429 (default 5). */
  maxFailures?: number;
  /** How long logins stay refused, in seconds, sent as `Retry-After` (default 60). */
  lockoutS?: number;
  /** Ids of devices that start unprovisioned, in access-point mode. */
  accessPoint?: string[];
}

/** One fake device, as a test may inspect it. */
export interface FakeDevice {
  /** `plugs` or `fans`. */
  readonly kind: DeviceKind;
  /** Device id. */
  readonly id: string;
  /** Settings in internal units (lib/settings.ts field names). */
  readonly settings: Record<string, SettingValue>;
  /** The saved Wi-Fi network; its password is never sent to a page. */
  readonly wifi: { state: string; ssid: string; password: string };
}

/** A running fake server. */
export interface FakeServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`; pages are at `/devices/<id>/`. */
  readonly url: string;
  /** The devices by id: `plug1`, `fan1`, `plug2`. */
  readonly devices: ReadonlyMap<string, FakeDevice>;
  /** Stops the server, its timers and sockets. */
  stop(): Promise<void>;
}

interface Device extends FakeDevice {
  settings: Record<string, SettingValue>;
  wifi: { state: "ap" | "connecting" | "up"; ssid: string; password: string };
  on: boolean;
  speed: number;
  mode: "auto" | "manual";
  fault: string | null;
  firmware: { version: string; sha256: string | null };
  account: { salt: string; hash: string } | null;
  sessions: Map<string, string>;
  failures: number;
  lockedUntilMs: number;
  sockets: Set<WebSocket>;
  history: Record<string, (number | null)[]>;
  timers: Set<ReturnType<typeof setTimeout>>;
  bootMs: number;
}

const LOAD_W = 1480.5;
const PAGE_URL = new URL("../web/device.html", import.meta.url);
const SECURITY_HEADERS: Record<string, string> = {
  "x-content-type-options": "nosniff",
  "cache-control": "no-store",
};
// The page must work with nothing but itself: no CDN, no fetch to anywhere else.
const PAGE_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; " +
  "connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'";

const json = (body: unknown, status = 200, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...SECURITY_HEADERS, ...headers },
  });

const hex = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

const randomToken = (): string => hex(crypto.getRandomValues(new Uint8Array(32)));

async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource)));
}

// A plausible history with a gap, so the graph has something to draw.
function series(slots: number, base: number, swing: number, phase: number): (number | null)[] {
  const gapAt = Math.floor(slots / 4);
  return Array.from(
    { length: slots },
    (_, slot) =>
      slot >= gapAt && slot < gapAt + Math.ceil(slots / 30)
        ? null
        : Math.round((base + swing * Math.sin((slot * 60 / slots + phase) / 9)) * 10) / 10,
  );
}

function makeDevice(kind: DeviceKind, id: string, accessPoint: boolean): Device {
  return {
    kind,
    id,
    settings: defaultSettings(kind) as unknown as Record<string, SettingValue>,
    wifi: accessPoint
      ? { state: "ap", ssid: "", password: "" }
      : { state: "up", ssid: "housegrid-sim", password: "sim-wifi-secret" },
    on: false,
    speed: 0,
    mode: "auto",
    fault: null,
    firmware: { version: "0.1.0-sim", sha256: null },
    account: null,
    sessions: new Map(),
    failures: 0,
    lockedUntilMs: 0,
    sockets: new Set(),
    history: kind === "plugs"
      ? { power: series(600, 900, 700, 0) }
      : { humidity: series(60, 62, 12, 3), temperature: series(60, 22, 1.5, 8) },
    timers: new Set(),
    bootMs: Date.now() - 3723000,
  };
}

function later(device: Device, ms: number, action: () => void): void {
  const timer = setTimeout(() => {
    device.timers.delete(timer);
    action();
    broadcast(device);
  }, ms);
  device.timers.add(timer);
}

function broadcast(device: Device): void {
  const message = JSON.stringify({ type: "state", ...stateOf(device) });
  for (const socket of device.sockets) {
    if (socket.readyState === WebSocket.OPEN) socket.send(message);
  }
}

function statesOf(device: Device): Record<string, unknown> {
  const uptimeMs = Date.now() - device.bootMs;
  if (device.kind === "fans") {
    return {
      on: device.on,
      speed: device.speed,
      maxSpeed: device.settings.maxSpeed,
      mode: device.mode,
      control: "full",
      reason: device.mode === "manual" ? "manual" : device.on ? "humidity" : "none",
      tempC: 22.4,
      humidityPct: 63.8,
      uptimeMs,
    };
  }
  const powerW = device.on ? LOAD_W : 0;
  return {
    on: device.on,
    powerW,
    voltageV: 231.2,
    currentA: powerW / 231.2,
    powerFactor: device.on ? 0.99 : null,
    apparentVA: powerW / 0.99,
    energyTotalWh: 123456.789,
    energyTodayWh: 2345.6,
    energyYesterdayWh: 8100,
    fault: device.fault,
    uptimeMs,
  };
}

function stateOf(device: Device): Record<string, unknown> {
  const up = device.wifi.state === "up";
  return {
    kind: device.kind,
    id: device.id,
    powered: true,
    connected: up,
    states: statesOf(device),
    network: {
      rssiDbm: up ? -61 : null,
      bars: up ? 3 : 0,
      ssid: device.wifi.ssid,
      ip: up ? "10.0.0.21" : "192.168.4.1",
      mac: "5C:CF:7F:12:AB:EF",
    },
    wifi: { state: device.wifi.state, apSsid: `housegrid-${device.id}`, lastError: "" },
    firmware: device.firmware,
  };
}

function historyOf(device: Device): Record<string, unknown> {
  if (device.kind === "fans") {
    return { slotMs: 10000, startMs: Date.now() - 600000, ...device.history };
  }
  const power = device.history.power ?? [];
  power[power.length - 1] = device.on ? LOAD_W : 0;
  // The mean of the last minute's slots, as the real plug reports it.
  const mean = power.map((_, slot) => {
    const window = power.slice(Math.max(0, slot - 59), slot + 1).filter((v) => v !== null);
    return window.length === 0 ? null : window.reduce((a, b) => a + b, 0) / window.length;
  });
  return { slotMs: 1000, startMs: Date.now() - 600000, meanWindowMs: 60000, power, mean };
}

function settingsOf(device: Device): Record<string, unknown> {
  const specs = settingSpecs(device.kind) as SettingSpec[];
  const settings: Record<string, string> = {};
  for (const spec of specs) {
    settings[spec.name] = formatSettingValue(spec, device.settings[spec.key] as SettingValue);
  }
  const fields = specs.map(settingField);
  return { settings, fields };
}

// All or nothing, one message per field; the rules are checked on the whole change.
function changeSettings(device: Device, partial: Record<string, unknown>): Record<string, string> {
  const errors: Record<string, string> = {};
  const next = { ...device.settings };
  const changed: SettingSpec[] = [];
  for (const [name, value] of Object.entries(partial)) {
    const spec = settingSpecByName(device.kind, name);
    if (spec === null || spec.access !== "command") {
      errors[name] = `${name} is not a setting the page may change`;
    } else if (typeof value !== "number" && typeof value !== "string") {
      errors[name] = `${name} must be a number or text`;
    } else {
      const parsed = parseSettingText(spec, String(value));
      if (!parsed.ok) errors[name] = parsed.error;
      else {
        next[spec.key] = parsed.value;
        changed.push(spec);
      }
    }
  }
  for (const spec of changed) {
    const checked = applySettingChange(device.kind, next as never, spec.key, next[spec.key]);
    if (!checked.ok) errors[spec.name] = checked.error;
  }
  if (Object.keys(errors).length === 0) {
    device.settings = next;
    guardPower(device);
  }
  return errors;
}

// Above max_power for half a second, the relay opens and `fault` says why.
function guardPower(device: Device): void {
  const maxW = device.settings.maxPowerW as number;
  if (device.kind !== "plugs" || !device.on || maxW <= 0 || LOAD_W <= maxW) return;
  later(device, 500, () => {
    device.on = false;
    device.fault = `over power: ${LOAD_W} W above max_power ${maxW} W`;
  });
}

function relay(device: Device, body: Record<string, unknown>): Response {
  if (device.kind !== "plugs") return json({ error: "no such page" }, 404);
  const action = body.action;
  const seconds = body.seconds;
  if (action === "on" || action === "off") device.on = action === "on";
  else if (action === "toggle") device.on = !device.on;
  else if (action === "pulse" && typeof seconds === "number" && seconds >= 0 && seconds <= 86400) {
    if (seconds > 0) {
      device.on = true;
      later(device, seconds * 1000, () => (device.on = false));
    }
  } else {
    return json({ error: "action must be on, off, toggle, or pulse with seconds 0..86400" }, 400);
  }
  if (device.on) device.fault = null;
  guardPower(device);
  broadcast(device);
  return json({ states: statesOf(device) });
}

function fan(device: Device, body: Record<string, unknown>): Response {
  if (device.kind !== "fans") return json({ error: "no such page" }, 404);
  const maxSpeed = device.settings.maxSpeed as number;
  const { power, speed } = body;
  if (power !== undefined && power !== "on" && power !== "off" && power !== "auto") {
    return json({ error: "power must be on, off or auto" }, 400);
  }
  if (
    speed !== undefined &&
    (typeof speed !== "number" || !Number.isInteger(speed) || speed < 0 || speed > maxSpeed)
  ) {
    return json({ error: `speed must be a whole number 0..${maxSpeed}` }, 400);
  }
  if (power === "auto") device.mode = "auto";
  else if (power !== undefined) {
    device.mode = "manual";
    device.on = power === "on";
    device.speed = device.on ? Math.max(device.speed, 1) : 0;
  }
  if (typeof speed === "number") {
    device.mode = "manual";
    device.speed = speed;
    device.on = speed > 0;
  }
  broadcast(device);
  return json({ states: statesOf(device) });
}

function wifi(device: Device, body: Record<string, unknown>): Response {
  const { ssid, password } = body;
  if (typeof ssid !== "string" || ssid.length < 1 || ssid.length > 32) {
    return json(
      { error: "ssid must be 1..32 characters", errors: { ssid: "1..32 characters" } },
      400,
    );
  }
  if (typeof password !== "string" || (password !== "" && !/^.{8,63}$/.test(password))) {
    return json({
      error: "the password must be empty (open network) or 8..63 characters",
      errors: { password: "empty (open network) or 8..63 characters" },
    }, 400);
  }
  device.wifi = { state: "connecting", ssid, password };
  later(device, 300, () => (device.wifi.state = "up"));
  broadcast(device);
  const state = stateOf(device);
  return json({ wifi: state.wifi, network: state.network });
}

async function update(device: Device, request: Request): Promise<Response> {
  const bytes = new Uint8Array(await request.arrayBuffer());
  const sha256 = await sha256Hex(bytes);
  const refuse = (error: string, status: number): Response =>
    json({ sha256, version: null, applied: false, sizeBytes: bytes.length, error }, status);
  if (bytes.length === 0) return refuse("the bundle is empty", 400);
  if (bytes.length > 256 * 1024) return refuse("the bundle is larger than 256 KB", 413);
  const text = new TextDecoder().decode(bytes);
  try {
    parse(text, { ecmaVersion: 2020, sourceType: "script" });
  } catch (error) {
    return refuse(`the bundle does not parse: ${(error as Error).message}`, 400);
  }
  const tag = /^\/\/ housegrid-version: (\S+)/.exec(text)?.[1];
  const version = tag ?? `untagged-${sha256.slice(0, 12)}`;
  device.firmware = { version, sha256 };
  broadcast(device);
  return json({ sha256, version, applied: true, sizeBytes: bytes.length });
}

/**
 * Starts the fake server on 127.0.0.1 with a plug `plug1`, a fan `fan1` and a second plug
 * `plug2`, all without a password yet (first run).
 *
 * @param options Devices without WebSocket, rate limit and access-point devices.
 * @returns The running server.
 */
export function serveFakeDevices(options: FakeServerOptions = {}): FakeServer {
  const page = Deno.readTextFileSync(PAGE_URL);
  const maxFailures = options.maxFailures ?? 5;
  const lockoutS = options.lockoutS ?? 60;
  const devices = new Map<string, Device>();
  for (const [kind, id] of [["plugs", "plug1"], ["fans", "fan1"], ["plugs", "plug2"]] as const) {
    devices.set(id, makeDevice(kind, id, (options.accessPoint ?? []).includes(id)));
  }

  const openSession = (device: Device): Response => {
    const token = randomToken();
    const csrf = randomToken();
    device.sessions.set(token, csrf);
    return json({ csrf }, 200, {
      "set-cookie": `hg_session=${token}; HttpOnly; SameSite=Strict; Path=/devices/${device.id}/`,
    });
  };

  const login = async (device: Device, password: unknown): Promise<Response> => {
    if (device.account === null) return json({ error: "choose a password first" }, 409);
    const waitS = Math.ceil((device.lockedUntilMs - Date.now()) / 1000);
    if (waitS > 0) {
      return json({ error: "too many attempts" }, 429, { "retry-after": String(waitS) });
    }
    if (device.failures >= maxFailures) {
      device.failures = 0;
      device.lockedUntilMs = Date.now() + lockoutS * 1000;
      return json({ error: "too many attempts" }, 429, { "retry-after": String(lockoutS) });
    }
    const hash = await sha256Hex(device.account.salt + String(password));
    if (hash !== device.account.hash) {
      device.failures++;
      return json({ error: "wrong password" }, 401);
    }
    device.failures = 0;
    return openSession(device);
  };

  const api = async (device: Device, endpoint: string, request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const token = /(?:^|;\s*)hg_session=([0-9a-f]+)/.exec(request.headers.get("cookie") ?? "")
      ?.[1];
    const csrf = token === undefined ? undefined : device.sessions.get(token);
    const apMode = device.wifi.state === "ap";
    if (endpoint === "session" && request.method === "GET") {
      return json({
        setup: device.account === null,
        loggedIn: csrf !== undefined,
        csrf: csrf ?? null,
        kind: device.kind,
        id: device.id,
        apMode,
      });
    }
    const origin = request.headers.get("origin");
    if (
      (request.method === "POST" || endpoint === "ws") && origin !== null && origin !== url.origin
    ) {
      return json({ error: "cross-site request refused" }, 403);
    }
    const open = endpoint === "setup" || endpoint === "login" || (endpoint === "wifi" && apMode);
    if (!open) {
      if (csrf === undefined) return json({ error: "log in first" }, 401);
      if (request.method === "POST" && request.headers.get("x-csrf-token") !== csrf) {
        return json({ error: "missing or wrong X-CSRF-Token header" }, 403);
      }
    }
    if (endpoint === "ws") {
      if ((options.noWebSocket ?? []).includes(device.id)) {
        return json({ error: "no such page" }, 404);
      }
      const { socket, response } = Deno.upgradeWebSocket(request);
      socket.onopen = () => {
        device.sockets.add(socket);
        socket.send(JSON.stringify({ type: "state", ...stateOf(device) }));
        socket.send(JSON.stringify({ type: "history", ...historyOf(device) }));
      };
      socket.onclose = () => device.sockets.delete(socket);
      return response;
    }
    if (request.method === "GET") {
      if (endpoint === "state") return json(stateOf(device));
      if (endpoint === "history") return json(historyOf(device));
      if (endpoint === "settings") return json(settingsOf(device));
      return json({ error: "no such page" }, 404);
    }
    if (request.method !== "POST") return json({ error: "method not allowed" }, 405);
    if (endpoint === "update") return await update(device, request);
    if (!(request.headers.get("content-type") ?? "").startsWith("application/json")) {
      return json({ error: "send the body as application/json" }, 415);
    }
    let body: Record<string, unknown>;
    try {
      body = await request.json();
      if (body === null || typeof body !== "object" || Array.isArray(body)) throw new Error();
    } catch {
      return json({ error: "the request body is not a JSON object" }, 400);
    }
    switch (endpoint) {
      case "setup": {
        if (device.account !== null) return json({ error: "the password is already set" }, 409);
        const password = body.password;
        if (typeof password !== "string" || password.length < 8 || password.length > 128) {
          return json({ error: "the password must have 8 to 128 characters" }, 400);
        }
        const salt = randomToken();
        device.account = { salt, hash: await sha256Hex(salt + password) };
        return openSession(device);
      }
      case "login":
        return await login(device, body.password);
      case "logout":
        device.sessions.delete(token as string);
        return json({ loggedIn: false }, 200, {
          "set-cookie": `hg_session=; Max-Age=0; Path=/devices/${device.id}/`,
        });
      case "relay":
        return relay(device, body);
      case "fan":
        return fan(device, body);
      case "wifi":
        return wifi(device, body);
      case "settings": {
        const partial =
          (typeof body.settings === "object" && body.settings !== null
            ? body.settings
            : body) as Record<string, unknown>;
        const errors = changeSettings(device, partial);
        if (Object.keys(errors).length > 0) {
          return json({ error: "some settings are not valid", errors }, 400);
        }
        broadcast(device);
        return json(settingsOf(device));
      }
    }
    return json({ error: "no such page" }, 404);
  };

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const url = new URL(request.url);
    const match = /^\/devices\/([a-z0-9_-]{1,32})(\/(?:api\/([a-z]+))?)?$/.exec(url.pathname);
    const device = match === null ? undefined : devices.get(match[1] as string);
    if (match === null || device === undefined) return json({ error: "no such page" }, 404);
    if (match[2] === undefined) {
      return new Response(null, { status: 308, headers: { location: url.pathname + "/" } });
    }
    const endpoint = match[3];
    if (endpoint !== undefined) return api(device, endpoint, request);
    return new Response(page, {
      headers: {
        "content-type": "text/html; charset=utf-8",
        "content-security-policy": PAGE_CSP,
        ...SECURITY_HEADERS,
      },
    });
  });
  const address = server.addr as Deno.NetAddr;
  return {
    url: `http://127.0.0.1:${address.port}`,
    devices,
    stop: async () => {
      for (const device of devices.values()) {
        for (const timer of device.timers) clearTimeout(timer);
        for (const socket of device.sockets) socket.close();
      }
      await server.shutdown();
    },
  };
}
