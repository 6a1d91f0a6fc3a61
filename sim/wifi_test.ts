import assert from "node:assert/strict";
import fc from "fast-check";
import type { NetworkInfo } from "../lib/ports.ts";
import { AP_IP, ipFor, macFor, SIM_SSID, SimWifi } from "./wifi.ts";

const PASSWORD = "s3cret-passphrase";

Deno.test("addresses: stable per id, well formed, distinct for distinct ids", () => {
  assert.equal(macFor("plug1"), new SimWifi({ deviceId: "plug1" }).mac);
  const ids = Array.from({ length: 50 }, (_, n) => `dev${n}`);
  const macs = new Set(ids.map(macFor));
  assert.equal(macs.size, ids.length);
  for (const id of ids) {
    assert.match(macFor(id), /^5C:CF:7F:[0-9A-F]{2}:[0-9A-F]{2}:[0-9A-F]{2}$/);
    const last = Number(ipFor(id).split(".")[3]);
    assert.ok(ipFor(id).startsWith("192.168.1.") && last >= 2 && last <= 253);
  }
  assert.equal(
    new SimWifi({ deviceId: "x", saved: { ssid: SIM_SSID, password: PASSWORD }, ip: "10.0.0.9" })
      .advance(5000),
    "up",
  );
});

Deno.test("provisioning: AP mode, join, connected after the delay", () => {
  const wifi = new SimWifi({ deviceId: "fan1", nowMs: 100, joinDelayMs: 2000 });
  const network: NetworkInfo = wifi;
  assert.equal(wifi.state, "ap");
  assert.equal(network.ssid, "housegrid-fan1");
  assert.equal(network.ip, AP_IP);
  assert.equal(network.rssiDbm, 0);
  assert.equal(wifi.join("", PASSWORD, 1000).ok, false);
  assert.equal(wifi.join(SIM_SSID, "short", 1000).ok, false);
  assert.equal(wifi.state, "ap", "a rejected request changes nothing");
  assert.deepEqual(wifi.join(SIM_SSID, PASSWORD, 1000), { ok: true, value: "connecting" });
  assert.equal(wifi.changedMs, 1000);
  assert.equal(wifi.ip, "0.0.0.0");
  assert.equal(wifi.advance(2999), "connecting");
  assert.equal(wifi.advance(9000), "up");
  assert.equal(wifi.changedMs, 3000, "changed when the join finished, not when seen");
  assert.equal(wifi.ssid, SIM_SSID);
  assert.equal(wifi.ip, ipFor("fan1"));
  assert.ok(wifi.rssiDbm <= -30 && wifi.rssiDbm >= -95);
});

Deno.test("provisioning: wrong password or unknown network reopens the AP with a reason", () => {
  const networks = [{ ssid: "home", password: "right-password" }];
  const wifi = new SimWifi({ deviceId: "p", networks });
  wifi.join("home", "wrong-password", 0);
  assert.equal(wifi.advance(3000), "ap");
  assert.match(wifi.lastError, /wrong password/);
  wifi.join("elsewhere", "whatever-123", 4000);
  assert.equal(wifi.advance(7000), "ap");
  assert.match(wifi.lastError, /no network/);
  wifi.join("home", "right-password", 8000);
  assert.equal(wifi.advance(11000), "up");
  assert.equal(wifi.lastError, "");
  // A failed attempt at another network falls back to the saved one.
  wifi.join("home", "now-wrong-pass", 12000);
  assert.equal(wifi.advance(15000), "connecting");
  assert.equal(wifi.advance(18000), "up");
  assert.match(wifi.lastError, /wrong password/);
});

