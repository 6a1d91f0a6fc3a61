import assert from "node:assert/strict";
import { startBroker } from "./broker.ts";
import { VirtualClock } from "./clock.ts";
import { startFleet } from "./fleet.ts";
import type { SimFan } from "./fan.ts";
import { mqttJsLink } from "./mqtt_link.ts";
import { SimPlug } from "./plug.ts";
import { deviceStore } from "./store.ts";
import { serveWeb, SIM_PBKDF2_ITERATIONS } from "./web_server.ts";
import { SIM_SSID } from "./wifi.ts";

const PAGE = "<!doctype html><title>device</title><p>test page</p>";
const PASSWORD = "correct horse battery";

interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown> & { error?: string };
  text: string;
}

interface Call {
  method?: string;
  body?: unknown;
  session?: Session | null;
  csrf?: string | null;
  headers?: Record<string, string>;
}

interface Session {
  cookie: string;
  csrf: string;
}

/** A fleet on memory links, its web server, and helpers. */
async function harness() {
  const dataDir = await Deno.makeTempDir({ prefix: "housegrid-web-" });
  const pageFile = await Deno.makeTempFile({ suffix: ".html" });
  await Deno.writeTextFile(pageFile, PAGE);
  const clock = new VirtualClock({ startMs: Date.UTC(2026, 0, 5, 12) });
  const fleet = startFleet({
    devices: [
      { kind: "plugs", id: "plug1", load: "heater" },
      { kind: "plugs", id: "plug2", load: "standby" },
      { kind: "fans", id: "fan1", room: "bathroom" },
    ],
    clock,
    prefix: "",
    dataDir,
    seed: 7,
    brokerUrl: null,
  });
  clock.advanceBy(90000);
  let wallMs = Date.UTC(2026, 0, 5, 12);
  const web = serveWeb({
    fleet,
    clock,
    host: "127.0.0.1",
    port: 0,
    dataDir,
    pageFile: new URL(`file://${pageFile}`),
    wallClock: () => wallMs,
    historyPushMs: 200,
  });
  const call = async (path: string, init: Call = {}): Promise<Answer> => {
    const headers: Record<string, string> = {};
    if (init.body !== undefined) headers["content-type"] = "application/json";
    if (init.session) {
      headers.cookie = init.session.cookie;
      headers["x-csrf-token"] = init.session.csrf;
    }
    if (init.csrf === null) delete headers["x-csrf-token"];
    else if (init.csrf !== undefined) headers["x-csrf-token"] = init.csrf;
    Object.assign(headers, init.headers ?? {});
    const response = await fetch(web.url + path, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers,
      body: init.body === undefined
        ? undefined
        : typeof init.body === "string" || init.body instanceof Uint8Array
        ? init.body as BodyInit
        : JSON.stringify(init.body),
      redirect: "manual",
    });
    const text = await response.text();
    let json = {};
    try {
      json = JSON.parse(text);
    } catch {
      // Not JSON (pages).
    }
    return { status: response.status, headers: response.headers, json, text };
  };
  const login = async (id: string, password = PASSWORD): Promise<Session> => {
    const answer = await call(`/devices/${id}/api/login`, { body: { password } });
    assert.equal(answer.status, 200, answer.text);
    const cookie = (answer.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    return { cookie, csrf: String(answer.json.csrf) };
  };
  const setup = async (id: string): Promise<Session> => {
    const answer = await call(`/devices/${id}/api/setup`, { body: { password: PASSWORD } });
    assert.equal(answer.status, 200, answer.text);
    const cookie = (answer.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    return { cookie, csrf: String(answer.json.csrf) };
  };
  const device = (id: string) => fleet.devices.get(id)!;
  /** Everything a refused request must leave as it was. */
  const snapshot = (id: string) => {
    const store = deviceStore(dataDir, id);
    return JSON.stringify({
      view: device(id).view(),
      boots: device(id).boots,
      store: store.keys().map((key) => [key, store.read(key)]),
    });
  };
  return {
    web,
    fleet,
    clock,
    dataDir,
    call,
    login,
    setup,
    device,
    snapshot,
    advanceWall: (ms: number) => (wallMs += ms),
    async close() {
      await web.shutdown();
      await fleet.stop();
      await Deno.remove(dataDir, { recursive: true });
      await Deno.remove(pageFile);
    },
  };
}

Deno.test("web server: overview, page, auth, settings, actions, update", async (t) => {
  const h = await harness();
  try {
    await t.step("fleet overview without login, no settings or secrets", async () => {
      const page = await h.call("/");
      assert.equal(page.status, 200);
      assert.match(page.headers.get("content-type") ?? "", /text\/html/);
      for (const id of ["plug1", "plug2", "fan1"]) assert.ok(page.text.includes(`/devices/${id}/`));
      const list = await h.call("/api/devices");
      const devices = list.json as unknown as Array<Record<string, unknown>>;
      assert.deepEqual(devices.map((d) => `${d.kind}/${d.id}/${d.online}`), [
        "plugs/plug1/true",
        "plugs/plug2/true",
        "fans/fan1/true",
      ]);
      assert.ok(!list.text.includes("settings") && !list.text.includes("sim-password"));
      assert.equal((await h.call("/", { method: "POST" })).status, 405);
      assert.equal((await h.call("/nope")).status, 404);
      const bare = await h.call("/devices/plug1");
      assert.equal(bare.status, 308);
      assert.equal(bare.headers.get("location"), "/devices/plug1/");
      assert.equal((await h.call("/devices/ghost/api/state")).status, 404);
    });

    await t.step("the device page is served as is, with a strict CSP", async () => {
      const page = await h.call("/devices/plug1/");
      assert.equal(page.status, 200);
      assert.equal(page.text, PAGE);
      const csp = page.headers.get("content-security-policy") ?? "";
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.equal(page.headers.get("x-frame-options"), "DENY");
    });

    let plug: Session;
    await t.step("first run: setup sets a hashed password and logs in", async () => {
      const before = h.snapshot("plug1");
      assert.equal((await h.call("/devices/plug1/api/state")).status, 401);
      assert.deepEqual((await h.call("/devices/plug1/api/session")).json, {
        setup: true,
        loggedIn: false,
        csrf: null,
        kind: "plugs",
        id: "plug1",
        apMode: false,
      });
      const short = await h.call("/devices/plug1/api/setup", { body: { password: "short" } });
      assert.equal(short.status, 400);
      assert.match(short.json.error ?? "", /8 to 128 characters/);
      const malformed = await h.call("/devices/plug1/api/setup", { body: "{password" });
      assert.equal(malformed.status, 400);
      assert.match(malformed.json.error ?? "", /not valid JSON/);
      const form = await h.call("/devices/plug1/api/setup", {
        method: "POST",
        body: undefined,
        headers: { "content-type": "text/plain" },
      });
      assert.equal(form.status, 415);
      assert.equal(h.snapshot("plug1"), before, "refused setups change nothing");

      const answer = await h.call("/devices/plug1/api/setup", { body: { password: PASSWORD } });
      assert.equal(answer.status, 200);
      const cookie = answer.headers.get("set-cookie") ?? "";
      assert.match(
        cookie,
        /^hg_session=[0-9a-f]{32}; HttpOnly; SameSite=Strict; Path=\/devices\/plug1\/$/,
      );
      assert.match(String(answer.json.csrf), /^[0-9a-f]{32}$/);
      plug = { cookie: cookie.split(";")[0] ?? "", csrf: String(answer.json.csrf) };
      const stored = deviceStore(h.dataDir, "plug1").read("web_account") ?? "";
      assert.ok(!stored.includes(PASSWORD));
      const account = JSON.parse(stored);
      assert.equal(account.algorithm, "pbkdf2-sha256");
      assert.ok(account.iterations >= 100000 && account.iterations === SIM_PBKDF2_ITERATIONS);
      assert.match(account.salt, /^[0-9a-f]{32}$/);
      const again = await h.call("/devices/plug1/api/setup", { body: { password: "another pw" } });
      assert.equal(again.status, 409);
      assert.equal(deviceStore(h.dataDir, "plug1").read("web_account"), stored);
      const session = await h.call("/devices/plug1/api/session", { session: plug });
      assert.equal(session.json.loggedIn, true);
      assert.equal(session.json.csrf, plug.csrf);
    });

    await t.step("state, history and settings; never a password", async () => {
      const state = await h.call("/devices/plug1/api/state", { session: plug });
      assert.equal(state.status, 200);
      assert.equal(state.json.kind, "plugs");
      assert.equal(state.json.connected, true);
      const network = state.json.network as Record<string, unknown>;
      assert.equal(typeof network.rssiDbm, "number");
      assert.ok((network.bars as number) >= 0 && (network.bars as number) <= 4);
      assert.match(String(network.mac), /^5C:CF:7F/);
      assert.deepEqual(state.json.wifi, { state: "up", apSsid: "housegrid-plug1", lastError: "" });
      assert.deepEqual(state.json.firmware, { version: "0.1.0-sim", sha256: null });
      const history = await h.call("/devices/plug1/api/history", { session: plug });
      assert.equal(history.json.slotMs, 1000);
      assert.equal((history.json.power as unknown[]).length, 600);
      assert.equal((history.json.mean as unknown[]).length, 600);
      const settings = await h.call("/devices/plug1/api/settings", { session: plug });
      const shownPlug = settings.json.settings as Record<string, unknown>;
      assert.equal(shownPlug.max_power, 0);
      assert.equal(shownPlug.power_on_state, "OFF");
      assert.equal(shownPlug.current_gain, undefined, "calibration stays off the page");
      const fields = settings.json.fields as Array<Record<string, unknown>>;
      assert.deepEqual(fields.find((f) => f.name === "max_power"), {
        name: "max_power",
        unit: "W",
        kind: "number",
        choices: [],
        min: 0,
        max: 4000,
        decimals: 1,
        editable: true,
      });
      for (const answer of [state, history, settings]) {
        assert.ok(!answer.text.includes("sim-password") && !answer.text.includes(PASSWORD));
        assert.equal(answer.headers.get("cache-control"), "no-store");
      }
      assert.equal((await h.call("/devices/plug1/api/state", { method: "POST" })).status, 405);
    });

    await t.step("relay: CSRF token required; bad input refused; toggle and pulse", async () => {
      const plug1 = h.device("plug1") as unknown as SimPlug;
      const before = h.snapshot("plug1");
      const path = "/devices/plug1/api/relay";
      assert.equal((await h.call(path, { body: { action: "on" } })).status, 401, "no session");
      const wrongCookie = { cookie: "hg_session=" + "0".repeat(64), csrf: plug.csrf };
      assert.equal(
        (await h.call(path, { body: { action: "on" }, session: wrongCookie })).status,
        401,
      );
      const noToken = await h.call(path, { body: { action: "on" }, session: plug, csrf: null });
      assert.equal(noToken.status, 403);
      assert.match(noToken.json.error ?? "", /X-CSRF-Token/);
      const wrong = await h.call(path, {
        body: { action: "on" },
        session: plug,
        csrf: "f".repeat(64),
      });
      assert.equal(wrong.status, 403);
      const evil = await h.call(path, {
        body: { action: "on" },
        session: plug,
        headers: { origin: "http://evil.example" },
      });
      assert.equal(evil.status, 403);
      for (
        const body of [
          "{not json",
          "[1]",
          { action: "explode" },
          { action: "pulse", seconds: 1e9 },
          { action: "pulse" },
        ]
      ) {
        const answer = await h.call(path, { body, session: plug });
        assert.equal(answer.status, 400, JSON.stringify(body));
        assert.ok((answer.json.error ?? "").length > 5);
      }
      const huge = await h.call(path, {
        body: JSON.stringify({ action: "on", pad: "x".repeat(20000) }),
        session: plug,
      });
      assert.equal(huge.status, 413);
      assert.equal(h.snapshot("plug1"), before, "nothing changed");
      assert.equal(plug1.relayOn, false);
      const on = await h.call(path, { body: { action: "toggle" }, session: plug });
      assert.equal(on.status, 200);
      assert.equal((on.json.states as Record<string, unknown>).on, true);
      assert.equal(plug1.relayOn, true);
      h.clock.advanceBy(1000);
      const pulse = await h.call(path, { body: { action: "pulse", seconds: 2 }, session: plug });
      assert.equal(pulse.status, 200);
      h.clock.advanceBy(3000);
      assert.equal(plug1.relayOn, false, "the pulse ended");
    });

    let fan: Session;
    await t.step("fan settings: ranges, hum_off < hum_on, all or nothing", async () => {
      fan = await h.setup("fan1");
      const fan1 = h.device("fan1") as unknown as SimFan;
      const path = "/devices/fan1/api/settings";
      const before = h.snapshot("fan1");
      const cases: Array<[unknown, string[]]> = [
        [{ hum_on: 150 }, ["hum_on"]],
        [{ hum_off: 85 }, ["hum_off"]],
        [{ hum_off: 80 }, ["hum_off"]],
        [{ hum_on: 75, timer_on: "soon" }, ["timer_on"]],
        [{ hum_on: 60, hum_off: 65 }, ["hum_on"]],
        [{ cooldown: 5 }, ["cooldown"]],
        [{ nope: 1 }, ["nope"]],
        [{ hum_using: "maybe" }, ["hum_using"]],
      ];
      for (const [body, fields] of cases) {
        const answer = await h.call(path, { body, session: fan });
        assert.equal(answer.status, 400, JSON.stringify(body));
        assert.deepEqual(Object.keys(answer.json.errors as object).sort(), fields, answer.text);
      }
      const badJson = await h.call(path, { body: '{"hum_on": 7', session: fan });
      assert.equal(badJson.status, 400);
      assert.match(badJson.json.error ?? "", /not valid JSON/);
      assert.equal(h.snapshot("fan1"), before, "nothing changed");

      const good = await h.call(path, {
        body: { hum_on: 65, hum_off: 55, timer_on: "300" },
        session: fan,
      });
      assert.equal(good.status, 200, good.text);
      const shown = good.json.settings as Record<string, unknown>;
      assert.deepEqual([shown.hum_on, shown.hum_off, shown.timer_on], [65, 55, 300]);
      // The page may send back what it was given: unchanged fields are no-ops.
      const echo = await h.call(path, { body: shown, session: fan });
      assert.equal(echo.status, 200, echo.text);
      const settings = fan1.state?.settings;
      assert.deepEqual([settings?.humOnPct, settings?.humOffPct, settings?.timerOnMs], [
        65,
        55,
        300000,
      ]);
      const saved = deviceStore(h.dataDir, "fan1").read("settings") ?? "";
      assert.match(saved, /"humOnPct":65/);
    });

    await t.step("fan actions", async () => {
      const fan1 = h.device("fan1") as unknown as SimFan;
      const path = "/devices/fan1/api/fan";
      for (const body of [{ speed: 9 }, { speed: -1 }, { power: "max" }, {}]) {
        assert.equal(
          (await h.call(path, { body, session: fan })).status,
          400,
          JSON.stringify(body),
        );
      }
      const off = await h.call(path, { body: { power: "off" }, session: fan });
      assert.equal(off.status, 200);
      assert.equal(fan1.speed, 0);
      const manual = await h.call(path, { body: { speed: 2 }, session: fan });
      assert.equal((manual.json.states as Record<string, unknown>).speed, 2);
      assert.equal(fan1.speed, 2);
      assert.equal(
        (await h.call("/devices/fan1/api/relay", { body: {}, session: fan })).status,
        404,
      );
    });

    await t.step(
      "update: bad bundles refused with nothing changed; a good one applied",
      async () => {
        const path = "/devices/plug1/api/update";
        const before = h.snapshot("plug1");
        const bad: Array<[BodyInit, number, RegExp]> = [
          ["", 400, /empty/],
          [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0xff, 0xfe, 0x00]), 400, /not UTF-8/],
          ["<html><body>not a bundle</body></html>", 400, /does not parse/],
          ["var a = b?.c;\nlet [x] = [1];", 400, /optional chaining.*destructuring/],
          ["// housegrid-version: next\nvar a;", 400, /version tag/],
          ["var x = 1;//" + "x".repeat(262144), 413, /larger than 256 KB/],
        ];
        for (const [body, status, message] of bad) {
          const answer = await h.call(path, {
            body: body as string,
            session: plug,
            headers: { "content-type": "application/javascript" },
          });
          assert.equal(answer.status, status, answer.text);
          assert.equal(answer.json.applied, false);
          assert.match(answer.json.error ?? "", message);
        }
        const nonJs = await h.call(path, { body: "<html>", session: plug });
        assert.match(
          String(nonJs.json.sha256),
          /^[0-9a-f]{64}$/,
          "the hash is shown even when refused",
        );
        const noCsrf = await h.call(path, { body: "var a = 1;", session: plug, csrf: null });
        assert.equal(noCsrf.status, 403);
        assert.equal(h.snapshot("plug1"), before, "nothing changed");

        const bundle = "// housegrid-version: 1.4.0\nvar answer = 42;\n";
        const expected = Array.from(
          new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(bundle))),
          (b) => b.toString(16).padStart(2, "0"),
        ).join("");
        const boots = h.device("plug1").boots;
        const applied = await h.call(path, { body: bundle, session: plug });
        assert.equal(applied.status, 200, applied.text);
        assert.deepEqual(applied.json, {
          sha256: expected,
          version: "1.4.0",
          applied: true,
          sizeBytes: bundle.length,
        });
        assert.equal(h.device("plug1").boots, boots + 1, "rebooted");
        const state = await h.call("/devices/plug1/api/state", { session: plug });
        assert.deepEqual(state.json.firmware, { version: "1.4.0", sha256: expected });
      },
    );

    await t.step("logins are rate-limited per device and client", async () => {
      const path = "/devices/plug2/api/login";
      await h.setup("plug2");
      for (let n = 0; n < 5; n++) {
        const answer = await h.call(path, { body: { password: `wrong guess ${n}` } });
        assert.equal(answer.status, 401);
        assert.ok(!answer.headers.has("set-cookie"));
      }
      const limited = await h.call(path, { body: { password: PASSWORD } });
      assert.equal(limited.status, 429, "even the right password waits");
      assert.equal(limited.headers.get("retry-after"), "60");
      assert.match(limited.json.error ?? "", /too many failed logins/);
      assert.equal(
        (await h.call("/devices/plug1/api/login", { body: { password: PASSWORD } })).status,
        200,
        "another device is not affected",
      );
      h.advanceWall(60001);
      await h.login("plug2");
    });

    await t.step("sessions end at logout and after 12 h idle", async () => {
      const other = await h.login("plug1");
      const out = await h.call("/devices/plug1/api/logout", { body: {}, session: other });
      assert.equal(out.status, 200);
      assert.match(out.headers.get("set-cookie") ?? "", /Max-Age=0/);
      assert.equal((await h.call("/devices/plug1/api/state", { session: other })).status, 401);
      assert.equal((await h.call("/devices/plug1/api/state", { session: plug })).status, 200);
      h.advanceWall(12 * 3600000 + 1);
      assert.equal((await h.call("/devices/plug1/api/state", { session: plug })).status, 401);
      const before = h.snapshot("plug1");
      assert.equal(
        (await h.call("/devices/plug1/api/relay", { body: { action: "on" }, session: plug }))
          .status,
        401,
      );
      assert.equal(h.snapshot("plug1"), before);
    });
  } finally {
    await h.close();
  }
});

