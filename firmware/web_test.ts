import assert from "node:assert/strict";
import { pbkdf2Sync } from "node:crypto";
import { Buffer } from "node:buffer";
import fc from "fast-check";
import { decodeAccount } from "../lib/web_account.ts";
import { ANSWER_CHUNK_CHARS, CHIP_JSON_BODY_BYTES, IDLE_RETRY_MS, serveWeb } from "./web.ts";
import { settingFields } from "../lib/web_settings.ts";
import { esp8266Crypto, fakeRequest, fakeResponse, plugWeb } from "./web_fakes_test.ts";
import { PAGE_CHUNK_BYTES, PAGE_FILE } from "./web_page.ts";
import { ACCOUNT_KEY, adoptConfiguredPassword, chipPort } from "./web_port.ts";
import type { WebCommandEvent } from "./web_context.ts";
import { type DeviceEffect, effectPublishes } from "../lib/device_effects.ts";
import { recordReading } from "./web_history_record.ts";

type World = ReturnType<typeof plugWeb>;

interface CallOptions {
  body?: string;
  cookie?: string;
  csrf?: string;
  headers?: Record<string, string>;
}

/** One request through serveWeb, its body sent in Espruino-sized chunks. */
const call = (w: World, method: string, url: string, options: CallOptions = {}) => {
  const headers: Record<string, string> = { Host: "10.0.0.5" };
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    headers["Content-Length"] = String(options.body.length);
  }
  if (options.cookie !== undefined) headers["Cookie"] = options.cookie;
  if (options.csrf !== undefined) headers["X-CSRF-Token"] = options.csrf;
  Object.assign(headers, options.headers ?? {});
  const request = fakeRequest(method, url, headers);
  const response = fakeResponse();
  serveWeb(w.web, request.req, response.res);
  if (method === "POST") request.send(options.body ?? "");
  // Commands are fed in a task of their own.
  w.advance(0);
  // An answer in parts goes on as the socket drains (the page's own stream is tested apart).
  for (let round = 0; url.includes("/api/") && !response.sent.ended && round < 100; round++) {
    response.drain();
  }
  return response;
};

const API = "/devices/plug1/api/";

/** First run: sets the password, returns the session cookie and CSRF token. */
const setUp = (w: World, password = "correct horse") => {
  const answer = call(w, "POST", API + "setup", { body: JSON.stringify({ password }) });
  assert.equal(answer.sent.status, 200, answer.body());
  const cookie = answer.sent.headers["set-cookie"] ?? "";
  assert.match(
    cookie,
    /^hg_session=[0-9a-f]{32}; HttpOnly; SameSite=Strict; Path=\/devices\/plug1\//,
  );
  return { cookie: cookie.split(";")[0] as string, csrf: answer.json().csrf as string };
};

Deno.test("first run, login, wrong password and logout, with the simulator's answers", () => {
  const w = plugWeb();
  assert.deepEqual(call(w, "GET", API + "session").json(), {
    setup: true,
    loggedIn: false,
    csrf: null,
    kind: "plugs",
    id: "plug1",
    apMode: false,
  });
  assert.equal(call(w, "GET", API + "state").sent.status, 401);
  const { cookie, csrf } = setUp(w);
  assert.match(csrf, /^[0-9a-f]{32}$/);
  // The stored record is a PBKDF2-SHA256 hash node:crypto reproduces (no password kept).
  const account = decodeAccount(w.files["hg." + ACCOUNT_KEY] ?? null);
  assert.ok(account !== null);
  assert.ok(account.iterations >= 1);
  assert.equal(
    account.hash,
    pbkdf2Sync("correct horse", Buffer.from(account.salt, "hex"), account.iterations, 32, "sha256")
      .toString("hex"),
  );
  assert.ok(!JSON.stringify(w.files).includes("correct horse"));
  assert.equal(call(w, "GET", API + "session", { cookie }).json().csrf, csrf);
  assert.equal(
    call(w, "POST", API + "setup", { body: '{"password":"another one"}' }).sent.status,
    409,
  );
  const wrong = call(w, "POST", API + "login", { body: '{"password":"wrong horse"}' });
  assert.deepEqual([wrong.sent.status, wrong.json()], [401, { error: "wrong password" }]);
  const login = call(w, "POST", API + "login", { body: '{"password":"correct horse"}' });
  assert.equal(login.sent.status, 200);
  const out = call(w, "POST", API + "logout", { body: "{}", cookie, csrf });
  assert.equal(out.sent.status, 200);
  assert.equal(call(w, "GET", API + "state", { cookie }).sent.status, 401);
});