Deno.test("saved network: joins at power-up; link down and back up", () => {
  const saved = { ssid: SIM_SSID, password: PASSWORD };
  const wifi = new SimWifi({ deviceId: "plug2", saved, nowMs: 0 });
  assert.equal(wifi.state, "connecting");
  assert.equal(wifi.advance(3000), "up");
  wifi.setLink(false, 60000);
  assert.equal(wifi.state, "down");
  assert.equal(wifi.changedMs, 60000);
  assert.equal(wifi.ssid, SIM_SSID);
  assert.equal(wifi.rssiDbm, 0);
  assert.equal(wifi.advance(120000), "down", "stays down while the network is out of reach");
  wifi.setLink(true, 120000);
  assert.equal(wifi.state, "connecting");
  assert.equal(wifi.advance(123000), "up");
  wifi.forget(200000);
  assert.equal(wifi.state, "ap");
  assert.equal(wifi.ssid, "housegrid-plug2");
  const offline = new SimWifi({ deviceId: "plug3", saved });
  offline.setLink(false, 0);
  assert.equal(offline.advance(10000), "down");
});

Deno.test("rssi: around a per-device mean in -80..-45 dBm, jittering, reproducible", () => {
  const saved = { ssid: SIM_SSID, password: PASSWORD };
  for (const id of ["a", "b", "kitchen", "bathroom-fan"]) {
    const one = new SimWifi({ deviceId: id, saved });
    const two = new SimWifi({ deviceId: id, saved });
    const samples: number[] = [];
    for (let t = 5000; t < 5000 * 400; t += 5000) {
      one.advance(t);
      two.advance(t);
      assert.equal(one.rssiDbm, two.rssiDbm);
      samples.push(one.rssiDbm);
    }
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    assert.ok(mean <= -44 && mean >= -81, `${id}: mean ${mean}`);
    assert.ok(new Set(samples).size >= 3, "the signal jitters");
    assert.ok(Math.max(...samples) - Math.min(...samples) < 20);
  }
  const fixed = new SimWifi({ deviceId: "z", saved, meanRssiDbm: -70 });
  fixed.advance(60000);
  assert.ok(Math.abs(fixed.rssiDbm + 70) <= 10);
});

Deno.test("the password appears in no getter, info, JSON or inspection", () => {
  const wifi = new SimWifi({ deviceId: "plug1" });
  const shown = () =>
    [
      JSON.stringify(wifi),
      JSON.stringify(wifi.info()),
      Deno.inspect(wifi, { showHidden: true, depth: 10, getters: true }),
      String(Object.values(wifi)),
      wifi.ssid,
      wifi.lastError,
    ].join("\n");
  wifi.join(SIM_SSID, PASSWORD, 0);
  assert.ok(!shown().includes(PASSWORD));
  wifi.advance(5000);
  assert.ok(!shown().includes(PASSWORD));
  assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(wifi))).sort(), [
    "apSsid",
    "changedMs",
    "deviceId",
    "ip",
    "lastError",
    "mac",
    "rssiDbm",
    "ssid",
    "state",
  ]);
});

Deno.test("property: whatever happens, state is valid and the password stays hidden", () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant("join" as const), good: fc.boolean() }),
    fc.record({ kind: fc.constant("link" as const), up: fc.boolean() }),
    fc.record({ kind: fc.constant("forget" as const) }),
    fc.record({ kind: fc.constant("advance" as const) }),
  );
  fc.assert(
    fc.property(
      fc.string({ minLength: 8, maxLength: 40 }).map((s) => `pw#${s}`),
      fc.array(fc.record({ op, dtMs: fc.integer({ min: 0, max: 10000 }) }), { maxLength: 30 }),
      (password, steps) => {
        const wifi = new SimWifi({ deviceId: "d1", networks: [{ ssid: "home", password }] });
        let t = 0;
        for (const s of steps) {
          t += s.dtMs;
          if (s.op.kind === "join") wifi.join("home", s.op.good ? password : "pw#wrong!", t);
          else if (s.op.kind === "link") wifi.setLink(s.op.up, t);
          else if (s.op.kind === "forget") wifi.forget(t);
          else wifi.advance(t);
          const text = JSON.stringify(wifi) + Deno.inspect(wifi, { showHidden: true });
          if (text.includes(password)) return false;
          if (!["ap", "connecting", "up", "down"].includes(wifi.state)) return false;
          if (wifi.changedMs > t) return false;
          if ((wifi.state === "up") !== (wifi.ip === ipFor("d1"))) return false;
        }
        return true;
      },
    ),
  );
});
