// The device page (web/device.html) in real Chromium, driven by playwright-core: the same
// scenarios against the real simulator (startFleet on in-memory links + sim/web_server.ts)
// and against the fake of the contract (sim/web_page_fake_test_server.ts), which can also
// refuse WebSockets so that the page has to poll. Screenshots go to test-artifacts/.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { DEFAULT_AUTH_LIMITS } from "../lib/web_auth.ts";
import { startRealtime, VirtualClock } from "./clock.ts";
import type { SimDevice } from "./device.ts";
import { startFleet } from "./fleet.ts";
import { heater } from "./loads.ts";
import { memoryLink } from "./mqtt_link.ts";
import { SimPlug } from "./plug.ts";
import { deviceStore } from "./store.ts";
import { serveFakeDevices } from "./web_page_fake_test_server.ts";
import { serveWeb } from "./web_server.ts";
import { SIM_SSID } from "./wifi.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = new URL("../test-artifacts/", import.meta.url);
const PASSWORD = "correct horse battery";
const TIMEOUT_MS = 6000;

/** A server the page runs against. */
interface Target {
  /** Names the screenshots. */
  label: string;
  /** Base URL; pages are at `/devices/<id>/`. */
  url: string;
  /** A plug, a fan and an unprovisioned plug (access-point mode). */
  ids: { plug: string; fan: string; apPlug: string };
  /** Fixed readings (the fake), so exact values can be checked. */
  fixed: boolean;
  /** Whether the access-point plug accepts the page's WebSocket (else the page polls). */
  apWebSocket: boolean;
  /** A Wi-Fi password the server holds: it must never reach the page. */
  wifiSecret: string;
  /** Stops everything. */
  stop(): Promise<void>;
}

async function realSimulator(): Promise<Target> {
  const dataDir = await Deno.makeTempDir({ prefix: "housegrid-page-" });
  const clock = new VirtualClock({ startMs: Date.UTC(2026, 0, 5, 12) });
  const fleet = startFleet({
    devices: [{ kind: "plugs", id: "plug1", load: "heater" }, {
      kind: "fans",
      id: "fan1",
      room: "bathroom",
    }],
    clock,
    prefix: "",
    dataDir,
    seed: 7,
    brokerUrl: null,
  });
  const apPlug = new SimPlug({
    id: "plug3",
    prefix: "",
    clock,
    link: memoryLink,
    store: deviceStore(dataDir, "plug3"),
    unprovisioned: true,
    load: heater(),
  });
  apPlug.start();
  clock.advanceBy(120000); // two minutes of history to draw
  const devices = new Map(fleet.devices);
  devices.set("plug3", apPlug as unknown as SimDevice<unknown, never>);
  const web = serveWeb({
    fleet: { devices },
    clock,
    host: "127.0.0.1",
    port: 0,
    dataDir,
    authLimits: { ...DEFAULT_AUTH_LIMITS, maxLoginFailures: 2, loginWindowMs: 3000 },
  });
  const realtime = startRealtime(clock, 1);
  return {
    label: "sim",
    url: web.url,
    ids: { plug: "plug1", fan: "fan1", apPlug: "plug3" },
    fixed: false,
    apWebSocket: true,
    wifiSecret: "sim-password",
    async stop() {
      realtime.stop();
      await web.shutdown();
      await apPlug.stop();
      await fleet.stop();
      await Deno.remove(dataDir, { recursive: true });
    },
  };
}

function fakeServer(): Target {
  const server = serveFakeDevices({
    noWebSocket: ["plug2"],
    maxFailures: 2,
    lockoutS: 2,
    accessPoint: ["plug2"],
  });
  return {
    label: "fake",
    url: server.url,
    ids: { plug: "plug1", fan: "fan1", apPlug: "plug2" },
    fixed: true,
    apWebSocket: false,
    wifiSecret: "sim-wifi-secret",
    stop: () => server.stop(),
  };
}

async function launch(): Promise<{ context: BrowserContext; profile: string }> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(
      `${CHROMIUM} is missing: the browser test needs Debian's Chromium ` +
        "(apt-get install -y chromium; .ci/run installs it in CI).",
    );
  }
  const profile = await Deno.makeTempDir({ prefix: "housegrid-chromium-" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 900, height: 900 },
  });
  context.setDefaultTimeout(TIMEOUT_MS);
  return { context, profile };
}