Deno.test("failed logins are limited for all clients together (no remote address on Espruino)", () => {
  const w = plugWeb();
  setUp(w);
  for (let i = 0; i < 5; i++) {
    assert.equal(
      call(w, "POST", API + "login", { body: '{"password":"nope nope"}' }).sent.status,
      401,
    );
  }
  const limited = call(w, "POST", API + "login", { body: '{"password":"correct horse"}' });
  assert.equal(limited.sent.status, 429);
  assert.match(limited.sent.headers["retry-after"] ?? "", /^(59|60)$/);
});

Deno.test("state, relay and CSRF: a POST without the token changes nothing", () => {
  const w = plugWeb();
  const { cookie, csrf } = setUp(w);
  const state = call(w, "GET", API + "state", { cookie });
  assert.equal(state.sent.status, 200);
  assert.equal(state.sent.headers["content-type"], "application/json; charset=utf-8");
  assert.equal(state.sent.headers["content-length"], String(state.body().length));
  assert.equal(state.sent.headers["x-frame-options"], "DENY");
  const view = state.json();
  assert.equal(view.kind, "plugs");
  assert.equal(view.states.on, false);
  assert.equal(view.states.settings, undefined);
  assert.equal(view.firmware.version, "0.1.0");
  const body = '{"action":"on"}';
  assert.equal(call(w, "POST", API + "relay", { body, cookie }).sent.status, 403);
  assert.equal(
    call(w, "POST", API + "relay", { body, cookie, csrf: "0".repeat(64) }).sent.status,
    403,
  );
  assert.equal(w.state().relay.on, false);
  const on = call(w, "POST", API + "relay", { body, cookie, csrf });
  assert.equal(on.sent.status, 200);
  assert.equal(on.json().states.on, true);
  assert.equal(w.state().relay.on, true);
  // A cross-site form post is refused before anything else.
  const forged = call(w, "POST", API + "relay", {
    body,
    cookie,
    csrf,
    headers: { Origin: "http://evil.example" },
  });
  assert.equal(forged.sent.status, 403);
});

Deno.test("settings change through the command path; a bad one changes nothing", () => {
  const w = plugWeb();
  const { cookie, csrf } = setUp(w);
  const before = call(w, "GET", API + "settings", { cookie }).json();
  assert.equal(before.settings.max_power, 0);
  const bad = call(w, "POST", API + "settings", { body: '{"max_power": 99999}', cookie, csrf });
  assert.equal(bad.sent.status, 400);
  assert.match(bad.json().errors.max_power, /max_power/);
  assert.equal(w.state().settings.maxPowerW, 0);
  const good = call(w, "POST", API + "settings", { body: '{"max_power": 1500}', cookie, csrf });
  assert.equal(good.sent.status, 200, good.body());
  assert.equal(good.json().settings.max_power, 1500);
  assert.equal(w.state().settings.maxPowerW, 1500);
  const malformed = call(w, "POST", API + "settings", { body: "{oops", cookie, csrf });
  assert.equal(malformed.sent.status, 400);
  assert.match(malformed.json().error, /not valid JSON/);
});

Deno.test("a body over the chip's limit is refused at once and not kept", () => {
  const w = plugWeb();
  const { cookie, csrf } = setUp(w);
  const big = JSON.stringify({ max_power: 1, pad: "x".repeat(CHIP_JSON_BODY_BYTES) });
  const request = fakeRequest("POST", API + "settings", {
    Host: "10.0.0.5",
    "Content-Type": "application/json",
    "Content-Length": String(big.length),
    Cookie: cookie,
    "X-CSRF-Token": csrf,
  });
  const response = fakeResponse();
  serveWeb(w.web, request.req, response.res);
  assert.equal(response.sent.status, 413);
  assert.ok(request.listens("data"), "the body is taken (and dropped), not left buffered");
  request.send(big);
  assert.equal(w.state().settings.maxPowerW, 0);
});

