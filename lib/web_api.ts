/**
 * The JSON API behind a device's web page (`/devices/<id>/...`, see web/API.md): routing,
 * login and CSRF checks, request validation, and the answers. The device itself is a
 * port the adapter implements (the simulator now, the Espruino firmware later); every
 * change goes through the device's MQTT command path, after the whole request has been
 * checked, so a refused request changes nothing.
 *
 * Three routes are handed back to the adapter once access is checked: the page itself
 * (a file), the WebSocket upgrade, and the firmware update (whose checks need a parser
 * and SHA-256). Two kinds of checked work may be handed back too, for an adapter to do in
 * a task of its own: a request's commands, and (when asked for) a login's or setup's
 * password hashing.
 *
 * @module
 */

import {
  checkNewPassword,
  createAccount,
  decodeAccount,
  encodeAccount,
  verifyPassword,
} from "./web_account.ts";
import {
  closeSession,
  csrfMatches,
  findSession,
  loginGate,
  openSession,
  recordLoginFailure,
  touchSession,
} from "./web_auth.ts";
import type { WebAuthState, WebSession } from "./web_auth.ts";
import { checkWifiRequest, fanCommands, relayCommands } from "./web_forms.ts";
import { deviceStateView } from "./web_device.ts";
import type { WebDevicePort, WebSecrets } from "./web_device.ts";
import { planSettingsChange, settingFieldsJsonParts, settingsView } from "./web_settings.ts";
import {
  errorResponse,
  isJsonContent,
  jsonResponse,
  jsonTextResponse,
  parseJsonObject,
  readCookie,
  sameOrigin,
  SESSION_COOKIE,
  sessionCookie,
} from "./web_http.ts";
import type { TextParts, WebRequest, WebResponse } from "./web_http.ts";
import type { CommandText } from "./commands.ts";
import type { Result } from "./result.ts";
import type { FanSettings } from "./settings.ts";
import type { DeviceKind } from "./topics.ts";

/**
 * What the adapter must do after the API has checked access: serve the page, open a
 * WebSocket, take a firmware update, feed checked commands to the device (with
 * {@linkcode applyWebCommands}, whose response is the answer), or hash a password (with
 * {@linkcode applyAccountWork}, when the adapter asked for it).
 */
export type HandOff = "page" | "websocket" | "update" | "commands" | "account" | null;

/**
 * Commands a request asked for, checked and planned, for {@linkcode applyWebCommands}. The
 * adapter may feed them in a task of its own: on an ESP8266 the request's checks and the
 * device's step do not fit in memory together.
 */
export interface WebCommands {
  /** What the answer shows afterwards: the states (relay, fan) or the settings. */
  answer: "states" | "settings";
  /** The commands, in order. */
  commands: CommandText[];
}

/**
 * A checked `api/setup` or `api/login`, for {@linkcode applyAccountWork}: the password's
 * hashing, which an adapter may do in a task of its own (on an ESP8266 the request's checks
 * and the hashing do not fit in memory together).
 */
export interface AccountWork {
  /** `setup` makes the account; `login` checks the password against it. */
  action: "setup" | "login";
  /** The password sent (checked as new for `setup`). */
  password: string;
  /** The client, whose failed logins are counted. */
  client: string;
}

/** The outcome of one request. */
export interface ApiOutcome {
  /** The device's auth state after the request. */
  auth: WebAuthState;
  /** The answer (ignored when `handOff` is set). */
  response: WebResponse;
  /** Set when the adapter answers: the page, a WebSocket, a firmware update or commands. */
  handOff: HandOff;
  /** The commands, when `handOff` is `commands`. */
  commands?: WebCommands;
  /** The password's work, when `handOff` is `account`. */
  account?: AccountWork;
  /** The request's session, when it has one. */
  session: WebSession | null;
}

/** Largest firmware bundle accepted, in bytes. */
export const MAX_FIRMWARE_BYTES = 262144;

const routeMethods = (kind: DeviceKind, rest: string): string[] | null => {
  switch (rest) {
    case "":
    case "api/session":
    case "api/state":
    case "api/history":
    case "api/ws":
      return ["GET"];
    case "api/setup":
    case "api/login":
    case "api/logout":
    case "api/wifi":
    case "api/update":
      return ["POST"];
    case "api/settings":
      return ["GET", "POST"];
    case "api/relay":
      return kind === "plugs" ? ["POST"] : null;
    case "api/fan":
      return kind === "fans" ? ["POST"] : null;
  }
  return null;
};

