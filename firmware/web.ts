/**
 * The device page and its JSON API served from the chip, with the simulator's login:
 * Espruino's `http` request and response adapted to `lib/web_api.ts` (the same routes,
 * checks and answers as `sim/web_server.ts`, documented in web/API.md).
 *
 * The chip's differences, all for its RAM:
 * - JSON bodies are read up to {@linkcode CHIP_JSON_BODY_BYTES} (a `413` beyond; an
 *   unread body would stay in RAM, so every request's data is taken even when dropped);
 * - the page streams from Storage in chunks (`web_page.ts`), and an upload goes to flash
 *   as it arrives (`web_update.ts`);
 * - no WebSocket (Espruino's `ws` module is not built in): `api/ws` answers `501` and
 *   the page polls `api/state` instead;
 * - a small session table ({@linkcode CHIP_AUTH_LIMITS}); and Espruino does not tell a
 *   request's address, so failed logins are counted for all clients together (5 a minute
 *   in all, which also means a stranger's guesses can hold the owner off for a minute).
 *
 * This module and its helpers are loaded only while a request is served (see
 * `lazy_modules.ts`); what lasts between requests is the context `web_context.ts`.
 *
 * @module
 */

import { applyAccountWork, applyWebCommands, handleDeviceRequest } from "../lib/web_api.ts";
import type { AccountWork, ApiOutcome, WebCommands } from "../lib/web_api.ts";
import { createAuthState } from "../lib/web_auth.ts";
import type { AuthLimits, WebAuthState } from "../lib/web_auth.ts";
import { errorResponse, jsonResponse } from "../lib/web_http.ts";
import type { TextParts, WebRequest, WebResponse } from "../lib/web_http.ts";
import type { EspruinoHttpRequest, EspruinoHttpResponse } from "./espruino_types.ts";
import type { ChipWeb } from "./web_context.ts";
import { PAGE_FILE, streamPage } from "./web_page.ts";
import { chipPort, chipSecrets, nowMsOf } from "./web_port.ts";
import { receiveUpdate } from "./web_update.ts";

/** Login limits on the chip: 4 sessions, 5 failed logins a minute (all clients). */
export const CHIP_AUTH_LIMITS: AuthLimits = {
  sessionIdleMs: 12 * 3600000,
  maxSessions: 4,
  loginWindowMs: 60000,
  maxLoginFailures: 5,
  maxTrackedClients: 2,
};

/** Largest JSON body read on the chip (settings, Wi-Fi and actions are far smaller). */
export const CHIP_JSON_BODY_BYTES = 2048;

/**
 * Adds the headers every answer carries (the page's own set has them too).
 *
 * @param headers An answer's headers, changed in place.
 * @returns `headers`.
 * @example
 * ```ts
 * import { withSecurityHeaders } from "./web.ts";
 * import assert from "node:assert/strict";
 * assert.equal(withSecurityHeaders({ "content-length": "0" })["x-frame-options"], "DENY");
 * ```
 */
export function withSecurityHeaders(headers: Record<string, string>): Record<string, string> {
  // Set in place, not copied from a constant: on the chip that constant and a copy would be
  // two more header objects (some 20 variables each) beside the one Espruino makes.
  headers["x-content-type-options"] = "nosniff";
  headers["x-frame-options"] = "DENY";
  headers["referrer-policy"] = "no-referrer";
  return headers;
}

/** The client every request counts as (Espruino does not give the remote address). */
export const CHIP_CLIENT = "lan";

/** The request headers the device reads; it drops the others as a request comes in. */
export const READ_HEADERS: readonly string[] = [
  "host",
  "origin",
  "cookie",
  "content-type",
  "content-length",
  "x-csrf-token",
  "if-none-match",
];

/**
 * Lower-cases header names, as the API expects them, and drops the headers the device
 * never reads (a browser sends some 15, a kilobyte of text), in the object itself.
 *
 * @param headers Headers as the client sent them.
 * @returns The same object, with the headers of {@linkcode READ_HEADERS} only, their names
 *   in lower case.
 * @example
 * ```ts
 * import { lowerHeaders } from "./web.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(lowerHeaders({ "Content-Type": "text/plain", Host: "x", "User-Agent": "y" }), {
 *   "content-type": "text/plain",
 *   host: "x",
 * });
 * ```
 */
export function lowerHeaders(headers: Record<string, string>): Record<string, string> {
  // In place: a copy would hold every header twice while the request is served.
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    const read = READ_HEADERS.indexOf(lower) >= 0;
    if (read && lower === name) continue;
    if (read) headers[lower] = String(headers[name]);
    delete headers[name];
  }
  return headers;
}