/** What a page did on the network, seen from the browser. */
interface Traffic {
  requests: string[];
  sockets: string[];
  frames: string[];
}

function watch(page: Page): Traffic {
  const traffic: Traffic = { requests: [], sockets: [], frames: [] };
  page.on("request", (request) => {
    const url = new URL(request.url());
    traffic.requests.push(`${request.method()} ${url.origin} ${url.pathname}`);
  });
  page.on("websocket", (socket) => {
    traffic.sockets.push(socket.url());
    socket.on("framereceived", (frame) => traffic.frames.push(String(frame.payload)));
  });
  return traffic;
}

const count = (traffic: Traffic, suffix: string): number =>
  traffic.requests.filter((line) => line.endsWith(suffix)).length;

async function screenshot(page: Page, name: string): Promise<void> {
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: new URL(name, ARTIFACTS).pathname, fullPage: true });
}

async function text(page: Page, selector: string): Promise<string> {
  return (await page.locator(selector).textContent()) ?? "";
}

async function waitText(
  page: Page,
  selector: string,
  expected: string | RegExp,
  timeoutMs = TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let actual = "";
  while (Date.now() < deadline) {
    actual = await text(page, selector);
    if (typeof expected === "string" ? actual === expected : expected.test(actual)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`${selector}: expected ${expected}, got ${JSON.stringify(actual)}`);
}

/** First run: the password form checks length and confirmation, then logs in. */
async function firstRun(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await waitText(page, "#authT", "First run: choose the device password");
  assert.equal(await page.getByLabel("Confirm password").isVisible(), true);
  await page.fill("#pw", "short");
  await page.fill("#pw2", "short");
  await page.click("#authB");
  await waitText(page, "#authE", "Use at least 8 characters");
  await page.fill("#pw", PASSWORD);
  await page.fill("#pw2", PASSWORD + "!");
  await page.click("#authB");
  await waitText(page, "#authE", "The two passwords differ");
  await page.fill("#pw2", PASSWORD);
  await page.click("#authB");
  await page.waitForSelector("#app:not([hidden])");
  await waitText(page, "#msg", "Password set.");
}

async function login(page: Page): Promise<void> {
  await page.fill("#pw", PASSWORD);
  await page.click("#authB");
  await page.waitForSelector("#app:not([hidden])");
}

async function logout(page: Page): Promise<void> {
  await page.click("#out");
  await waitText(page, "#authT", "Log in");
  await waitText(page, "#live", "offline");
  assert.equal(await page.getByLabel("Confirm password").isVisible(), false);
}

async function linePaths(page: Page): Promise<string[]> {
  return await page.locator("#graph svg path[stroke-width]").evaluateAll((paths) =>
    paths.map((path) => path.getAttribute("d") ?? "")
  );
}

async function apiGet(page: Page, path: string): Promise<Record<string, unknown>> {
  return await page.evaluate((p) => fetch(p).then((r) => r.json()), path);
}

async function plugScenario(page: Page, target: Target): Promise<void> {
  const traffic = watch(page);
  await firstRun(page, `${target.url}/devices/${target.ids.plug}/`);
  await logout(page);
  await page.fill("#pw", "not the password");
  await page.click("#authB");
  await waitText(page, "#authE", "Wrong password");
  const statesBefore = count(traffic, "/api/state");
  await login(page);
  await waitText(page, "#title", `Plug ${target.ids.plug}`);
  assert.equal(await page.evaluate("document.compatMode"), "CSS1Compat", "standards mode");
  await waitText(page, "#live", "live");
  assert.match(traffic.sockets.at(-1) ?? "", /^ws:\/\/127\.0\.0\.1:\d+\/devices\/plug1\/api\/ws$/);

  // The graph: instantaneous and mean power over the last 10 minutes.
  const [power, mean] = await linePaths(page);
  assert.match(power ?? "", /^M[\d.]+ [\d.]+(L[\d.]+ [\d.]+){20,}/, "power line");
  assert.match(mean ?? "", /^M[\d.]+ [\d.]+(L[\d.]+ [\d.]+){20,}/, "mean line");
  if (target.fixed) assert.match(power ?? "", /L[\d.]+ [\d.]+M/, "an empty slot breaks the line");
  assert.match(await text(page, "#graph"), /Power \(W\)−10 min■ power [\d.]+ W ■ mean [\d.]+ W/);

  // Toggle: the new state arrives over the WebSocket, with no polling.
  await waitText(page, "#on", "OFF");
  assert.equal(await page.getAttribute("[data-s=off]", "aria-pressed"), "true");
  const framesBefore = traffic.frames.length;
  await page.getByRole("button", { name: "toggle" }).click();
  await waitText(page, "#on", "ON");
  const pushed = traffic.frames.slice(framesBefore).map((frame) => JSON.parse(frame));
  assert.ok(pushed.some((m) => m.type === "state" && m.states.on === true), "state over ws");
  await new Promise((resolve) => setTimeout(resolve, 2500));
  assert.equal(count(traffic, "/api/state") - statesBefore, 1, "one GET at login, no polling");
  assert.equal(await page.getAttribute("[data-s=on]", "aria-pressed"), "true");
  assert.equal(await page.getAttribute("[data-u=relay]:not([data-s])", "aria-pressed"), null);
  assert.equal(await text(page, "#msg"), "");
  await waitText(page, "#live", "live");

  // Readings and network facts; never the Wi-Fi password.
  await waitText(page, "#v_powerW", target.fixed ? "1480.5 W" : /^\d{3,4}\.\d W$/);
  await waitText(page, "#v_voltageV", target.fixed ? "231.2 V" : /^\d{3}\.\d V$/);
  await waitText(page, "#v_currentA", /^\d+\.\d{3} A$/);
  await waitText(page, "#v_powerFactor", /^[01]\.\d\d$/);
  await waitText(page, "#v_apparentVA", /^\d+\.\d VA$/);
  await waitText(page, "#v_energyTotalWh", target.fixed ? "123.46 kWh" : /^\d+\.\d Wh$/);
  await waitText(page, "#v_energyTodayWh", /^\d+\.\d Wh$/);
  await waitText(page, "#v_energyYesterdayWh", /^\d+\.\d Wh$/);
  await waitText(page, "#v_uptimeMs", /^\d\d:\d\d:\d\d$/);
  await waitText(page, "#n_rssi", /^-\d+ dBm$/);
  assert.match(await page.getAttribute("#bars", "aria-label") ?? "", /^[0-4] of 4 bars$/);
  await waitText(page, "#n_ssid", SIM_SSID);
  await waitText(page, "#n_mac", /^5C:CF:7F(:[0-9A-F]{2}){3}$/);
  await waitText(page, "#n_ip", /^\d+\.\d+\.\d+\.\d+$/);
  await waitText(page, "#n_mqtt", "connected");

  // Pulse from off: on now, off again after the given seconds.
  await page.getByRole("button", { name: "off", exact: true }).click();
  await waitText(page, "#on", "OFF");
  await page.fill("#secs", "2");
  await page.getByRole("button", { name: "pulse" }).click();
  await waitText(page, "#on", "ON");
  await waitText(page, "#on", "OFF");

  // Firmware update: the SHA-256 computed in the page, then the server's answer.
  await page.locator("summary", { hasText: "Firmware update" }).click();
  const bundle = "// housegrid-version: 0.2.0\nvar started = 1;\n";
  const digest = createHash("sha256").update(bundle).digest("hex");
  await page.setInputFiles("#fw", {
    name: "housegrid.js",
    mimeType: "text/javascript",
    buffer: Buffer.from(bundle),
  });
  await waitText(page, "#fwh", `housegrid.js: ${bundle.length} bytes, SHA-256 ${digest}`);
  await page.click("#fwu");
  await waitText(page, "#fwr", "Applied version 0.2.0, SHA-256 matches");
  await waitText(page, "#fwv", `Running 0.2.0, SHA-256 ${digest}`);
  await page.setInputFiles("#fw", {
    name: "broken.js",
    mimeType: "text/javascript",
    buffer: Buffer.from("function (\n"),
  });
  await page.waitForSelector("#fwu:not([disabled])");
  await page.click("#fwu");
  await waitText(page, "#fwr", /^Refused: \S/);

  // The pure-JS SHA-256 a plain-http page (no crypto.subtle) falls back to agrees with Node.
  const sample = Array.from({ length: 1000 }, (_, i) => (i * 7919) % 256);
  const [abc, long, empty] = await page.evaluate((bytes) => {
    const fallback = (globalThis as unknown as { sha256js(m: Uint8Array): string }).sha256js;
    return [
      fallback(new TextEncoder().encode("abc")),
      fallback(new Uint8Array(bytes)),
      fallback(new Uint8Array(0)),
    ];
  }, sample);
  assert.equal(abc, createHash("sha256").update("abc").digest("hex"));
  assert.equal(long, createHash("sha256").update(new Uint8Array(sample)).digest("hex"));
  assert.equal(empty, createHash("sha256").digest("hex"));

  // Over max_power the relay opens and the fault is shown prominently.
  await page.getByRole("button", { name: "on", exact: true }).click();
  await waitText(page, "#on", "ON");
  await page.locator("summary", { hasText: "Settings" }).click();
  await page.getByLabel("Max power, 0 = none (W)").fill("1000");
  await page.getByRole("button", { name: "save" }).click();
  await waitText(page, "#setM", "Saved");
  await waitText(page, "#fault", /^Fault: \S/);
  await waitText(page, "#on", "OFF");
  assert.equal(await page.locator("#fault").isVisible(), true);

  assert.equal((await page.content()).includes(target.wifiSecret), false);
  assert.deepEqual(traffic.requests.filter((line) => !line.includes(` ${target.url} `)), []);
  await screenshot(page, `device-plug-${target.label}.png`);
  await logout(page);
}

async function fanScenario(page: Page, target: Target): Promise<void> {
  const traffic = watch(page);
  await firstRun(page, `${target.url}/devices/${target.ids.fan}/`);
  await waitText(page, "#title", `Fan ${target.ids.fan}`);
  await waitText(page, "#live", "live");
  const graphs = await linePaths(page);
  assert.equal(graphs.length, 2, "humidity and temperature graphs");
  for (const d of graphs) assert.match(d, /(L[\d.]+ [\d.]+){5,}/);
  await waitText(page, "#v_humidityPct", /^\d+\.\d %RH$/);
  await waitText(page, "#v_tempC", /^-?\d+\.\d °C$/);
  await waitText(page, "#v_control", /^(full|sensor|remote|timer)$/);
  await waitText(page, "#v_reason", /^[a-z]+$/);

  await page.getByRole("button", { name: "on", exact: true }).click();
  await waitText(page, "#v_mode", "manual");
  await waitText(page, "#on", "ON");
  await page.getByRole("button", { name: "2", exact: true }).click();
  await waitText(page, "#v_speed", "2");
  assert.equal(await page.getAttribute("[data-s=s2]", "aria-pressed"), "true");
  await page.getByRole("button", { name: "auto" }).click();
  await waitText(page, "#v_mode", "auto");
  assert.equal(await page.getAttribute("[data-s=auto]", "aria-pressed"), "true");

  // Settings: the server refuses a bad pair with its message beside the field.
  await page.locator("summary", { hasText: "Settings" }).click();
  assert.equal(await page.inputValue("#f_hum_on"), "80");
  await page.getByLabel("Humidity off (%RH)").fill("90");
  await page.getByRole("button", { name: "save" }).click();
  await waitText(page, "#e_hum_off", "hum_off must be below hum_on (80 %RH), got 90");
  assert.equal(await page.getAttribute("#f_hum_off", "aria-invalid"), "true");
  await waitText(page, "#setM", /^Not saved\./);
  // Numbers may come as JSON numbers or protocol text.
  const saved = (await apiGet(page, "api/settings")).settings as Record<string, unknown>;
  assert.equal(String(saved.hum_off), "70", "nothing changed");

  // Out of range or not a number: caught in the page, before any request.
  const settingsPosts = count(traffic, "/api/settings");
  await page.fill("#f_hum_off", "65");
  await page.fill("#f_hum_on", "150");
  await page.fill("#f_timer_on", "");
  await page.getByRole("button", { name: "save" }).click();
  await waitText(page, "#e_hum_on", /100/);
  await waitText(page, "#e_timer_on", "Enter a number");
  await waitText(page, "#e_hum_off", "");
  await waitText(page, "#setM", "Not saved: fix the marked fields");
  assert.equal(count(traffic, "/api/settings"), settingsPosts);
  await screenshot(page, `device-fan-errors-${target.label}.png`);

  await page.fill("#f_hum_on", "85");
  await page.fill("#f_timer_on", "300");
  await page.selectOption("#f_temp_using", "ON");
  await page.getByRole("button", { name: "save" }).click();
  await waitText(page, "#setM", "Saved");
  assert.equal(await page.getAttribute("#f_hum_on", "aria-invalid"), null);
  const after = (await apiGet(page, "api/settings")).settings as Record<string, unknown>;
  assert.deepEqual(
    [after.hum_on, after.hum_off, after.timer_on, after.temp_using].map(String),
    ["85", "65", "300", "ON"],
  );
  assert.equal(await page.inputValue("#f_timer_on"), "300");
  await page.getByRole("button", { name: "save" }).click();
  await waitText(page, "#setM", "No changes");
  await screenshot(page, `device-fan-${target.label}.png`);
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, `device-fan-phone-${target.label}.png`);
  const width = await page.evaluate("document.documentElement.scrollWidth") as number;
  assert.ok(width <= 390, `no sideways scrolling on a phone (${width} px)`);
}