// Written in parts: the fields one at a time (see settingFieldsJsonParts).
const settingsAnswer = (device: WebDevicePort): WebResponse => {
  const response = jsonTextResponse(
    200,
    '{"settings":' + JSON.stringify(settingsView(device.kind, device.read("settings"))) +
      ',"fields":',
  );
  response.more = settingsAnswerRest(device.kind);
  return response;
};

// A function of its own: what it returns keeps only `kind` alive while the answer goes out,
// not the device port and the request.
const settingsAnswerRest = (kind: DeviceKind): TextParts => {
  const fields = settingFieldsJsonParts(kind);
  let ended = false;
  return () => {
    if (ended) return null;
    const part = fields();
    if (part !== null) return part;
    ended = true;
    return "}";
  };
};

const outcome = (
  auth: WebAuthState,
  response: WebResponse,
  session: WebSession | null,
): ApiOutcome => ({ auth: auth, response: response, handOff: null, session: session });

const withCookie = (response: WebResponse, cookie: string): WebResponse => {
  const headers = Object.assign({}, response.headers, { "set-cookie": cookie });
  return Object.assign({}, response, { headers: headers });
};

// Sends commands one by one; they were checked before, so a refusal here is a bug.
const applyCommands = (device: WebDevicePort, commands: CommandText[]): string | null => {
  for (const command of commands) {
    const error = device.command(command.param, command.payload);
    if (error !== null) return error;
  }
  return null;
};

/**
 * Random bytes in a session token and in a CSRF token (128 bits each, written as 32 hex
 * digits): as many as a guess needs to fail, and on an ESP8266 every copy of a token (its
 * session, the cookie, the header) costs a variable per 8 characters.
 *
 * @example
 * ```ts
 * import { SESSION_TOKEN_BYTES } from "./web_api.ts";
 * import assert from "node:assert/strict";
 * assert.equal(SESSION_TOKEN_BYTES * 8, 128);
 * ```
 */
export const SESSION_TOKEN_BYTES = 16;

const startSession = (
  auth: WebAuthState,
  device: WebDevicePort,
  secrets: WebSecrets,
  nowMs: number,
): ApiOutcome => {
  const token = secrets.randomHex(SESSION_TOKEN_BYTES);
  const csrf = secrets.randomHex(SESSION_TOKEN_BYTES);
  const next = openSession(auth, token, csrf, nowMs);
  const response = withCookie(jsonResponse(200, { csrf: csrf }), sessionCookie(device.id, token));
  return outcome(next, response, findSession(next, token, nowMs));
};

// `secrets` null: the checks alone, and the hashing handed off when they pass.
const setup = (
  auth: WebAuthState,
  device: WebDevicePort,
  password: unknown,
  secrets: WebSecrets | null,
  client: string,
  nowMs: number,
): ApiOutcome => {
  if (decodeAccount(device.read("account")) !== null) {
    return outcome(auth, errorResponse(409, "a password is already set: log in instead"), null);
  }
  const checked = checkNewPassword(password);
  if (!checked.ok) return outcome(auth, errorResponse(400, checked.error), null);
  if (secrets === null) return accountHandOff(auth, "setup", checked.value, client);
  const salt = secrets.randomHex(16);
  const account = createAccount(checked.value, salt, secrets.iterations, secrets.derive);
  device.writeAccount(encodeAccount(account));
  // Sessions from before a password existed must not outlive its creation.
  const fresh = Object.assign({}, auth, { sessions: [] });
  return startSession(fresh, device, secrets, nowMs);
};

const login = (
  auth: WebAuthState,
  device: WebDevicePort,
  password: unknown,
  secrets: WebSecrets | null,
  client: string,
  nowMs: number,
): ApiOutcome => {
  const account = decodeAccount(device.read("account"));
  if (account === null) {
    return outcome(auth, errorResponse(409, "no password is set yet: choose one first"), null);
  }
  if (typeof password !== "string") {
    return outcome(auth, errorResponse(400, "password must be text"), null);
  }
  const gate = loginGate(auth, client, nowMs);
  if (!gate.allowed) {
    const seconds = Math.max(1, Math.ceil(gate.retryAfterMs / 1000));
    const limited = jsonResponse(429, {
      error: "too many failed logins: try again in " + seconds + " s",
      retryAfterS: seconds,
    });
    limited.headers["retry-after"] = String(seconds);
    return outcome(auth, limited, null);
  }
  if (secrets === null) return accountHandOff(auth, "login", password, client);
  if (!verifyPassword(account, password, secrets.derive)) {
    const next = recordLoginFailure(auth, client, nowMs);
    return outcome(next, errorResponse(401, "wrong password"), null);
  }
  return startSession(auth, device, secrets, nowMs);
};