/**
 * The path of a request's URL, without query or fragment.
 *
 * @param url The request line's URL.
 * @returns The path.
 * @example
 * ```ts
 * import { pathOf } from "./web.ts";
 * import assert from "node:assert/strict";
 * assert.equal(pathOf("/devices/p1/api/state?x=1"), "/devices/p1/api/state");
 * ```
 */
export function pathOf(url: string): string {
  let end = url.length;
  const query = url.indexOf("?");
  const hash = url.indexOf("#");
  if (query >= 0) end = query;
  if (hash >= 0 && hash < end) end = hash;
  return url.slice(0, end);
}

/** Most characters of a body in parts written at once (one socket write per drain). */
export const ANSWER_CHUNK_CHARS = 256;

/**
 * Sends an answer with the security headers. A whole body goes out with its length; a body
 * in parts (`more`) goes out a few parts per `drain`, each made only then, and ends when
 * the connection closes (Espruino closes it after every answer).
 *
 * @param res The response.
 * @param response Status, headers and body (ASCII: JSON escapes the rest).
 */
export function sendResponse(res: EspruinoHttpResponse, response: WebResponse): void {
  const more = response.more;
  res.writeHead(response.status, answerHeaders(response, more === undefined));
  // Written: the headers go before the body is (some 20 variables on an ESP8266).
  delete (response as Partial<WebResponse>).headers;
  if (more === undefined) {
    res.end(response.body);
    return;
  }
  sendRest(res, more);
  if (response.body !== "") res.write(response.body);
}

const answerHeaders = (response: WebResponse, whole: boolean): Record<string, string> => {
  const headers = withSecurityHeaders(response.headers);
  if (whole) headers["content-length"] = String(response.body.length);
  return headers;
};

// A function of its own: the drain listener keeps `res` and `more` alive, not the answer's
// first part and headers.
const sendRest = (res: EspruinoHttpResponse, more: TextParts): void => {
  let ended = false;
  res.on("drain", () => {
    if (ended) return;
    let chunk = "";
    try {
      while (!ended && chunk.length < ANSWER_CHUNK_CHARS) {
        const part = more();
        if (part === null) ended = true;
        else chunk += part;
      }
    } catch (_error) {
      // A fault half-way: the cut body cannot pass for a whole one.
      ended = true;
    }
    if (chunk !== "") res.write(chunk);
    if (ended) res.end();
  });
};

const discardBody = (req: EspruinoHttpRequest): void => req.on("data", () => {});

const redirect = (res: EspruinoHttpResponse, status: number, location: string): void => {
  res.writeHead(
    status,
    withSecurityHeaders({ "location": location, "content-length": "0" }),
  );
  res.end();
};

// Reads a body up to `limit` bytes; `done` gets it, or "too-large" (at once when declared).
const readBody = (
  req: EspruinoHttpRequest,
  headers: Record<string, string>,
  limit: number,
  done: (body: string, problem: string | null) => void,
): void => {
  let body = "";
  let over = parseInt(headers["content-length"] ?? "0", 10) > limit;
  req.on("data", (data) => {
    if (over) return;
    if (body.length + data.length > limit) {
      over = true;
      body = "";
      done("", "too-large");
      return;
    }
    body += data;
  });
  if (over) {
    done("", "too-large");
    return;
  }
  req.on("end", () => {
    // Espruino keeps a request's listeners until its connection closes, and with them
    // whatever their scopes hold (the request, its headers and body): all is read now.
    req.removeAllListeners("data");
    req.removeAllListeners("end");
    if (!over) done(body, null);
  });
};

// A bug must not leave the socket open nor stop the device.
const guarded = (web: ChipWeb, res: EspruinoHttpResponse, run: () => void): void => {
  try {
    run();
  } catch (error) {
    web.log("web: " + String(error));
    try {
      sendResponse(res, errorResponse(500, "internal error"));
    } catch (_error) {
      res.end();
    }
  }
};

const authOf = (web: ChipWeb): WebAuthState => web.auth ?? createAuthState(CHIP_AUTH_LIMITS);

const runApi = (web: ChipWeb, request: WebRequest, rest: string): ApiOutcome => {
  // No secrets: a login or setup is handed off once checked, and hashed in a task of its own.
  const outcome = handleDeviceRequest(
    authOf(web),
    request,
    rest,
    chipPort(web),
    null,
    nowMsOf(web),
  );
  web.auth = outcome.auth;
  return outcome;
};

const answerApi = (web: ChipWeb, res: EspruinoHttpResponse, request: WebRequest, rest: string) => {
  const outcome = runApi(web, request, rest);
  if (outcome.handOff === "websocket") {
    sendResponse(res, errorResponse(501, "this device has no WebSocket: poll api/state"));
  } else if (outcome.handOff === "commands" && outcome.commands !== undefined) {
    feedLater(web, res, outcome.commands);
  } else if (outcome.handOff === "account" && outcome.account !== undefined) {
    hashLater(web, res, outcome.account);
  } else {
    sendResponse(res, outcome.response);
  }
};

