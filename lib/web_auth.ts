/**
 * The device web page's login state, kept in RAM: a small table of sessions that expire
 * when idle, each with its own CSRF token, and a login rate limiter that counts failed
 * attempts per client in a sliding window. Tokens come from the adapter (lib/ has no
 * randomness) and are compared in constant time.
 *
 * Every function returns a new state and leaves its input as it was; time is `nowMs`,
 * compared as `nowMs - thenMs >= durationMs`.
 *
 * @module
 */

/** How long sessions live and how hard logins are throttled. */
export interface AuthLimits {
  /** A session unused this long is gone (12 h by default). */
  sessionIdleMs: number;
  /** Most sessions kept; the least recently used is dropped for a new one. */
  maxSessions: number;
  /** Length of the sliding window failed logins are counted in. */
  loginWindowMs: number;
  /** Failed logins a client may make in one window; the next attempt is refused. */
  maxLoginFailures: number;
  /** Most clients with failures tracked at once; beyond it new clients are refused too. */
  maxTrackedClients: number;
}

/**
 * Default limits: 12 h idle sessions, 8 sessions, 5 failed logins per client per minute,
 * 16 clients tracked (so at most 80 guesses a minute reach the password check).
 *
 * @example
 * ```ts
 * import { DEFAULT_AUTH_LIMITS } from "./web_auth.ts";
 * import assert from "node:assert/strict";
 * assert.equal(DEFAULT_AUTH_LIMITS.maxLoginFailures, 5);
 * ```
 */
export const DEFAULT_AUTH_LIMITS: AuthLimits = {
  sessionIdleMs: 12 * 3600000,
  maxSessions: 8,
  loginWindowMs: 60000,
  maxLoginFailures: 5,
  maxTrackedClients: 16,
};

/** One logged-in browser. */
export interface WebSession {
  /** The secret in the session cookie. */
  token: string;
  /** The secret the page sends back in the `X-CSRF-Token` header. */
  csrf: string;
  /** When the session was opened. */
  createdMs: number;
  /** When it was last used; it expires `sessionIdleMs` after this. */
  lastSeenMs: number;
}

/** Failed logins of one client inside the current window. */
export interface LoginFailures {
  /** The client, e.g. its IP address. */
  client: string;
  /** When each failure happened, oldest first. */
  atMs: number[];
}

/** Sessions and login failures of one device. */
export interface WebAuthState {
  /** The limits in force. */
  limits: AuthLimits;
  /** Open sessions. */
  sessions: WebSession[];
  /** Recent failures per client. */
  failures: LoginFailures[];
}

/** Whether a login attempt may go ahead. */
export interface LoginGate {
  /** `true` when the password may be checked. */
  allowed: boolean;
  /** When refused: how long until an attempt can be allowed again. */
  retryAfterMs: number;
}

/**
 * Compares two secrets in time that depends only on their lengths, so a guess cannot be
 * improved one character at a time by timing the answer.
 *
 * @param a One string.
 * @param b The other.
 * @returns `true` when both are the same string.
 * @example
 * ```ts
 * import { constantTimeEqual } from "./web_auth.ts";
 * import assert from "node:assert/strict";
 * assert.equal(constantTimeEqual("a1b2", "a1b2"), true);
 * assert.equal(constantTimeEqual("a1b2", "a1b3"), false);
 * assert.equal(constantTimeEqual("a1b2", "a1b"), false);
 * ```
 */
export function constantTimeEqual(a: string, b: string): boolean {
  if (typeof a !== "string" || typeof b !== "string") return false;
  let diff = a.length === b.length ? 0 : 1;
  // Always walk the whole of `a`, comparing against `b` wrapped around, without branching.
  const n = b.length === 0 ? 1 : b.length;
  for (let i = 0; i < a.length; i++) {
    diff = diff | (a.charCodeAt(i) ^ b.charCodeAt(i % n));
  }
  return diff === 0 && a.length === b.length;
}

/**
 * Makes the empty auth state of a device.
 *
 * @param limits The limits to enforce, e.g. {@linkcode DEFAULT_AUTH_LIMITS}.
 * @returns No sessions, no failures.
 * @example
 * ```ts
 * import { createAuthState, DEFAULT_AUTH_LIMITS } from "./web_auth.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(createAuthState(DEFAULT_AUTH_LIMITS).sessions, []);
 * ```
 */
export function createAuthState(limits: AuthLimits): WebAuthState {
  return { limits: Object.assign({}, limits), sessions: [], failures: [] };
}

const alive = (limits: AuthLimits, session: WebSession, nowMs: number): boolean =>
  !(nowMs - session.lastSeenMs >= limits.sessionIdleMs);