const accountHandOff = (
  auth: WebAuthState,
  action: AccountWork["action"],
  password: string,
  client: string,
): ApiOutcome => ({
  auth: auth,
  response: jsonResponse(200, {}),
  handOff: "account",
  session: null,
  account: { action: action, password: password, client: client },
});

const readBody = (request: WebRequest): Result<Record<string, unknown>> => {
  if (request.bodyProblem === "too-large") {
    return { ok: false, error: "the request body is too large" };
  }
  if (request.bodyProblem !== null) return { ok: false, error: "the request body is not text" };
  return parseJsonObject(request.body);
};

const bodyStatus = (request: WebRequest): number => request.bodyProblem === "too-large" ? 413 : 400;

// Either the refusal or the commands to feed.
const settingsCommands = (
  device: WebDevicePort,
  body: Record<string, unknown>,
): WebResponse | WebCommands => {
  // `{settings: {...}}`, the shape GET answers with, is accepted as well as the bare fields.
  const inner = body.settings;
  const wrapped = Object.keys(body).length === 1 && inner !== null && typeof inner === "object" &&
    !Array.isArray(inner);
  const partial = wrapped ? inner as Record<string, unknown> : body;
  const plan = planSettingsChange(device.kind, device.read("settings"), partial);
  if (!plan.ok) {
    return jsonResponse(400, { error: "some settings are not valid", errors: plan.errors });
  }
  return { answer: "settings", commands: plan.commands };
};

/**
 * Feeds a request's checked commands to the device and answers it: the states after a
 * relay or fan command, the settings after a change. A single command the device refuses
 * is a 400 with its reason (nothing changed); a refusal among several is a 500.
 *
 * @param device The device.
 * @param planned The commands from {@linkcode handleDeviceRequest}'s `commands` hand-off.
 * @returns The answer.
 * @example
 * ```ts
 * import { applyWebCommands } from "./web_api.ts";
 * import type { WebDevicePort } from "./web_device.ts";
 * import assert from "node:assert/strict";
 * const sent: string[] = [];
 * const device = {
 *   command: (param: string, payload: string) => (sent.push(param + "=" + payload), null),
 *   read: (fact: string) => fact === "states" ? { on: true } : null,
 * } as unknown as WebDevicePort;
 * const answer = applyWebCommands(device, {
 *   answer: "states",
 *   commands: [{ param: "power", payload: "ON" }],
 * });
 * assert.deepEqual(sent, ["power=ON"]);
 * assert.equal(answer.body, '{"states":{"on":true}}');
 * ```
 */
export function applyWebCommands(device: WebDevicePort, planned: WebCommands): WebResponse {
  const commands = planned.commands;
  const first = commands[0];
  if (planned.answer === "states" && commands.length === 1 && first !== undefined) {
    // A single command: when it is refused, nothing was changed.
    const error = device.command(first.param, first.payload);
    if (error !== null) return errorResponse(400, error);
  } else {
    const error = applyCommands(device, commands);
    if (error !== null) {
      const what = planned.answer === "settings" ? "setting" : "command";
      return errorResponse(500, "the device refused a checked " + what + ": " + error);
    }
  }
  return planned.answer === "settings"
    ? settingsAnswer(device)
    : jsonResponse(200, { states: device.read("states") });
}