/** How long a request waits, at a time, for the device to publish what it has queued. */
export const IDLE_RETRY_MS = 20;

// Runs `work` once the device has published what it had queued: a telemetry batch's text
// (some 60 variables on an ESP8266) and a request's work do not fit side by side.
const whenIdle = (web: ChipWeb, work: () => void): void => {
  if (web.runtime.busy()) web.g.setTimeout(() => whenIdle(web, work), IDLE_RETRY_MS);
  else work();
};

// Checked commands are fed in a task of their own, once the request's checks, its body and
// the functions they made are gone: the device's step does not fit beside them. A function
// of its own, so the timer keeps only these three alive.
const feedLater = (web: ChipWeb, res: EspruinoHttpResponse, planned: WebCommands): void => {
  web.g.setTimeout(() => {
    whenIdle(web, () => {
      guarded(web, res, () => sendResponse(res, applyWebCommands(chipPort(web), planned)));
    });
  }, 0);
};

// The password is hashed in a task of its own, with the request's checks, body and headers
// gone: on an ESP8266 the hashing's buffers do not fit beside them. Memory is compacted
// first: each native SHA-1 result needs three free variables in a row, which a heap this
// full may not have however many are free. A function of its own, like feedLater.
const hashLater = (web: ChipWeb, res: EspruinoHttpResponse, work: AccountWork): void => {
  web.g.setTimeout(() => {
    whenIdle(web, () => {
      guarded(web, res, () => {
        const E = web.g.E;
        if (typeof E.defrag === "function") E.defrag();
        const secrets = chipSecrets(web);
        const outcome = applyAccountWork(authOf(web), chipPort(web), secrets, work, nowMsOf(web));
        web.auth = outcome.auth;
        sendResponse(res, outcome.response);
      });
    });
  }, 0);
};

const serveDevice = (
  web: ChipWeb,
  req: EspruinoHttpRequest,
  res: EspruinoHttpResponse,
  headers: Record<string, string>,
  method: string,
  path: string,
  rest: string,
): void => {
  if (rest === "" && method === "GET") {
    discardBody(req);
    if (!streamPage(web.g, web.storage, headers, res)) {
      sendResponse(
        res,
        errorResponse(503, "the page is not in Storage (" + PAGE_FILE + "): flash it"),
      );
    }
    return;
  }
  const request: WebRequest = {
    method: method,
    path: path,
    headers: headers,
    body: "",
    bodyProblem: null,
    client: CHIP_CLIENT,
  };
  if (rest === "api/update" && method === "POST") {
    // Login and CSRF are checked before a byte of the upload is taken.
    const outcome = runApi(web, request, rest);
    if (outcome.handOff !== "update") {
      discardBody(req);
      sendResponse(res, outcome.response);
      return;
    }
    receiveUpdate(
      web,
      req,
      headers,
      (status, body) => sendResponse(res, jsonResponse(status, body)),
    );
    return;
  }
  if (method !== "POST") {
    discardBody(req);
    whenIdle(web, () => guarded(web, res, () => answerApi(web, res, request, rest)));
    return;
  }
  readBody(req, headers, CHIP_JSON_BODY_BYTES, (body, problem) => {
    request.body = body;
    request.bodyProblem = problem;
    whenIdle(web, () => {
      guarded(web, res, () => answerApi(web, res, request, rest));
      // Answered or handed off: the request object keeps its headers until the connection
      // closes (the cookie and token alone are some 20 variables on an ESP8266).
      for (const name of Object.keys(headers)) delete headers[name];
    });
  });
};

/**
 * Answers one HTTP request: `/` leads to the device's page at `/devices/<id>/`, under
 * which the page and the API live.
 *
 * @param web The firmware's web context.
 * @param req Espruino's request (its body not read yet).
 * @param res Espruino's response.
 */
export function serveWeb(web: ChipWeb, req: EspruinoHttpRequest, res: EspruinoHttpResponse): void {
  const headers = lowerHeaders(req.headers);
  const path = pathOf(String(req.url));
  const method = String(req.method).toUpperCase();
  const home = "/devices/" + web.config.id + "/";
  guarded(web, res, () => {
    if (path.indexOf(home) === 0) {
      serveDevice(web, req, res, headers, method, path, path.slice(home.length));
      return;
    }
    discardBody(req);
    if (path === "/" || path === home.slice(0, home.length - 1)) {
      redirect(res, path === "/" ? 302 : 308, home);
    } else if (path === "/favicon.ico") {
      res.writeHead(204, withSecurityHeaders({}));
      res.end();
    } else {
      sendResponse(res, errorResponse(404, "no such page (this device is " + home + ")"));
    }
  });
}