const sessionIndex = (state: WebAuthState, token: string, nowMs: number): number => {
  let found = -1;
  if (typeof token !== "string" || token === "") return found;
  // Compare with every session so that the time taken does not tell which one matched.
  for (let i = 0; i < state.sessions.length; i++) {
    const session = state.sessions[i] as WebSession;
    if (constantTimeEqual(token, session.token) && alive(state.limits, session, nowMs)) found = i;
  }
  return found;
};

/**
 * Opens a session: expired ones are dropped first, then the least recently used while the
 * table is full.
 *
 * @param state The device's auth state.
 * @param token A fresh random session token (the cookie).
 * @param csrf A fresh random CSRF token.
 * @param nowMs Now.
 * @returns The new state.
 * @example
 * ```ts
 * import { createAuthState, DEFAULT_AUTH_LIMITS, findSession, openSession } from "./web_auth.ts";
 * import assert from "node:assert/strict";
 * const state = openSession(createAuthState(DEFAULT_AUTH_LIMITS), "t1", "c1", 0);
 * assert.equal(findSession(state, "t1", 1000)?.csrf, "c1");
 * ```
 */
export function openSession(
  state: WebAuthState,
  token: string,
  csrf: string,
  nowMs: number,
): WebAuthState {
  const kept = state.sessions.filter((s) => alive(state.limits, s, nowMs) && s.token !== token);
  kept.sort((a, b) => b.lastSeenMs - a.lastSeenMs);
  const room = Math.max(0, state.limits.maxSessions - 1);
  const sessions = kept.slice(0, room);
  sessions.push({ token: token, csrf: csrf, createdMs: nowMs, lastSeenMs: nowMs });
  return Object.assign({}, state, { sessions: sessions });
}

/**
 * Finds the live session a cookie token belongs to.
 *
 * @param state The device's auth state.
 * @param token The token from the cookie (any text; empty finds nothing).
 * @param nowMs Now; an idle-expired session is not found.
 * @returns The session, or `null`.
 * @example
 * ```ts
 * import { createAuthState, findSession, openSession } from "./web_auth.ts";
 * import assert from "node:assert/strict";
 * const limits = { sessionIdleMs: 1000, maxSessions: 2, loginWindowMs: 1, maxLoginFailures: 1, maxTrackedClients: 1 };
 * const state = openSession(createAuthState(limits), "t1", "c1", 0);
 * assert.equal(findSession(state, "t2", 10), null);
 * assert.equal(findSession(state, "t1", 1000), null); // idle too long
 * ```
 */
export function findSession(state: WebAuthState, token: string, nowMs: number): WebSession | null {
  const index = sessionIndex(state, token, nowMs);
  return index < 0 ? null : state.sessions[index] as WebSession;
}

/**
 * Marks a session as used now, which pushes its idle expiry back.
 *
 * @param state The device's auth state.
 * @param token The session's token.
 * @param nowMs Now.
 * @returns The new state (the same one when no live session has the token).
 * @example
 * ```ts
 * import { createAuthState, DEFAULT_AUTH_LIMITS, openSession, touchSession } from "./web_auth.ts";
 * import assert from "node:assert/strict";
 * const state = touchSession(openSession(createAuthState(DEFAULT_AUTH_LIMITS), "t", "c", 0), "t", 50);
 * assert.equal(state.sessions[0]?.lastSeenMs, 50);
 * ```
 */
export function touchSession(state: WebAuthState, token: string, nowMs: number): WebAuthState {
  const index = sessionIndex(state, token, nowMs);
  if (index < 0) return state;
  const sessions = state.sessions.slice();
  sessions[index] = Object.assign({}, sessions[index], { lastSeenMs: nowMs });
  return Object.assign({}, state, { sessions: sessions });
}

/**
 * Ends a session (logout).
 *
 * @param state The device's auth state.
 * @param token The session's token.
 * @returns The new state without that session.
 * @example
 * ```ts
 * import { closeSession, createAuthState, DEFAULT_AUTH_LIMITS, openSession } from "./web_auth.ts";
 * import assert from "node:assert/strict";
 * const state = closeSession(openSession(createAuthState(DEFAULT_AUTH_LIMITS), "t", "c", 0), "t");
 * assert.deepEqual(state.sessions, []);
 * ```
 */
export function closeSession(state: WebAuthState, token: string): WebAuthState {
  const sessions = state.sessions.filter((s) => !constantTimeEqual(token, s.token));
  return Object.assign({}, state, { sessions: sessions });
}