Deno.test("api/ws answers at once so the page falls back to polling", () => {
  const w = plugWeb();
  assert.equal(call(w, "GET", API + "ws").sent.status, 401);
  const { cookie } = setUp(w);
  const ws = call(w, "GET", API + "ws", { cookie, headers: { Upgrade: "websocket" } });
  assert.equal(ws.sent.status, 501);
  assert.match(ws.json().error, /poll api\/state/);
});

Deno.test("the page streams from Storage one chunk per drain, gzip, with an ETag", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 3000 }), (bytes) => {
      const w = plugWeb();
      const page = Buffer.from(bytes).toString("latin1");
      w.files[PAGE_FILE] = page;
      const response = call(w, "GET", "/devices/plug1/");
      const headers = response.sent.headers;
      assert.equal(response.sent.status, 200);
      assert.equal(headers["content-encoding"], "gzip");
      assert.equal(headers["content-type"], "text/html; charset=utf-8");
      assert.equal(headers["content-length"], String(page.length));
      assert.match(
        headers["content-security-policy"] ?? "",
        /connect-src 'self' ws:\/\/10\.0\.0\.5;/,
      );
      // The first chunk waits for the headers to go, then one is in flight at a time.
      assert.equal(response.sent.chunks.length, 0);
      response.drain();
      const chunks = Math.ceil(page.length / PAGE_CHUNK_BYTES);
      for (let i = 1; i <= chunks; i++) {
        assert.equal(response.sent.chunks.length, i);
        assert.ok((response.sent.chunks[i - 1] as string).length <= PAGE_CHUNK_BYTES);
        response.drain();
      }
      assert.ok(response.sent.ended);
      assert.equal(response.body(), page);
      const again = call(w, "GET", "/devices/plug1/", {
        headers: { "If-None-Match": headers["etag"] as string },
      });
      assert.equal(again.sent.status, 304);
      assert.equal(again.body(), "");
    }),
    { numRuns: 25 },
  );
});

Deno.test("without the page in Storage, a clear 503; / leads to the device's page", () => {
  const w = plugWeb();
  const missing = call(w, "GET", "/devices/plug1/");
  assert.equal(missing.sent.status, 503);
  assert.match(missing.json().error, /hg\.page\.gz/);
  const root = call(w, "GET", "/");
  assert.deepEqual([root.sent.status, root.sent.headers["location"]], [302, "/devices/plug1/"]);
  assert.equal(call(w, "GET", "/devices/plug1").sent.status, 308);
  assert.equal(call(w, "GET", "/devices/other/api/state").sent.status, 404);
  assert.equal(call(w, "GET", "/favicon.ico").sent.status, 204);
});

Deno.test("history: the graph's readings in 10 s slots, with the running mean, in parts", () => {
  const w = plugWeb();
  const { cookie } = setUp(w);
  const start = w.web.g.getTime() * 1000;
  for (let t = 0; t < 30000; t += 1000) recordReading(w.web.history, [100], start + t);
  const response = call(w, "GET", API + "history", { cookie });
  // Sent as it is made, a few numbers per drain: never the whole text at once.
  assert.equal(response.sent.headers["content-length"], undefined);
  assert.ok(response.sent.chunks.length >= 2, String(response.sent.chunks.length));
  for (const chunk of response.sent.chunks) {
    assert.ok(chunk.length < ANSWER_CHUNK_CHARS + 40, String(chunk.length));
  }
  const history = response.json();
  assert.equal(history.slotMs, 10000);
  assert.equal(history.power.length, 60);
  assert.equal(history.meanWindowMs, 60000);
  assert.ok(history.power.slice(0, 50).every((v: unknown) => v === null));
});

Deno.test("an ESP8266 (SHA-1 only) derives in JavaScript, with iterations fitted to it", () => {
  const w = plugWeb({ crypto: esp8266Crypto });
  setUp(w, "slow but fine");
  const account = decodeAccount(w.files["hg." + ACCOUNT_KEY] ?? null);
  assert.ok(account !== null && account.iterations >= 1);
  assert.equal(
    call(w, "POST", API + "login", { body: '{"password":"slow but fine"}' }).sent.status,
    200,
  );
});

