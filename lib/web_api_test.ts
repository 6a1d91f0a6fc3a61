import assert from "node:assert/strict";
import fc from "fast-check";
import { DEFAULT_FAN_SETTINGS, DEFAULT_PLUG_SETTINGS } from "./settings.ts";
import type { FanSettings, PlugSettings } from "./settings.ts";
import { applySettingText } from "./settings_validate.ts";
import type { DeviceKind } from "./topics.ts";
import {
  type ApiOutcome,
  applyAccountWork,
  applyWebCommands,
  handleDeviceRequest,
} from "./web_api.ts";
import type { WebDeviceFacts, WebDevicePort, WebSecrets } from "./web_device.ts";
import { createAuthState, DEFAULT_AUTH_LIMITS, type WebAuthState } from "./web_auth.ts";
import { responseText, type WebRequest } from "./web_http.ts";

/** A device that records what reaches it. */
interface FakeDevice extends WebDevicePort {
  log: string[];
  account: string | null;
  wifiState: string;
  on: boolean;
  current: PlugSettings | FanSettings;
  isPowered: boolean;
}

function fakeDevice(kind: DeviceKind): FakeDevice {
  const device: FakeDevice = {
    kind,
    id: kind === "plugs" ? "plug1" : "fan1",
    log: [],
    account: null,
    wifiState: "up",
    on: false,
    isPowered: true,
    current: kind === "plugs" ? DEFAULT_PLUG_SETTINGS : DEFAULT_FAN_SETTINGS,
    read(fact) {
      const facts: WebDeviceFacts = {
        powered: device.isPowered,
        connected: true,
        states: { on: device.on },
        settings: device.current,
        wifi: {
          state: device.wifiState,
          apSsid: "housegrid-x",
          ssid: "home",
          ip: "10.0.0.2",
          mac: "5C:CF:7F:00:00:01",
          rssiDbm: -60,
          lastError: "",
        },
        firmware: { version: "1.0.0", sha256: null },
        history: JSON.stringify({ slotMs: 1000 }),
        account: device.account,
      };
      return facts[fact];
    },
    command(param, payload) {
      device.log.push(`command ${param}=${payload}`);
      if (param === "power") {
        device.on = payload === "TOGGLE" ? !device.on : payload === "ON";
        return null;
      }
      if (param === "pulse" || param === "speed") return null;
      const next = applySettingText(device.kind, device.current as never, param, payload);
      if (!next.ok) return next.error;
      device.current = next.value;
      return null;
    },
    joinWifi(ssid) {
      device.log.push(`join ${ssid}`);
      device.wifiState = "connecting";
      return null;
    },
    writeAccount(text) {
      device.log.push("account");
      device.account = text;
    },
  };
  return device;
}

function fakeSecrets(): WebSecrets {
  let counter = 0;
  return {
    randomHex: (bytes) => (++counter).toString(16).padStart(bytes * 2, "0"),
    derive: (password, salt, iterations) =>
      Array.from(`${salt}:${iterations}:${password}`, (c) => c.charCodeAt(0).toString(16))
        .join(""),
    iterations: 3,
  };
}

class Client {
  auth: WebAuthState = createAuthState(DEFAULT_AUTH_LIMITS);
  cookie = "";
  csrf = "";
  nowMs = 0;
  readonly secrets = fakeSecrets();
  /** `accountHandOff`: logins and setups are handed off, as the firmware has them. */
  constructor(readonly device: FakeDevice, readonly accountHandOff = false) {}