/**
 * Does a checked `api/setup` or `api/login` handed off by {@linkcode handleDeviceRequest}
 * (called with no secrets): hashes the password and answers. Its checks are made again, so
 * a request that waited behind another (a second setup) gets the answer it would have had.
 *
 * @param auth The device's auth state now.
 * @param device The device.
 * @param secrets Randomness and hashing.
 * @param work The `account` hand-off.
 * @param nowMs Now (wall-clock time).
 * @returns The new auth state, the answer and the new session.
 * @example
 * ```ts
 * import { applyAccountWork, handleDeviceRequest } from "./web_api.ts";
 * import type { WebDevicePort, WebSecrets } from "./web_device.ts";
 * import { createAuthState, DEFAULT_AUTH_LIMITS } from "./web_auth.ts";
 * import assert from "node:assert/strict";
 * let stored: string | null = null;
 * const device = {
 *   kind: "plugs", id: "plug1",
 *   read: (fact: string) =>
 *     ({ account: stored, powered: true, wifi: { state: "up" } } as Record<string, unknown>)[fact],
 *   writeAccount: (text: string) => (stored = text),
 * } as unknown as WebDevicePort;
 * const secrets: WebSecrets = {
 *   randomHex: (bytes) => "ab".repeat(bytes),
 *   derive: (password, salt, n) => salt + n + password,
 *   iterations: 2,
 * };
 * const request = {
 *   method: "POST", path: "/devices/plug1/api/setup",
 *   headers: { "content-type": "application/json" },
 *   body: '{"password":"correct horse"}', bodyProblem: null, client: "10.0.0.2",
 * };
 * const auth = createAuthState(DEFAULT_AUTH_LIMITS);
 * const checked = handleDeviceRequest(auth, request, "api/setup", device, null, 0);
 * assert.equal(checked.handOff, "account");
 * assert.equal(stored, null); // nothing hashed nor stored yet
 * const done = applyAccountWork(checked.auth, device, secrets, checked.account!, 0);
 * assert.equal(done.response.status, 200);
 * assert.equal(done.auth.sessions.length, 1);
 * assert.match(stored ?? "", /correct horse/);
 * ```
 */
export function applyAccountWork(
  auth: WebAuthState,
  device: WebDevicePort,
  secrets: WebSecrets,
  work: AccountWork,
  nowMs: number,
): ApiOutcome {
  const act = work.action === "setup" ? setup : login;
  return act(auth, device, work.password, secrets, work.client, nowMs);
}

const joinWifi = (device: WebDevicePort, body: Record<string, unknown>): WebResponse => {
  const wanted = checkWifiRequest(body);
  if (!wanted.ok) return errorResponse(400, wanted.error);
  const error = device.joinWifi(wanted.value.ssid, wanted.value.password);
  if (error !== null) return errorResponse(400, error);
  const view = deviceStateView(device);
  return jsonResponse(200, { wifi: view.wifi, network: view.network });
};

/**
 * Answers one request under `/devices/<id>/`.
 *
 * @param auth The device's auth state.
 * @param request The request.
 * @param rest The path after `/devices/<id>/` (see `splitDevicePath`).
 * @param device The device.
 * @param secretsOf Randomness and hashing, asked for only by the requests that use them
 *   (logging in and setting up: on an ESP8266 they take memory every other request can keep);
 *   `null` hands those requests off once checked, for {@linkcode applyAccountWork}.
 * @param nowMs Now (wall-clock time: sessions and rate limits are about people).
 * @returns The new auth state, the answer or what the adapter must do, and the session.
 * @example
 * ```ts
 * import { handleDeviceRequest } from "./web_api.ts";
 * import type { WebDevicePort, WebSecrets } from "./web_device.ts";
 * import { createAuthState, DEFAULT_AUTH_LIMITS } from "./web_auth.ts";
 * import assert from "node:assert/strict";
 * const device = {
 *   kind: "plugs", id: "plug1",
 *   read: (fact: string) => fact === "powered" ? true : fact === "wifi" ? { state: "up" } : null,
 * } as unknown as WebDevicePort;
 * const secretsOf = () => ({}) as WebSecrets; // not needed to refuse a request
 * const request = {
 *   method: "GET", path: "/devices/plug1/api/state", headers: {}, body: "",
 *   bodyProblem: null, client: "10.0.0.2",
 * };
 * const auth = createAuthState(DEFAULT_AUTH_LIMITS);
 * const answer = handleDeviceRequest(auth, request, "api/state", device, secretsOf, 0);
 * assert.equal(answer.response.status, 401);
 * assert.equal(answer.response.body, '{"error":"log in first"}');
 * ```
 */