Deno.test("web server: the WebSocket pushes a relay change within a second", async () => {
  const h = await harness();
  try {
    const session = await h.setup("plug1");
    const url = h.web.url.replace("http", "ws") + "/devices/plug1/api/ws";
    const refused = await new Promise<string>((resolve) => {
      const ws = new WebSocket(url);
      ws.onopen = () => resolve("opened");
      ws.onerror = () => resolve("refused");
    });
    assert.equal(refused, "refused", "no cookie, no socket");

    const messages: Array<Record<string, unknown>> = [];
    let notify = () => {};
    const ws = new WebSocket(url, { headers: { cookie: session.cookie } } as unknown as string[]);
    ws.onmessage = (event) => {
      messages.push(JSON.parse(event.data));
      notify();
    };
    const until = (test: () => boolean, ms: number) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("timed out")), ms);
        const check = () => {
          if (test()) {
            clearTimeout(timer);
            resolve();
          }
        };
        notify = check;
        check();
      });
    const relayOn = (m: Record<string, unknown>) =>
      m.type === "state" && (m.states as Record<string, unknown>).on === true;
    await until(() => messages.some((m) => m.type === "state"), 2000);
    await until(() => messages.some((m) => m.type === "history"), 2000);
    assert.ok(!messages.some(relayOn));
    const started = performance.now();
    const answer = await h.call("/devices/plug1/api/relay", { body: { action: "on" }, session });
    assert.equal(answer.status, 200);
    // The page must hear of it in under a second (history pushes every 200 ms here too,
    // so listen for the change itself rather than any message).
    await until(() => messages.some(relayOn), 1000);
    assert.ok(performance.now() - started < 1000);
    const closed = new Promise((resolve) => (ws.onclose = resolve));
    ws.close();
    await closed;
  } finally {
    await h.close();
  }
});