  send(
    method: string,
    rest: string,
    body: unknown = undefined,
    headers: Record<string, string> = {},
  ): ApiOutcome {
    const request: WebRequest = {
      method,
      path: `/devices/${this.device.id}/${rest}`,
      headers: Object.assign(
        { host: "hg.local", "content-type": "application/json" },
        this.cookie === "" ? {} : { cookie: this.cookie },
        this.csrf === "" ? {} : { "x-csrf-token": this.csrf },
        headers,
      ),
      body: body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body),
      bodyProblem: null,
      client: "10.0.0.9",
    };
    const secrets = this.secrets;
    let outcome = handleDeviceRequest(
      this.auth,
      request,
      rest,
      this.device,
      this.accountHandOff ? null : () => secrets,
      this.nowMs,
    );
    if (outcome.handOff === "account" && outcome.account !== undefined) {
      outcome = applyAccountWork(outcome.auth, this.device, secrets, outcome.account, this.nowMs);
    }
    this.auth = outcome.auth;
    if (outcome.handOff === "commands" && outcome.commands !== undefined) {
      outcome.response = applyWebCommands(this.device, outcome.commands);
      outcome.handOff = null;
    }
    // An answer in parts, read whole once.
    const whole = outcome.response;
    outcome.response = { status: whole.status, headers: whole.headers, body: responseText(whole) };
    const cookie = outcome.response.headers["set-cookie"];
    if (cookie !== undefined) this.cookie = cookie.split(";")[0] ?? "";
    const parsed = outcome.handOff === null ? JSON.parse(outcome.response.body) : {};
    if (typeof parsed.csrf === "string") this.csrf = parsed.csrf;
    return outcome;
  }

  json(method: string, rest: string, body?: unknown, headers?: Record<string, string>) {
    const outcome = this.send(method, rest, body, headers);
    return { status: outcome.response.status, body: JSON.parse(outcome.response.body), outcome };
  }
}

Deno.test("first run: setup once, then login; cookies and CSRF tokens", () => {
  const device = fakeDevice("plugs");
  const client = new Client(device);
  assert.deepEqual(client.json("GET", "api/session").body, {
    setup: true,
    loggedIn: false,
    csrf: null,
    kind: "plugs",
    id: "plug1",
    apMode: false,
  });
  assert.equal(client.json("POST", "api/login", { password: "whatever1" }).status, 409);
  assert.equal(client.json("POST", "api/setup", { password: "short" }).status, 400);
  assert.equal(device.account, null);
  const setup = client.json("POST", "api/setup", { password: "correct horse" });
  assert.equal(setup.status, 200);
  assert.match(setup.outcome.response.headers["set-cookie"] ?? "", /HttpOnly; SameSite=Strict/);
  assert.ok(!(device.account ?? "").includes("correct horse"));
  assert.equal(client.json("GET", "api/session").body.loggedIn, true);
  assert.equal(client.json("POST", "api/setup", { password: "another one" }).status, 409);
  // Log out, then back in.
  assert.equal(client.json("POST", "api/logout").status, 200);
  assert.equal(client.json("GET", "api/state").status, 401);
  assert.equal(client.json("POST", "api/login", { password: "correct horsE" }).status, 401);
  assert.equal(client.json("POST", "api/login", { password: "correct horse" }).status, 200);
  assert.equal(client.json("GET", "api/state").status, 200);
});

Deno.test("setup and login handed off answer as when done at once", () => {
  const step = fc.record({
    rest: fc.constantFrom("api/setup", "api/login", "api/logout", "api/state"),
    password: fc.oneof(
      fc.constantFrom("correct horse", "correct horsE", "short"),
      fc.string({ maxLength: 12 }),
      fc.integer(),
    ),
    waitMs: fc.nat({ max: 30000 }),
  });
  fc.assert(
    fc.property(fc.array(step, { maxLength: 25 }), (steps) => {
      const direct = new Client(fakeDevice("plugs"));
      const handedOff = new Client(fakeDevice("plugs"), true);
      for (const { rest, password, waitMs } of steps) {
        const answers = [direct, handedOff].map((client) => {
          client.nowMs += waitMs;
          const outcome = client.send("POST", rest, { password });
          return [outcome.handOff, outcome.response, outcome.auth, client.device.account];
        });
        assert.deepEqual(answers[1], answers[0]);
      }
    }),
  );
});

