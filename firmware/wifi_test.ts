import assert from "node:assert/strict";
import type { EspruinoWifi } from "./espruino_types.ts";
import { startWifi, WIRED_NETWORK } from "./wifi.ts";
import type { WifiOptions } from "./wifi.ts";

const OPTIONS: WifiOptions = {
  ssid: "home",
  password: "secret",
  apName: "housegrid-p1",
  apPassword: "",
  failAfterMs: 30000,
  refreshMs: 60000,
  ntp: "pool.ntp.org",
};

/** A fake Wifi module and timer queue; `log` records calls and news in order. */
const world = () => {
  let now = 0;
  let timers: Array<{ id: number; at: number; run: () => void }> = [];
  let nextId = 1;
  const log: string[] = [];
  const listeners: Record<string, () => void> = {};
  let ip = "0.0.0.0";
  const wifi: EspruinoWifi = {
    connect: (ssid) => log.push("connect " + ssid),
    startAP: (name, options) => log.push("startAP " + name + " " + JSON.stringify(options)),
    stopAP: () => log.push("stopAP"),
    getIP: () => ({ ip, mac: "5c:cf:7f:00:00:01" }),
    getDetails: () => ({ rssi: -60, ssid: "home" }),
    setHostname: (name) => log.push("hostname " + name),
    setSNTP: (server) => log.push("sntp " + server),
    on: (event, listener) => (listeners[event] = listener),
  };
  const timersApi = {
    setTimeout: (run: () => void, ms: number) => {
      timers.push({ id: nextId, at: now + ms, run });
      return nextId++;
    },
    clearTimeout: (id: unknown) => (timers = timers.filter((t) => t.id !== id)),
  };
  const handlers = {
    up: (n: { ip: string }) => log.push("up " + n.ip),
    down: () => log.push("down"),
    accessPoint: (name: string) => log.push("ap " + name),
    log: (line: string) => log.push("log " + line),
  };
  const advance = (until: number) => {
    for (;;) {
      const due = timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      timers = timers.filter((t) => t !== due);
      now = due.at;
      due.run();
    }
    now = until;
  };
  return { wifi, timersApi, handlers, log, listeners, advance, setIp: (v: string) => (ip = v) };
};

Deno.test("joins the saved network and reports up once DHCP gives an address", () => {
  const w = world();
  startWifi(w.wifi, w.timersApi, OPTIONS, w.handlers);
  assert.deepEqual(w.log, ["hostname housegrid-p1", "connect home"]);
  w.listeners.connected?.();
  w.advance(1000); // no address yet: looked at again a second later
  w.setIp("10.0.0.7");
  w.advance(2000);
  assert.deepEqual(w.log.slice(2), ["sntp pool.ntp.org", "up 10.0.0.7"]);
  w.advance(40000); // joined in time: no access point
  assert.ok(!w.log.some((line) => line.startsWith("startAP")));
  w.advance(62000); // refreshed facts
  assert.equal(w.log.at(-1), "up 10.0.0.7");
});

Deno.test("without credentials the access point opens at once", () => {
  const w = world();
  startWifi(w.wifi, w.timersApi, Object.assign({}, OPTIONS, { ssid: "" }), w.handlers);
  w.advance(0);
  assert.deepEqual(w.log, ['startAP housegrid-p1 {"authMode":"open"}', "ap housegrid-p1"]);
});

Deno.test("a network that fails opens the access point, which closes once joined", () => {
  const w = world();
  startWifi(
    w.wifi,
    w.timersApi,
    Object.assign({}, OPTIONS, { apPassword: "provision" }),
    w.handlers,
  );
  w.advance(30000);
  assert.ok(w.log.includes('startAP housegrid-p1 {"password":"provision","authMode":"wpa2"}'));
  w.setIp("10.0.0.7");
  w.listeners.connected?.();
  assert.deepEqual(w.log.slice(-3), ["stopAP", "sntp pool.ntp.org", "up 10.0.0.7"]);
  w.listeners.disconnected?.();
  assert.equal(w.log.at(-1), "down");
  w.advance(30000 + 30000);
  assert.equal(w.log.at(-1), "ap housegrid-p1");
});

Deno.test("a board without Wi-Fi counts as up", () => {
  const w = world();
  startWifi(null, w.timersApi, OPTIONS, w.handlers);
  w.advance(0);
  assert.deepEqual(w.log, ["up " + WIRED_NETWORK.ip]);
});