/**
 * Checks the `X-CSRF-Token` header against a session's token.
 *
 * @param session The request's session, or `null`.
 * @param header The header's value, or `null` when absent.
 * @returns `true` only for a session and the exact token.
 * @example
 * ```ts
 * import { csrfMatches } from "./web_auth.ts";
 * import assert from "node:assert/strict";
 * const session = { token: "t", csrf: "c", createdMs: 0, lastSeenMs: 0 };
 * assert.equal(csrfMatches(session, "c"), true);
 * assert.equal(csrfMatches(session, null), false);
 * ```
 */
export function csrfMatches(session: WebSession | null, header: string | null): boolean {
  if (session === null || typeof header !== "string" || header === "") return false;
  return constantTimeEqual(header, session.csrf);
}

// Failures still inside the window, per client; clients with none are dropped.
const liveFailures = (state: WebAuthState, nowMs: number): LoginFailures[] => {
  const out: LoginFailures[] = [];
  for (const entry of state.failures) {
    const atMs = entry.atMs.filter((t) => nowMs - t < state.limits.loginWindowMs);
    if (atMs.length > 0) out.push({ client: entry.client, atMs: atMs });
  }
  return out;
};

/**
 * Tells whether a client may try a password now: not after `maxLoginFailures` failures
 * inside the window, and not as a new client while `maxTrackedClients` others are being
 * throttled (failing closed, so that many addresses cannot reset each other's counts).
 *
 * @param state The device's auth state.
 * @param client The client, e.g. its IP address.
 * @param nowMs Now.
 * @returns Whether to go ahead, and when refused how long to wait.
 * @example
 * ```ts
 * import { createAuthState, loginGate, recordLoginFailure } from "./web_auth.ts";
 * import assert from "node:assert/strict";
 * const limits = { sessionIdleMs: 1, maxSessions: 1, loginWindowMs: 60000, maxLoginFailures: 2, maxTrackedClients: 4 };
 * let state = createAuthState(limits);
 * state = recordLoginFailure(state, "10.0.0.9", 0);
 * state = recordLoginFailure(state, "10.0.0.9", 1000);
 * assert.deepEqual(loginGate(state, "10.0.0.9", 2000), { allowed: false, retryAfterMs: 58000 });
 * assert.equal(loginGate(state, "10.0.0.9", 60000).allowed, true);
 * assert.equal(loginGate(state, "10.0.0.7", 2000).allowed, true);
 * ```
 */
export function loginGate(state: WebAuthState, client: string, nowMs: number): LoginGate {
  const limits = state.limits;
  const live = liveFailures(state, nowMs);
  const mine = live.find((entry) => entry.client === client);
  if (mine !== undefined) {
    if (mine.atMs.length < limits.maxLoginFailures) return { allowed: true, retryAfterMs: 0 };
    // The window must slide past enough failures to leave room for one more.
    const freeing = mine.atMs[mine.atMs.length - limits.maxLoginFailures] as number;
    return { allowed: false, retryAfterMs: freeing + limits.loginWindowMs - nowMs };
  }
  if (limits.maxLoginFailures < 1) return { allowed: false, retryAfterMs: limits.loginWindowMs };
  if (live.length < limits.maxTrackedClients) return { allowed: true, retryAfterMs: 0 };
  let soonestMs = limits.loginWindowMs;
  for (const entry of live) {
    const lastMs = entry.atMs[entry.atMs.length - 1] as number;
    soonestMs = Math.min(soonestMs, lastMs + limits.loginWindowMs - nowMs);
  }
  return { allowed: false, retryAfterMs: soonestMs };
}

/**
 * Counts a failed login (wrong password) of a client. Only call it for an attempt that
 * {@linkcode loginGate} allowed.
 *
 * @param state The device's auth state.
 * @param client The client, e.g. its IP address.
 * @param nowMs Now.
 * @returns The new state.
 * @example
 * ```ts
 * import { createAuthState, DEFAULT_AUTH_LIMITS, recordLoginFailure } from "./web_auth.ts";
 * import assert from "node:assert/strict";
 * const state = recordLoginFailure(createAuthState(DEFAULT_AUTH_LIMITS), "10.0.0.9", 5);
 * assert.deepEqual(state.failures, [{ client: "10.0.0.9", atMs: [5] }]);
 * ```
 */
export function recordLoginFailure(
  state: WebAuthState,
  client: string,
  nowMs: number,
): WebAuthState {
  const failures = liveFailures(state, nowMs);
  const keep = Math.max(1, state.limits.maxLoginFailures);
  const index = failures.findIndex((entry) => entry.client === client);
  if (index < 0) {
    failures.push({ client: client, atMs: [nowMs] });
  } else {
    const entry = failures[index] as LoginFailures;
    const atMs = entry.atMs.concat([nowMs]);
    failures[index] = { client: client, atMs: atMs.slice(Math.max(0, atMs.length - keep)) };
  }
  return Object.assign({}, state, { failures: failures });
}