export function handleDeviceRequest(
  auth: WebAuthState,
  request: WebRequest,
  rest: string,
  device: WebDevicePort,
  secretsOf: (() => WebSecrets) | null,
  nowMs: number,
): ApiOutcome {
  const methods = routeMethods(device.kind, rest);
  if (methods === null) return outcome(auth, errorResponse(404, "no such page"), null);
  if (methods.indexOf(request.method) < 0) {
    const refused = errorResponse(405, request.method + " is not allowed here");
    refused.headers["allow"] = methods.join(", ");
    return outcome(auth, refused, null);
  }
  if (rest === "") {
    return { auth: auth, response: jsonResponse(200, {}), handOff: "page", session: null };
  }
  if (!device.read("powered")) {
    return outcome(auth, errorResponse(503, "the device has no power"), null);
  }
  const changing = request.method === "POST" || rest === "api/ws";
  if (changing && !sameOrigin(request.headers)) {
    return outcome(auth, errorResponse(403, "cross-site request refused"), null);
  }
  const token = readCookie(request.headers["cookie"], SESSION_COOKIE);
  const session = token === null ? null : findSession(auth, token, nowMs);
  const apMode = device.read("wifi").state === "ap";
  if (rest === "api/session") {
    const next = token === null ? auth : touchSession(auth, token, nowMs);
    return outcome(
      next,
      jsonResponse(200, {
        setup: decodeAccount(device.read("account")) === null,
        loggedIn: session !== null,
        csrf: session === null ? null : session.csrf,
        kind: device.kind,
        id: device.id,
        apMode: apMode,
      }),
      session,
    );
  }
  const open = rest === "api/setup" || rest === "api/login" || (rest === "api/wifi" && apMode);
  if (open) {
    if (!isJsonContent(request.headers)) {
      return outcome(auth, errorResponse(415, "send the body as application/json"), null);
    }
    const body = readBody(request);
    if (!body.ok) return outcome(auth, errorResponse(bodyStatus(request), body.error), null);
    if (rest === "api/wifi") return outcome(auth, joinWifi(device, body.value), session);
    const secrets = secretsOf === null ? null : secretsOf();
    const act = rest === "api/setup" ? setup : login;
    return act(auth, device, body.value.password, secrets, request.client, nowMs);
  }
  if (session === null || token === null) {
    return outcome(auth, errorResponse(401, "log in first"), null);
  }
  if (request.method === "POST" && !csrfMatches(session, request.headers["x-csrf-token"] ?? null)) {
    return outcome(auth, errorResponse(403, "missing or wrong X-CSRF-Token header"), session);
  }
  const next = touchSession(auth, token, nowMs);
  if (rest === "api/ws") {
    return { auth: next, response: jsonResponse(200, {}), handOff: "websocket", session: session };
  }
  if (rest === "api/update") {
    return { auth: next, response: jsonResponse(200, {}), handOff: "update", session: session };
  }
  if (rest === "api/logout") {
    const closed = closeSession(next, token);
    const response = withCookie(
      jsonResponse(200, { loggedIn: false }),
      sessionCookie(device.id, ""),
    );
    return outcome(closed, response, null);
  }
  if (rest === "api/state") {
    return outcome(next, jsonResponse(200, deviceStateView(device)), session);
  }
  if (rest === "api/history") {
    const history = device.read("history");
    if (typeof history === "string") return outcome(next, jsonTextResponse(200, history), session);
    const response = jsonTextResponse(200, "");
    response.more = history;
    return outcome(next, response, session);
  }
  if (rest === "api/settings" && request.method === "GET") {
    return outcome(next, settingsAnswer(device), session);
  }
  const body = readBody(request);
  if (!body.ok) return outcome(next, errorResponse(bodyStatus(request), body.error), session);
  if (rest === "api/wifi") return outcome(next, joinWifi(device, body.value), session);
  let planned: WebResponse | WebCommands;
  if (rest === "api/settings") planned = settingsCommands(device, body.value);
  else {
    const commands = rest === "api/relay"
      ? relayCommands(body.value)
      : fanCommands(body.value, device.read("settings") as FanSettings);
    planned = commands.ok
      ? { answer: "states", commands: commands.value }
      : errorResponse(400, commands.error);
  }
  if ("status" in planned) return outcome(next, planned, session);
  return {
    auth: next,
    response: jsonResponse(200, {}),
    handOff: "commands",
    session: session,
    commands: planned,
  };
}