Deno.test("a handed-off setup checks again: the second of two waiting setups is refused", () => {
  const device = fakeDevice("fans");
  const first = new Client(device, true);
  const request = (password: string): WebRequest => ({
    method: "POST",
    path: "/devices/fan1/api/setup",
    headers: { host: "hg.local", "content-type": "application/json" },
    body: JSON.stringify({ password }),
    bodyProblem: null,
    client: "10.0.0.9",
  });
  const one = handleDeviceRequest(first.auth, request("first one!"), "api/setup", device, null, 0);
  const two = handleDeviceRequest(first.auth, request("second one"), "api/setup", device, null, 0);
  assert.equal(one.handOff, "account");
  assert.equal(two.handOff, "account");
  assert.equal(device.account, null);
  const done = applyAccountWork(first.auth, device, first.secrets, one.account!, 0);
  assert.equal(done.response.status, 200);
  const late = applyAccountWork(done.auth, device, first.secrets, two.account!, 0);
  assert.equal(late.response.status, 409);
  assert.deepEqual(late.auth, done.auth);
});

Deno.test("every change needs the session's CSRF token; nothing changes without it", () => {
  const device = fakeDevice("plugs");
  const client = new Client(device);
  client.json("POST", "api/setup", { password: "correct horse" });
  const token = client.csrf;
  const before = device.log.length;
  client.csrf = "";
  assert.equal(client.json("POST", "api/relay", { action: "on" }).status, 403);
  client.csrf = token.replace(/.$/, (c) => (c === "0" ? "1" : "0"));
  assert.equal(client.json("POST", "api/relay", { action: "on" }).status, 403);
  assert.equal(device.log.length, before);
  client.csrf = token;
  assert.deepEqual(client.json("POST", "api/relay", { action: "on" }).body, {
    states: { on: true },
  });
  // Another site's page cannot post even with the cookie and token.
  const forged = client.json("POST", "api/relay", { action: "off" }, {
    origin: "http://evil.example",
  });
  assert.equal(forged.status, 403);
  assert.equal(device.on, true);
});

Deno.test("logins are rate-limited and sessions expire", () => {
  const device = fakeDevice("fans");
  const client = new Client(device);
  client.json("POST", "api/setup", { password: "correct horse" });
  client.json("POST", "api/logout");
  for (let n = 0; n < 5; n++) {
    assert.equal(client.json("POST", "api/login", { password: `guess ${n}xx` }).status, 401);
  }
  const limited = client.json("POST", "api/login", { password: "correct horse" });
  assert.equal(limited.status, 429);
  assert.equal(limited.outcome.response.headers["retry-after"], "60");
  client.nowMs = 60000;
  assert.equal(client.json("POST", "api/login", { password: "correct horse" }).status, 200);
  client.nowMs += DEFAULT_AUTH_LIMITS.sessionIdleMs - 1;
  assert.equal(client.json("GET", "api/state").status, 200, "used just in time");
  client.nowMs += DEFAULT_AUTH_LIMITS.sessionIdleMs;
  assert.equal(client.json("GET", "api/state").status, 401, "idle too long");
  assert.equal(client.json("GET", "api/session").body.loggedIn, false);
});

Deno.test("settings: all or nothing, through the command path", () => {
  const device = fakeDevice("fans");
  const client = new Client(device);
  client.json("POST", "api/setup", { password: "correct horse" });
  const bad = client.json("POST", "api/settings", { hum_on: 60, hum_off: 65, timer_on: "abc" });
  assert.equal(bad.status, 400);
  assert.deepEqual(Object.keys(bad.body.errors).sort(), ["hum_on", "timer_on"]);
  assert.match(bad.body.errors.hum_on, /hum_on must be above hum_off/);
  assert.equal(device.current, DEFAULT_FAN_SETTINGS);
  const good = client.json("POST", "api/settings", { hum_on: 60, hum_off: "50" });
  assert.equal(good.status, 200);
  assert.equal(good.body.settings.hum_on, 60);
  assert.equal(good.body.settings.max_speed, 2);
  assert.equal(good.body.settings.cooldown, undefined, "local settings stay off the page");
  assert.equal(good.body.fields.length, Object.keys(good.body.settings).length);
  assert.deepEqual(device.log.filter((l) => l.startsWith("command")), [
    "command hum_off=50",
    "command hum_on=60",
  ]);
  const wrapped = client.json("POST", "api/settings", { settings: { hum_on: 70 } });
  assert.equal(wrapped.body.settings.hum_on, 70, "the GET shape is accepted too");
  assert.equal(client.json("POST", "api/settings", "{oops").status, 400);
  assert.equal(client.json("POST", "api/relay", { action: "on" }).status, 404, "a fan");
  assert.deepEqual(client.json("POST", "api/fan", { speed: 2 }).body, { states: { on: false } });
  assert.equal(client.json("POST", "api/fan", { speed: 3 }).status, 400);
});

