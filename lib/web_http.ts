/**
 * The small slice of HTTP the device web API needs, as plain data so that the same code
 * serves from Deno and from Espruino's `http` module: requests and responses, JSON
 * bodies with clear errors, the session cookie, and the same-origin check.
 *
 * @module
 */

import { err, ok, type Result } from "./result.ts";

/** A request as the adapter hands it over. */
export interface WebRequest {
  /** Upper-case method, e.g. `POST`. */
  method: string;
  /** The path without the query, e.g. `/devices/plug1/api/state`. */
  path: string;
  /** Headers with lower-case names. */
  headers: Record<string, string>;
  /** The body as text (`""` when none). */
  body: string;
  /** Why the body could not be read, or `null`: `too-large` or `not-text`. */
  bodyProblem: string | null;
  /** Who is asking, e.g. the remote IP address (for the login rate limiter). */
  client: string;
}

/** A response for the adapter to send. */
export interface WebResponse {
  /** Status code. */
  status: number;
  /** Headers to send. */
  headers: Record<string, string>;
  /** The body text (all of it, unless `more` is set). */
  body: string;
  /**
   * The rest of the body, one part per call, then `null`: an adapter with little memory
   * sends each part before asking for the next (see {@linkcode responseText}).
   */
  more?: TextParts;
}

/** A text given a part per call, then `null` (each call uses a part up). */
export type TextParts = () => string | null;

/**
 * A text: its first part and every part `more` gives (which it uses up).
 *
 * @param first The first part.
 * @param more The rest, or `undefined` for none.
 * @returns The text.
 * @example
 * ```ts
 * import { joinParts } from "./web_http.ts";
 * import assert from "node:assert/strict";
 * const parts = ["b", "c"];
 * assert.equal(joinParts("a", () => parts.shift() ?? null), "abc");
 * assert.equal(joinParts("a", undefined), "a");
 * ```
 */
export function joinParts(first: string, more: TextParts | undefined): string {
  let text = first;
  if (more === undefined) return text;
  for (let part = more(); part !== null; part = more()) text += part;
  return text;
}

/**
 * The whole body of a response: `body` and every part `more` gives (which it uses up).
 *
 * @param response The response.
 * @returns The text.
 * @example
 * ```ts
 * import { jsonTextResponse, responseText } from "./web_http.ts";
 * import assert from "node:assert/strict";
 * const parts = ["2", "]"];
 * const response = Object.assign(jsonTextResponse(200, "[1,"), { more: () => parts.shift() ?? null });
 * assert.equal(responseText(response), "[1,2]");
 * ```
 */
export function responseText(response: WebResponse): string {
  return joinParts(response.body, response.more);
}

/** Name of the session cookie. */
export const SESSION_COOKIE = "hg_session";

/** Largest JSON request body read, in bytes; adapters stop reading past it. */
export const MAX_JSON_BODY_BYTES = 16384;

/**
 * Makes a JSON response that no cache keeps.
 *
 * @param status Status code.
 * @param value Anything JSON can write.
 * @returns The response.
 * @example
 * ```ts
 * import { jsonResponse } from "./web_http.ts";
 * import assert from "node:assert/strict";
 * const response = jsonResponse(200, { on: true });
 * assert.equal(response.body, '{"on":true}');
 * assert.equal(response.headers["content-type"], "application/json; charset=utf-8");
 * ```
 */
export function jsonResponse(status: number, value: unknown): WebResponse {
  return jsonTextResponse(status, JSON.stringify(value));
}

/**
 * A JSON answer whose text is already written.
 *
 * @param status HTTP status.
 * @param text The JSON text.
 * @returns The response.
 * @example
 * ```ts
 * import { jsonTextResponse } from "./web_http.ts";
 * import assert from "node:assert/strict";
 * const response = jsonTextResponse(200, '{"ok":true}');
 * assert.equal(response.headers["content-type"], "application/json; charset=utf-8");
 * assert.equal(response.body, '{"ok":true}');
 * ```
 */
export function jsonTextResponse(status: number, text: string): WebResponse {
  return {
    status: status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
    body: text,
  };
}

/**
 * Makes an error response: `{"error": message}`.
 *
 * @param status A 4xx or 5xx status.
 * @param message What went wrong, for a person.
 * @returns The response.
 * @example
 * ```ts
 * import { errorResponse } from "./web_http.ts";
 * import assert from "node:assert/strict";
 * assert.equal(errorResponse(404, "no such page").body, '{"error":"no such page"}');
 * ```
 */
export function errorResponse(status: number, message: string): WebResponse {
  return jsonResponse(status, { error: message });
}

/**
 * Reads one cookie from a `Cookie` header.
 *
 * @param header The header's value, or `undefined`.
 * @param name The cookie's name.
 * @returns Its value, or `null` when absent.
 * @example
 * ```ts
 * import { readCookie } from "./web_http.ts";
 * import assert from "node:assert/strict";
 * assert.equal(readCookie("a=1; hg_session=abc", "hg_session"), "abc");
 * assert.equal(readCookie(undefined, "hg_session"), null);
 * ```
 */
