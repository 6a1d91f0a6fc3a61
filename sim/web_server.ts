/**
 * The simulator's web server: the fleet overview (`/`, `/api/devices`) and, for every
 * device, its page and JSON API under `/devices/<id>/` (lib/web_api.ts, documented in
 * web/API.md), with live state over a WebSocket.
 *
 * The adapter's share: reading bodies with a size cap, randomness (WebCrypto) and
 * PBKDF2-SHA256 (node:crypto), the per-device login state in memory, serving the page
 * file with a strict Content-Security-Policy, WebSockets, and firmware updates. Sessions
 * and login limits run on wall-clock time, not the fleet's virtual clock: they are about
 * people.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { pbkdf2Sync } from "node:crypto";
import type { Clock, KeyValueStore } from "../lib/ports.ts";
import { applyWebCommands, handleDeviceRequest, MAX_FIRMWARE_BYTES } from "../lib/web_api.ts";
import { deviceStateView, type WebDevicePort, type WebSecrets } from "../lib/web_device.ts";
import {
  type AuthLimits,
  createAuthState,
  DEFAULT_AUTH_LIMITS,
  findSession,
  type WebAuthState,
} from "../lib/web_auth.ts";
import {
  errorResponse,
  joinParts,
  MAX_JSON_BODY_BYTES,
  readCookie,
  responseText,
  SESSION_COOKIE,
  splitDevicePath,
  type WebResponse,
} from "../lib/web_http.ts";
import { deviceStore } from "./store.ts";
import { overviewEntries, overviewHtml } from "./web_overview.ts";
import { type AnySimDevice, simWebPort } from "./web_port.ts";
import { applyFirmwareUpdate } from "./web_update.ts";

/** PBKDF2 iterations for new passwords on the simulator. */
export const SIM_PBKDF2_ITERATIONS = 150_000;

/** How often a WebSocket gets the history (and the state again). */
export const HISTORY_PUSH_MS = 5000;

/** Least time between two state pushes on one WebSocket (at most 4 a second). */
export const STATE_PUSH_GAP_MS = 250;

/** What the web server serves. */
export interface WebServerOptions {
  /** The running fleet (only its devices are used). */
  fleet: { readonly devices: ReadonlyMap<string, AnySimDevice> };
  /** The fleet's virtual clock. */
  clock: Clock;
  /** Address to listen on. */
  host: string;
  /** Port (0 = any free port). */
  port: number;
  /** The simulator's data folder; each device's store lives there. */
  dataDir: string;
  /** Overrides where a device's store is (default: its folder in `dataDir`). */
  storeFor?: (id: string) => KeyValueStore;
  /** The page file (default `web/device.html`). */
  pageFile?: URL;
  /** Wall clock for sessions and login limits (default `Date.now`). */
  wallClock?: () => number;
  /** Session and login limits (default {@linkcode DEFAULT_AUTH_LIMITS}). */
  authLimits?: AuthLimits;
  /** How often WebSockets get the history (default {@linkcode HISTORY_PUSH_MS}). */
  historyPushMs?: number;
}

/** A running web server. */
export interface WebServer {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** Stops the server and closes every WebSocket. */
  shutdown(): Promise<void>;
}

const toHex = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

const SECRETS: WebSecrets = {
  randomHex: (bytes) => toHex(crypto.getRandomValues(new Uint8Array(bytes))),
  derive: (password, saltHex, iterations) =>
    pbkdf2Sync(password, Buffer.from(saltHex, "hex"), iterations, 32, "sha256").toString("hex"),
  iterations: SIM_PBKDF2_ITERATIONS,
};

const SECURITY_HEADERS: Record<string, string> = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
};

const HOST_PATTERN = /^[A-Za-z0-9.:[\]-]+$/;