async function accessPointScenario(page: Page, target: Target): Promise<void> {
  const traffic = watch(page);
  await page.goto(`${target.url}/devices/${target.ids.apPlug}/`);
  await waitText(page, "#authT", "First run: choose the device password");
  assert.equal(await page.locator("#wifiF").isVisible(), true, "Wi-Fi form before login");
  await firstRun(page, `${target.url}/devices/${target.ids.apPlug}/`);
  assert.equal(await page.locator("#ap").isVisible(), true);
  assert.equal(await page.locator("#wifiF").isVisible(), true);
  await screenshot(page, `device-plug-ap-${target.label}.png`);

  // Rate limit: two wrong passwords, then 429 with Retry-After, shown and obeyed.
  await logout(page);
  for (let attempt = 0; attempt < 2; attempt++) {
    await page.fill("#pw", "not the password");
    await page.click("#authB");
    await waitText(page, "#authE", "Wrong password");
    await page.fill("#pw", "");
    await waitText(page, "#authE", "Wrong password");
  }
  await page.fill("#pw", "still not it");
  await page.click("#authB");
  await waitText(page, "#authE", /^Too many attempts: try again in [1-3] s$/);
  assert.equal(await page.isDisabled("#authB"), true);
  await page.waitForSelector("#authB:not([disabled])", { timeout: 5000 });
  await login(page);

  if (target.apWebSocket) await waitText(page, "#live", "live");
  else {
    // No WebSocket: the page polls api/state every 2 s and says so.
    await waitText(page, "#live", "polling");
    const before = count(traffic, "/api/state");
    await page.getByRole("button", { name: "toggle" }).click();
    await waitText(page, "#on", "ON");
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.ok(count(traffic, "/api/state") - before >= 2, "polled api/state");
    await waitText(page, "#live", "polling");
  }

  // Provisioning: a bad password is refused, a good one joins; never echoed.
  await page.fill("#f_ssid", SIM_SSID);
  await page.fill("#f_password", "short");
  await page.getByRole("button", { name: "join" }).click();
  await waitText(page, "#wifiF", /8\D+63/);
  await page.fill("#f_password", "hunter2hunter2");
  await page.getByRole("button", { name: "join" }).click();
  await waitText(page, "#wifiM", `Saved: the device is joining ${SIM_SSID}`);
  assert.equal(await page.inputValue("#f_password"), "");
  await waitText(page, "#n_ssid", SIM_SSID, 10000);
  await page.waitForSelector("#ap", { state: "hidden", timeout: 10000 });
  assert.equal((await page.content()).includes("hunter2hunter2"), false);
}

async function runScenarios(
  t: Deno.TestContext,
  makeTarget: () => Target | Promise<Target>,
): Promise<void> {
  const { context, profile } = await launch();
  const target = await makeTarget();
  try {
    await t.step("plug: first run, login, live relay, graph, pulse, update, fault", async () => {
      await plugScenario(await context.newPage(), target);
    });
    await t.step("fan: manual control, thresholds with validation messages", async () => {
      await fanScenario(await context.newPage(), target);
    });
    await t.step("access point: Wi-Fi first, login rate limit, provisioning", async () => {
      await accessPointScenario(await context.newPage(), target);
    });
  } finally {
    await context.close();
    await Deno.remove(profile, { recursive: true }).catch(() => {});
    await target.stop();
  }
}

// playwright keeps the browser's pipes and timers open between steps; they close in finally.
const browserTest = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "device page in Chromium against the simulator's web server",
  ...browserTest,
  fn: async (t) => await runScenarios(t, realSimulator),
});

Deno.test({
  name: "device page in Chromium against the contract fake (polling when a WebSocket fails)",
  ...browserTest,
  fn: async (t) => await runScenarios(t, fakeServer),
});