Deno.test("routes: 404, 405, page and WebSocket hand-offs, power cut", () => {
  const device = fakeDevice("plugs");
  const client = new Client(device);
  assert.equal(client.json("GET", "api/nope").status, 404);
  const wrong = client.json("DELETE", "api/state");
  assert.equal(wrong.status, 405);
  assert.equal(wrong.outcome.response.headers["allow"], "GET");
  assert.equal(client.send("GET", "").handOff, "page");
  assert.equal(client.json("GET", "api/ws").status, 401);
  client.json("POST", "api/setup", { password: "correct horse" });
  assert.equal(client.send("GET", "api/ws").handOff, "websocket");
  assert.equal(client.send("GET", "api/ws", undefined, { origin: "http://x" }).handOff, null);
  assert.equal(client.send("POST", "api/update", "var a;").handOff, "update");
  device.isPowered = false;
  assert.equal(client.json("GET", "api/state").status, 503);
});

Deno.test("provisioning: open in AP mode with a JSON body, login otherwise", () => {
  const device = fakeDevice("plugs");
  device.wifiState = "ap";
  const client = new Client(device);
  assert.equal(client.json("GET", "api/session").body.apMode, true);
  const form = client.json("POST", "api/wifi", "ssid=x", { "content-type": "text/plain" });
  assert.equal(form.status, 415);
  assert.equal(client.json("POST", "api/wifi", { ssid: "home", password: "short" }).status, 400);
  const joined = client.json("POST", "api/wifi", { ssid: "home", password: "secret-pass" });
  assert.equal(joined.status, 200);
  assert.equal(joined.body.wifi.state, "connecting");
  assert.ok(!JSON.stringify(joined.body).includes("secret-pass"));
  assert.equal(client.json("POST", "api/wifi", { ssid: "home2" }).status, 401, "not AP any more");
});

Deno.test("without a valid session no request reaches the device", () => {
  const rests = [
    "",
    "api/state",
    "api/history",
    "api/settings",
    "api/relay",
    "api/fan",
    "api/ws",
    "api/wifi",
    "api/update",
    "api/logout",
    "api/nope",
  ];
  fc.assert(
    fc.property(
      fc.constantFrom("GET", "POST", "PUT", "DELETE"),
      fc.constantFrom(...rests),
      fc.oneof(fc.string(), fc.json()),
      fc.option(fc.string({ maxLength: 70 })),
      fc.option(fc.string({ maxLength: 70 })),
      (method, rest, body, cookie, csrf) => {
        const device = fakeDevice("plugs");
        device.account = '{"algorithm":"pbkdf2-sha256","iterations":1,"salt":"00","hash":"ff"}';
        const client = new Client(device);
        client.cookie = cookie === null ? "" : `hg_session=${cookie}`;
        client.csrf = csrf ?? "";
        const outcome = client.send(method, rest, body);
        assert.deepEqual(device.log, []);
        assert.equal(device.on, false);
        assert.ok(outcome.handOff === null || outcome.handOff === "page");
        assert.ok(outcome.response.status >= 400 || outcome.handOff === "page");
      },
    ),
  );
});
