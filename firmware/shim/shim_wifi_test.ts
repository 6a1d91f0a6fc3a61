import assert from "node:assert/strict";
import { VirtualClock } from "../../sim/clock.ts";
import { ipFor, macFor, SIM_SSID, SimWifi } from "../../sim/wifi.ts";
import { EspruinoShim } from "./shim.ts";

Deno.test("Wifi: joins through the model, reports its facts, follows a cut link", async () => {
  const clock = new VirtualClock({ startMs: 0 });
  const model = new SimWifi({ deviceId: "w1", nowMs: 0 });
  const shim = new EspruinoShim({ clock, wifi: model });
  try {
    assert.equal(shim.net.isOnline(), false, "no network before joining");
    shim.run(`
      var Wifi = require("Wifi");
      Wifi.on("connected", function () {
        var ip = Wifi.getIP();
        print("connected", ip.ip, ip.mac, Wifi.getDetails().ssid, getTime());
      });
      Wifi.on("disconnected", function () { print("disconnected", getTime()); });
      Wifi.connect("${SIM_SSID}", { password: "long enough" }, function (error) {
        print("joined", error);
      });
    `);
    clock.advanceTo(2999);
    assert.deepEqual(shim.printed, []);
    clock.advanceTo(3000);
    assert.deepEqual(shim.printed, [
      `connected ${ipFor("w1")} ${macFor("w1")} ${SIM_SSID} 3.000001`,
      "joined null",
    ]);
    assert.equal(shim.net.isOnline(), true);
    model.setLink(false, clock.nowMs());
    clock.advanceBy(1000);
    assert.equal(shim.printed[2], "disconnected 4.000001");
    assert.equal(shim.net.isOnline(), false);
    // Each run is a scope of its own, as each bundle is one: reach the module again.
    shim.run(
      `require("Wifi").connect("nowhere", { password: "long enough" }, function (e) { print(e); });`,
    );
    // The model tries "nowhere", falls back to the saved network, and that fails too.
    clock.advanceBy(7000);
    assert.match(shim.printed.at(-1) ?? "", /^no network named/);
  } finally {
    await shim.kill();
  }
});