Deno.test("a password in housegrid.json becomes the account and leaves the file", () => {
  const w = plugWeb({ password: "from the config" });
  assert.equal(adoptConfiguredPassword(w.web), true);
  assert.ok(!(w.files["housegrid.json"] ?? "").includes("from the config"));
  assert.equal(w.web.config.web.password, "");
  assert.equal(call(w, "GET", API + "session").json().setup, false);
  const login = call(w, "POST", API + "login", { body: '{"password":"from the config"}' });
  assert.equal(login.sent.status, 200);
  assert.equal(adoptConfiguredPassword(w.web), false);
});

Deno.test("any request line or headers get an answer, never an exception", () => {
  fc.assert(
    fc.property(
      fc.constantFrom("GET", "POST", "PUT", "HEAD", "get"),
      fc.oneof(fc.string(), fc.constantFrom(API + "state", API + "relay", "/", API + "update")),
      fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 20 })),
      fc.string({ maxLength: 200 }),
      (method, url, headers, body) => {
        const w = plugWeb();
        const request = fakeRequest(method, url, headers);
        const response = fakeResponse();
        serveWeb(w.web, request.req, response.res);
        request.send(body);
        assert.ok(response.sent.status >= 200 && response.sent.status < 600);
        assert.ok(response.sent.ended);
      },
    ),
    { numRuns: 150 },
  );
});

Deno.test("a fault inside the device while answering is a 500, logged, not a hung socket", () => {
  const w = plugWeb();
  const { cookie, csrf } = setUp(w);
  w.web.runtime.dispatch = () => {
    throw new Error("boom");
  };
  const answer = call(w, "POST", API + "relay", { body: '{"action":"on"}', cookie, csrf });
  assert.deepEqual([answer.sent.status, answer.json()], [500, { error: "internal error" }]);
  assert.ok(answer.sent.ended);
  assert.ok(w.logs.some((line) => /boom/.test(line)));
});

Deno.test("a command the device refuses: its reason, published when connected, not fed offline", () => {
  const w = plugWeb();
  const fed: DeviceEffect[][] = [];
  const dispatch = w.web.runtime.dispatch;
  w.web.runtime.dispatch = (event) => {
    const effects = dispatch(event);
    fed.push(effects);
    return effects;
  };
  const port = chipPort(w.web);
  assert.match(port.command("power", "MAYBE") ?? "", /ON, OFF or TOGGLE/);
  assert.deepEqual(effectPublishes(fed.flat()).map((message) => message.topic), [
    "plugs/plug1/errors",
  ]);
  dispatch({ type: "disconnected", nowMs: 0 } as unknown as WebCommandEvent);
  fed.length = 0;
  assert.match(port.command("power", "MAYBE") ?? "", /ON, OFF or TOGGLE/);
  assert.equal(fed.length, 0, "a refused command is not fed");
  assert.equal(port.command("power", "ON"), null);
  assert.equal(w.state().relay.on, true);
});

Deno.test("the settings answer goes out in parts, a few per drain, each made only then", () => {
  const w = plugWeb();
  const { cookie } = setUp(w);
  const request = fakeRequest("GET", API + "settings", { Host: "10.0.0.5", Cookie: cookie });
  const response = fakeResponse();
  serveWeb(w.web, request.req, response.res);
  assert.equal(response.sent.status, 200);
  assert.equal(response.sent.headers["content-length"], undefined);
  assert.equal(response.sent.chunks.length, 1);
  assert.ok(!response.sent.ended);
  let drains = 0;
  while (!response.sent.ended && drains < 100) {
    response.drain();
    drains++;
  }
  assert.ok(response.sent.chunks.length >= 3, String(response.sent.chunks.length));
  for (const chunk of response.sent.chunks.slice(1)) {
    assert.ok(chunk.length < ANSWER_CHUNK_CHARS + 400, String(chunk.length));
  }
  const answer = response.json();
  assert.equal(answer.settings.max_power, 0);
  assert.deepEqual(answer.fields, settingFields("plugs"));
});