const pageHeaders = (host: string | null): Record<string, string> => {
  const self = host !== null && HOST_PATTERN.test(host) ? ` ws://${host} wss://${host}` : "";
  return Object.assign({}, SECURITY_HEADERS, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "content-security-policy": "default-src 'none'; script-src 'unsafe-inline'; " +
      `style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'${self}; ` +
      "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  });
};

const toResponse = (answer: WebResponse): Response =>
  new Response(responseText(answer), {
    status: answer.status,
    headers: Object.assign({}, SECURITY_HEADERS, answer.headers),
  });

/** Reads a body up to `limit` bytes; `null` when it is longer. */
async function readCapped(request: Request, limit: number): Promise<Uint8Array | null> {
  if (Number(request.headers.get("content-length") ?? "0") > limit) {
    await request.body?.cancel();
    return null;
  }
  if (request.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

const decodeText = (bytes: Uint8Array): string | null => {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
};

/**
 * Starts the web server for a fleet.
 *
 * @param options Fleet, clock, address and data folder.
 * @returns The running server.
 * @example
 * ```ts ignore
 * const web = serveWeb({ fleet, clock, host: "127.0.0.1", port: 0, dataDir: ".housegrid" });
 * console.log(web.url);
 * await web.shutdown();
 * ```
 */
export function serveWeb(options: WebServerOptions): WebServer {
  const wallClock = options.wallClock ?? Date.now;
  const limits = options.authLimits ?? DEFAULT_AUTH_LIMITS;
  const historyPushMs = options.historyPushMs ?? HISTORY_PUSH_MS;
  const pageFile = options.pageFile ?? new URL("../web/device.html", import.meta.url);
  const storeFor = options.storeFor ?? ((id: string) => deviceStore(options.dataDir, id));
  const auth = new Map<string, WebAuthState>();
  const ports = new Map<string, { port: WebDevicePort & { stop(): void }; store: KeyValueStore }>();
  const sockets = new Set<{ close(): void }>();
  for (const [id, device] of options.fleet.devices) {
    const store = storeFor(id);
    ports.set(id, { port: simWebPort(device, store, options.clock), store });
    auth.set(id, createAuthState(limits));
  }

  const servePage = async (request: Request): Promise<Response> => {
    try {
      const html = await Deno.readTextFile(pageFile);
      return new Response(html, { headers: pageHeaders(request.headers.get("host")) });
    } catch {
      return toResponse(errorResponse(500, "the device page (web/device.html) is missing"));
    }
  };

  const openSocket = (request: Request, device: AnySimDevice, port: WebDevicePort) => {
    // Headers cannot be read once the request is upgraded.
    const token = readCookie(request.headers.get("cookie") ?? undefined, SESSION_COOKIE) ?? "";
    const { socket, response } = Deno.upgradeWebSocket(request);
    let lastStateMs = -Infinity;
    let pendingTimer: ReturnType<typeof setTimeout> | null = null;
    let historyTimer: ReturnType<typeof setInterval> | null = null;
    let unsubscribe = (): void => {};
    const live = (): boolean => {
      const state = auth.get(device.id);
      return state !== undefined && findSession(state, token, wallClock()) !== null;
    };
    const send = (message: Record<string, unknown>): void => {
      if (socket.readyState !== WebSocket.OPEN) return;
      if (!live()) {
        socket.close(4001, "session ended: log in again");
        return;
      }
      socket.send(JSON.stringify(message));
    };
    const sendState = (): void => {
      lastStateMs = Date.now();
      send(Object.assign({ type: "state" }, deviceStateView(port)));
    };
    const sendHistory = (): void => {
      if (!device.powered) return;
      const history = port.read("history");
      const text = typeof history === "string" ? history : joinParts("", history);
      send({ type: "history", ...JSON.parse(text) });
    };
    const changed = (): void => {
      if (pendingTimer !== null) return;
      const waitMs = Math.max(0, lastStateMs + STATE_PUSH_GAP_MS - Date.now());
      pendingTimer = setTimeout(() => {
        pendingTimer = null;
        sendState();
      }, waitMs);
    };
    const cleanUp = (): void => {
      unsubscribe();
      if (pendingTimer !== null) clearTimeout(pendingTimer);
      if (historyTimer !== null) clearInterval(historyTimer);
      pendingTimer = historyTimer = null;
      sockets.delete(handle);
    };
    const handle = {
      close: () => {
        cleanUp();
        if (socket.readyState === WebSocket.OPEN) socket.close(1001, "server stopping");
      },
    };
    sockets.add(handle);
    socket.onopen = () => {
      sendState();
      sendHistory();
      unsubscribe = device.onChange(changed);
      historyTimer = setInterval(() => {
        sendHistory();
        sendState();
      }, historyPushMs);
    };
    socket.onclose = cleanUp;
    socket.onerror = () => {};
    return response;
  };

  const deviceRoute = async (
    request: Request,
    client: string,
    id: string,
    rest: string,
  ): Promise<Response> => {
    const entry = ports.get(id);
    const device = options.fleet.devices.get(id);
    if (entry === undefined || device === undefined) {
      return toResponse(errorResponse(404, `no device "${id}" in this fleet`));
    }
    const isUpdate = rest === "api/update" && request.method === "POST";
    const bytes = request.method === "POST"
      ? await readCapped(request, isUpdate ? MAX_FIRMWARE_BYTES : MAX_JSON_BODY_BYTES)
      : new Uint8Array(0);
    const text = bytes === null || isUpdate ? "" : decodeText(bytes);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => (headers[name] = value));
    const outcome = handleDeviceRequest(
      auth.get(id) ?? createAuthState(limits),
      {
        method: request.method,
        path: new URL(request.url).pathname,
        headers,
        body: text ?? "",
        bodyProblem: bytes === null ? "too-large" : text === null ? "not-text" : null,
        client,
      },
      rest,
      entry.port,
      () => SECRETS,
      wallClock(),
    );
    auth.set(id, outcome.auth);
    if (outcome.handOff === "page") return await servePage(request);
    if (outcome.handOff === "websocket") {
      if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
        return toResponse(errorResponse(426, "this route takes a WebSocket"));
      }
      return openSocket(request, device, entry.port);
    }
    if (outcome.handOff === "update") {
      const answer = applyFirmwareUpdate(device, entry.store, bytes);
      return toResponse({
        status: answer.status,
        headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
        body: JSON.stringify(answer.body),
      });
    }
    if (outcome.handOff === "commands" && outcome.commands !== undefined) {
      return toResponse(applyWebCommands(entry.port, outcome.commands));
    }
    return toResponse(outcome.response);
  };

  const handler = async (request: Request, info: Deno.ServeHandlerInfo): Promise<Response> => {
    const path = new URL(request.url).pathname;
    const client = (info.remoteAddr as Deno.NetAddr).hostname ?? "unknown";
    const split = splitDevicePath(path);
    if (split !== null) return await deviceRoute(request, client, split.id, split.rest);
    const bare = /^\/devices\/([a-z0-9_-]+)$/.exec(path);
    if (bare !== null) {
      return new Response(null, { status: 308, headers: { location: `/devices/${bare[1]}/` } });
    }
    // Browsers ask for it on every page; no icon is better than a logged 404.
    if (path === "/favicon.ico") return new Response(null, { status: 204 });
    if (path !== "/" && path !== "/api/devices") {
      return toResponse(errorResponse(404, "no such page"));
    }
    if (request.method !== "GET") {
      const refused = errorResponse(405, `${request.method} is not allowed here`);
      refused.headers["allow"] = "GET";
      return toResponse(refused);
    }
    const entries = overviewEntries(options.fleet.devices.values());
    if (path === "/api/devices") {
      return toResponse({
        status: 200,
        headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
        body: JSON.stringify(entries),
      });
    }
    return new Response(overviewHtml(entries), { headers: pageHeaders(null) });
  };

  const server = Deno.serve({
    hostname: options.host,
    port: options.port,
    onListen: () => {},
    onError: () => toResponse(errorResponse(500, "internal error")),
  }, handler);
  const address = server.addr as Deno.NetAddr;
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  return {
    url: `http://${host}:${address.port}`,
    async shutdown() {
      for (const socket of [...sockets]) socket.close();
      for (const entry of ports.values()) entry.port.stop();
      await server.shutdown();
    },
  };
}