Deno.test("web server: an unprovisioned device is set up from its AP and comes online on MQTT", async () => {
  const broker = await startBroker({ port: 0 });
  const dataDir = await Deno.makeTempDir({ prefix: "housegrid-web-ap-" });
  const clock = new VirtualClock({ startMs: Date.UTC(2026, 0, 5, 12) });
  const seen: string[] = [];
  const stopWatching = broker.onPublish((message) => {
    seen.push(`${message.topic}=${new TextDecoder().decode(message.payload)}`);
  });
  const plug = new SimPlug({
    id: "newplug",
    prefix: "",
    clock,
    link: () =>
      mqttJsLink({ url: broker.url, clientId: "housegrid-plugs-newplug", reconnectPeriodMs: 100 }),
    store: deviceStore(dataDir, "newplug"),
    unprovisioned: true,
  });
  plug.start();
  const fleet = { devices: new Map([["newplug", plug as unknown as SimPlug]]) };
  const web = serveWeb({
    fleet: fleet as never,
    clock,
    host: "127.0.0.1",
    port: 0,
    dataDir,
  });
  const post = async (body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${web.url}/devices/newplug/api/wifi`, {
      method: "POST",
      headers: Object.assign({ "content-type": "application/json" }, headers),
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: response.status, text: await response.text() };
  };
  try {
    clock.advanceBy(5000);
    assert.equal(plug.wifi.state, "ap");
    assert.equal(plug.connected, false);
    const session = await (await fetch(`${web.url}/devices/newplug/api/session`)).json();
    assert.equal(session.apMode, true);
    assert.equal((await fetch(`${web.url}/devices/newplug/api/state`)).status, 401);
    await (await fetch(`${web.url}/devices/newplug/api/state`)).body?.cancel();

    // Refused requests leave the device in AP mode with nothing saved.
    assert.equal(
      (await post("ssid=x", { "content-type": "application/x-www-form-urlencoded" })).status,
      415,
    );
    assert.equal((await post("{bad")).status, 400);
    assert.equal((await post({ ssid: "", password: "12345678" })).status, 400);
    assert.equal((await post({ ssid: SIM_SSID, password: "short" })).status, 400);
    assert.equal(plug.wifi.state, "ap");
    // A network that is not in reach: the device goes back to AP mode and says why.
    assert.equal((await post({ ssid: "elsewhere", password: "secret-passphrase" })).status, 200);
    clock.advanceBy(5000);
    assert.equal(plug.wifi.state, "ap");
    assert.match(plug.wifi.lastError, /no network named "elsewhere"/);
    assert.equal(deviceStore(dataDir, "newplug").read("wifi"), null);

    const joined = await post({ ssid: SIM_SSID, password: "secret-passphrase" });
    assert.equal(joined.status, 200, joined.text);
    assert.match(joined.text, /"state":"connecting"/);
    assert.ok(!joined.text.includes("secret-passphrase"));
    clock.advanceBy(5000);
    assert.equal(plug.wifi.state, "up");
    const deadline = Date.now() + 5000;
    while (!seen.includes("plugs/newplug/availability=online") && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(seen.includes("plugs/newplug/availability=online"), "online on MQTT");
    assert.equal(plug.connected, true);
    const saved = JSON.parse(deviceStore(dataDir, "newplug").read("wifi") ?? "null");
    assert.deepEqual(saved, { ssid: SIM_SSID, password: "secret-passphrase" });
    // Provisioned now: changing the network needs a login.
    assert.equal((await post({ ssid: SIM_SSID, password: "other-passphrase" })).status, 401);
    // The network survives a restart: the same store boots straight into joining it.
    const again = new SimPlug({
      id: "newplug",
      prefix: "",
      clock,
      link: () => mqttJsLink({ url: broker.url, clientId: "housegrid-plugs-newplug-2" }),
      store: deviceStore(dataDir, "newplug"),
      unprovisioned: true,
    });
    assert.equal(again.wifi.state, "connecting");
    assert.equal(again.wifi.ssid, SIM_SSID);
  } finally {
    stopWatching();
    await web.shutdown();
    await plug.stop();
    await broker.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});
