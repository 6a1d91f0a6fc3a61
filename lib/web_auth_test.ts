import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type AuthLimits,
  closeSession,
  constantTimeEqual,
  createAuthState,
  csrfMatches,
  DEFAULT_AUTH_LIMITS,
  findSession,
  loginGate,
  openSession,
  recordLoginFailure,
  touchSession,
  type WebAuthState,
} from "./web_auth.ts";

const hex = (minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength, maxLength });

const limitsArb: fc.Arbitrary<AuthLimits> = fc.record({
  sessionIdleMs: fc.integer({ min: 1, max: 100000 }),
  maxSessions: fc.integer({ min: 1, max: 6 }),
  loginWindowMs: fc.integer({ min: 1, max: 100000 }),
  maxLoginFailures: fc.integer({ min: 1, max: 6 }),
  maxTrackedClients: fc.integer({ min: 1, max: 4 }),
});

Deno.test("constantTimeEqual agrees with === on any strings", () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), (a, b) => {
      assert.equal(constantTimeEqual(a, b), a === b);
      assert.equal(constantTimeEqual(a, a), true);
      assert.equal(constantTimeEqual(a, a + "x"), false);
      assert.equal(constantTimeEqual(a + "x", a), false);
    }),
  );
  assert.equal(constantTimeEqual("", ""), true);
  assert.equal(constantTimeEqual("a", ""), false);
  assert.equal(constantTimeEqual(1 as unknown as string, "1"), false);
});

Deno.test("a session is found by its own token only, with its own CSRF token", () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(hex(1, 16), { minLength: 1, maxLength: 8 }),
      hex(0, 16),
      (tokens, stranger) => {
        let state = createAuthState(Object.assign({}, DEFAULT_AUTH_LIMITS, { maxSessions: 8 }));
        tokens.forEach((token, n) => (state = openSession(state, token, `csrf-${n}`, n)));
        tokens.forEach((token, n) => {
          const session = findSession(state, token, 100);
          assert.equal(session?.csrf, `csrf-${n}`);
          tokens.forEach((_, m) => assert.equal(csrfMatches(session, `csrf-${m}`), m === n));
        });
        if (!tokens.includes(stranger)) assert.equal(findSession(state, stranger, 100), null);
        assert.equal(findSession(state, "", 100), null);
      },
    ),
  );
});

Deno.test("sessions expire when idle, never exceed the table, and inputs stay as they were", () => {
  const op = fc.oneof(
    fc.record({ type: fc.constant("open"), token: hex(1, 3) }),
    fc.record({ type: fc.constant("touch"), token: hex(1, 3) }),
    fc.record({ type: fc.constant("close"), token: hex(1, 3) }),
  );
  fc.assert(
    fc.property(
      limitsArb,
      fc.array(fc.tuple(op, fc.integer({ min: 0, max: 50000 })), { maxLength: 40 }),
      (limits, ops) => {
        let state: WebAuthState = createAuthState(limits);
        let nowMs = 0;
        const lastSeen = new Map<string, number>();
        for (const [step, advanceMs] of ops) {
          nowMs += advanceMs;
          const before = structuredClone(state);
          let next = state;
          if (step.type === "open") {
            next = openSession(state, step.token, "c", nowMs);
            lastSeen.set(step.token, nowMs);
          } else if (step.type === "touch") {
            const alive = findSession(state, step.token, nowMs) !== null;
            next = touchSession(state, step.token, nowMs);
            if (alive) lastSeen.set(step.token, nowMs);
          } else {
            next = closeSession(state, step.token);
            lastSeen.delete(step.token);
          }
          assert.deepEqual(state, before, "input unchanged");
          state = next;
          assert.ok(state.sessions.length <= limits.maxSessions);
          for (const [token, seenMs] of lastSeen) {
            const found = findSession(state, token, nowMs);
            if (nowMs - seenMs >= limits.sessionIdleMs) assert.equal(found, null, "expired");
            if (found !== null) assert.equal(found.lastSeenMs, seenMs);
          }
        }
      },
    ),
  );
});

Deno.test("the newest session survives a full table; the least recently used goes", () => {
  const limits = Object.assign({}, DEFAULT_AUTH_LIMITS, { maxSessions: 2 });
  let state = openSession(createAuthState(limits), "a", "ca", 0);
  state = openSession(state, "b", "cb", 10);
  state = touchSession(state, "a", 20);
  state = openSession(state, "c", "cc", 30);
  assert.deepEqual(state.sessions.map((s) => s.token).sort(), ["a", "c"]);
});

Deno.test("the login limiter never lets more than N failures per client into a window", () => {
  fc.assert(
    fc.property(
      limitsArb,
      fc.array(
        fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 30000 })),
        { maxLength: 80 },
      ),
      (limits, attempts) => {
        let state = createAuthState(limits);
        let nowMs = 0;
        const failures: Array<{ client: string; atMs: number }> = [];
        for (const [clientNo, advanceMs] of attempts) {
          nowMs += advanceMs;
          const client = `10.0.0.${clientNo}`;
          const gate = loginGate(state, client, nowMs);
          if (gate.allowed) {
            state = recordLoginFailure(state, client, nowMs);
            failures.push({ client, atMs: nowMs });
          } else {
            assert.ok(gate.retryAfterMs > 0 && gate.retryAfterMs <= limits.loginWindowMs);
            // Waiting as told is enough.
            assert.equal(loginGate(state, client, nowMs + gate.retryAfterMs).allowed, true);
          }
          assert.ok(state.failures.length <= limits.maxTrackedClients);
        }
        for (const failure of failures) {
          const inWindow = failures.filter((f) =>
            f.client === failure.client && f.atMs >= failure.atMs &&
            f.atMs - failure.atMs < limits.loginWindowMs
          );
          assert.ok(inWindow.length <= limits.maxLoginFailures, JSON.stringify(inWindow));
        }
      },
    ),
  );
});

Deno.test("the limiter gives each client its own budget until the client table is full", () => {
  const limits = Object.assign({}, DEFAULT_AUTH_LIMITS, { maxTrackedClients: 2 });
  let state = createAuthState(limits);
  for (let n = 0; n < 5; n++) state = recordLoginFailure(state, "a", n * 1000);
  assert.deepEqual(loginGate(state, "a", 5000), { allowed: false, retryAfterMs: 55000 });
  assert.equal(loginGate(state, "b", 5000).allowed, true);
  state = recordLoginFailure(state, "b", 6000);
  assert.deepEqual(loginGate(state, "c", 7000), { allowed: false, retryAfterMs: 57000 });
  assert.equal(loginGate(state, "c", 64000).allowed, true, "a's failures have left the window");
});