export function readCookie(header: string | undefined, name: string): string | null {
  if (typeof header !== "string") return null;
  const parts = header.split(";");
  for (const part of parts) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/**
 * The `Set-Cookie` value that opens a session for one device's pages only.
 *
 * @param deviceId The device id (its pages live under `/devices/<id>/`).
 * @param token The session token, or `""` to clear the cookie.
 * @returns The header value.
 * @example
 * ```ts
 * import { sessionCookie } from "./web_http.ts";
 * import assert from "node:assert/strict";
 * assert.equal(
 *   sessionCookie("plug1", "abc"),
 *   "hg_session=abc; HttpOnly; SameSite=Strict; Path=/devices/plug1/",
 * );
 * assert.match(sessionCookie("plug1", ""), /Max-Age=0/);
 * ```
 */
export function sessionCookie(deviceId: string, token: string): string {
  const cookie = SESSION_COOKIE + "=" + token + "; HttpOnly; SameSite=Strict; Path=/devices/" +
    deviceId + "/";
  return token === "" ? cookie + "; Max-Age=0" : cookie;
}

/**
 * Reads a JSON request body that must hold one object.
 *
 * @param body The body text.
 * @returns The object, or a message saying what is wrong with the body.
 * @example
 * ```ts
 * import { parseJsonObject } from "./web_http.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseJsonObject('{"a":1}'), { ok: true, value: { a: 1 } });
 * assert.equal(parseJsonObject("[1]").ok, false);
 * const bad = parseJsonObject("{oops");
 * assert.match(bad.ok ? "" : bad.error, /not valid JSON/);
 * ```
 */
export function parseJsonObject(body: string): Result<Record<string, unknown>> {
  if (typeof body !== "string" || body.trim() === "") {
    return err("the request needs a JSON object body");
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    return err("the request body is not valid JSON: " + String((error as Error).message));
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return err("the request body must be a JSON object");
  }
  return ok(value as Record<string, unknown>);
}

/**
 * Tells whether a request comes from a page of this same server: a browser sends
 * `Origin` with every POST and WebSocket handshake, and a page from another site would
 * name its own. Requests without `Origin` (scripts, curl) pass; they carry no cookies a
 * user did not give them.
 *
 * @param headers Lower-case request headers.
 * @returns `false` when `Origin` names another host than `Host`.
 * @example
 * ```ts
 * import { sameOrigin } from "./web_http.ts";
 * import assert from "node:assert/strict";
 * assert.equal(sameOrigin({ host: "10.0.0.5", origin: "http://10.0.0.5" }), true);
 * assert.equal(sameOrigin({ host: "10.0.0.5", origin: "https://evil.example" }), false);
 * assert.equal(sameOrigin({ host: "10.0.0.5" }), true);
 * ```
 */
export function sameOrigin(headers: Record<string, string>): boolean {
  const origin = headers["origin"];
  if (origin === undefined) return true;
  const host = headers["host"];
  const slashes = origin.indexOf("://");
  if (host === undefined || slashes < 0) return false;
  return origin.slice(slashes + 3).toLowerCase() === host.toLowerCase();
}

/**
 * Tells whether a request body is declared as JSON. Browsers cannot send that type to
 * another site without asking first (a CORS preflight this server never grants), so
 * requiring it shuts out forged cross-site form posts to the routes without a CSRF token.
 *
 * @param headers Lower-case request headers.
 * @returns `true` for `application/json`, with or without parameters.
 * @example
 * ```ts
 * import { isJsonContent } from "./web_http.ts";
 * import assert from "node:assert/strict";
 * assert.equal(isJsonContent({ "content-type": "application/json; charset=utf-8" }), true);
 * assert.equal(isJsonContent({ "content-type": "text/plain" }), false);
 * ```
 */
export function isJsonContent(headers: Record<string, string>): boolean {
  const type = headers["content-type"];
  if (typeof type !== "string") return false;
  const semicolon = type.indexOf(";");
  const bare = (semicolon < 0 ? type : type.slice(0, semicolon)).trim().toLowerCase();
  return bare === "application/json";
}

/** A path under `/devices/<id>/`, split. */
export interface DevicePath {
  /** The device id. */
  id: string;
  /** What follows `/devices/<id>/`, e.g. `api/state`; `""` for the page. */
  rest: string;
}

/**
 * Splits a device path; `/devices/<id>` without the last slash is not one (redirect it).
 *
 * @param path The request path.
 * @returns The id and the rest, or `null` for any other path.
 * @example
 * ```ts
 * import { splitDevicePath } from "./web_http.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(splitDevicePath("/devices/fan1/api/state"), { id: "fan1", rest: "api/state" });
 * assert.deepEqual(splitDevicePath("/devices/fan1/"), { id: "fan1", rest: "" });
 * assert.equal(splitDevicePath("/devices/fan1"), null);
 * ```
 */
export function splitDevicePath(path: string): DevicePath | null {
  const prefix = "/devices/";
  if (typeof path !== "string" || path.indexOf(prefix) !== 0) return null;
  const tail = path.slice(prefix.length);
  const slash = tail.indexOf("/");
  if (slash <= 0) return null;
  return { id: tail.slice(0, slash), rest: tail.slice(slash + 1) };
}