Deno.test("a browser's headers the device never reads are dropped as its request comes in", () => {
  const w = plugWeb();
  const { cookie } = setUp(w);
  const request = fakeRequest("GET", API + "state", {
    Host: "10.0.0.5",
    Cookie: cookie,
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)",
    "Accept-Language": "en-GB,en;q=0.9",
    "Sec-Fetch-Mode": "cors",
  });
  const response = fakeResponse();
  serveWeb(w.web, request.req, response.res);
  assert.equal(response.sent.status, 200, response.body());
  assert.deepEqual(Object.keys(request.req.headers).sort(), ["cookie", "host"]);
});

/** A logged-in relay POST under way, its body not sent yet. */
const relayRequest = () => {
  const w = plugWeb();
  const { cookie, csrf } = setUp(w);
  const request = fakeRequest("POST", API + "relay", {
    Host: "10.0.0.5",
    Cookie: cookie,
    "X-CSRF-Token": csrf,
    "Content-Type": "application/json",
  });
  const response = fakeResponse();
  serveWeb(w.web, request.req, response.res);
  return { w, cookie, request, response };
};

Deno.test("a command from the page is fed in a task of its own, after the request's checks", () => {
  const { w, request, response } = relayRequest();
  request.send('{"action":"on"}');
  assert.equal(response.sent.status, 0, "not answered within the request's task");
  assert.equal(w.state().relay.on, false);
  w.advance(0);
  assert.equal(response.sent.status, 200, response.body());
  assert.equal(w.state().relay.on, true);
  assert.equal(response.json().states.on, true);
});

Deno.test("a request waits while the device has states to publish", () => {
  const { w, cookie, request, response } = relayRequest();
  w.setBusy(true);
  request.send('{"action":"on"}');
  // Once read, the request holds no listeners.
  assert.equal(request.listens("data") || request.listens("end"), false);
  for (let i = 0; i < 5; i++) w.advance(IDLE_RETRY_MS);
  assert.equal(w.state().relay.on, false, "not fed while the device is busy");
  assert.equal(response.sent.status, 0);
  // Nor is a GET answered.
  const state = fakeRequest("GET", API + "state", { Host: "10.0.0.5", Cookie: cookie });
  const stateResponse = fakeResponse();
  serveWeb(w.web, state.req, stateResponse.res);
  w.advance(IDLE_RETRY_MS);
  assert.equal(stateResponse.sent.status, 0);
  assert.equal(response.sent.status, 0);
  w.setBusy(false);
  w.advance(IDLE_RETRY_MS);
  assert.equal(response.sent.status, 200, response.body());
  assert.equal(w.state().relay.on, true);
  assert.equal(stateResponse.sent.status, 200, stateResponse.body());
  // Once answered, the request holds no headers (cookie, token).
  assert.deepEqual(Object.keys(request.req.headers), []);
});

Deno.test("a password is hashed in a task of its own, once the request's checks are done", () => {
  const w = plugWeb({ crypto: esp8266Crypto });
  const compacted: string[] = [];
  w.web.g.E.defrag = () => compacted.push(w.files["hg." + ACCOUNT_KEY] ?? "no account yet");
  // Sent without letting the device's timers run.
  const postSetup = () => {
    const body = '{"password":"correct horse"}';
    const request = fakeRequest("POST", API + "setup", {
      Host: "10.0.0.5",
      "Content-Type": "application/json",
      "Content-Length": String(body.length),
    });
    const response = fakeResponse();
    serveWeb(w.web, request.req, response.res);
    request.send(body);
    return response;
  };
  const response = postSetup();
  assert.equal(response.sent.status, 0, "not hashed within the request's task");
  assert.equal(w.files["hg." + ACCOUNT_KEY], undefined);
  w.advance(0);
  assert.equal(response.sent.status, 200, response.body());
  assert.equal(decodeAccount(w.files["hg." + ACCOUNT_KEY] ?? null)?.algorithm, "pbkdf2-sha1");
  assert.deepEqual(compacted, ["no account yet"], "memory compacted once, before the hashing");
  // A refusal needs no hashing: it is answered at once.
  assert.equal(postSetup().sent.status, 409);
});
