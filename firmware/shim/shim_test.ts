import assert from "node:assert/strict";
import { VirtualClock } from "../../sim/clock.ts";
import { EspruinoShim } from "./shim.ts";

const boot = (options: Partial<ConstructorParameters<typeof EspruinoShim>[0]> = {}) =>
  new EspruinoShim(Object.assign({ clock: new VirtualClock({ startMs: 1000 }) }, options));

Deno.test("a bundle sees Espruino's globals and none of Deno's", async () => {
  const shim = boot();
  shim.run(`
    var g = globalThis;
    print([typeof Deno, typeof fetch, typeof window, typeof self, typeof Map, typeof Set,
      typeof Symbol, typeof queueMicrotask, typeof TextEncoder, typeof performance].join());
    print([typeof require, typeof getTime, typeof analogRead, typeof E.toString,
      typeof I2C1.writeTo, String(D12), String(g.A0), g === this, typeof JSON.parse].join());
  `);
  assert.deepEqual(shim.printed, [
    Array(10).fill("undefined").join(),
    "function,function,function,function,function,D12,A0,true,function",
  ]);
  assert.deepEqual(shim.errors, []);
  await shim.kill();
});

Deno.test("require: built-in modules, and Wifi missing without a Wi-Fi model", async () => {
  const shim = boot();
  shim.run(`
    print(typeof require("Storage").read, typeof require("net").connect,
      typeof require("http").createServer, typeof require("crypto").SHA1);
    try { require("Wifi"); } catch (e) { print(e.message); }
  `);
  assert.equal(shim.run('require("MQTT")'), false);
  assert.deepEqual(shim.printed, [
    "function function function function",
    "Module Wifi not found",
    "Uncaught Error: Module MQTT not found",
  ]);
  await shim.kill();
});

Deno.test("timers run on the virtual clock; an error in one does not stop the others", async () => {
  const clock = new VirtualClock({ startMs: 0 });
  const shim = boot({ clock });
  shim.run(`
    var ticks = 0;
    var id = setInterval(function () { ticks++; if (ticks === 2) throw new Error("boom"); }, 100);
    setTimeout(function () { print("ticks", ticks, Math.floor(getTime() * 1000)); clearInterval(id); }, 350);
    setTimeout(function () { changeInterval(id, 5); }, 1);
  `);
  clock.advanceTo(1000);
  // Every 100 ms until 1 ms in, then every 5 ms: ticks at 6, 11, ..., 346.
  assert.deepEqual(shim.printed, ["Uncaught Error: boom", "ticks 69 350"]);
  assert.equal(shim.errors.length, 1);
  assert.equal(shim.timers.count(), 0);
  // clearTimeout() without an id clears every timer, as on Espruino.
  shim.run("setTimeout(print, 10, 'a'); setInterval(print, 10, 'b'); clearTimeout();");
  clock.advanceBy(100);
  assert.equal(shim.printed.length, 2);
  await shim.kill();
});

Deno.test("a killed shim runs nothing more", async () => {
  const clock = new VirtualClock();
  const shim = boot({ clock });
  shim.run("setInterval(function () { print('tick'); }, 10);");
  clock.advanceBy(25);
  await shim.kill();
  clock.advanceBy(100);
  assert.deepEqual(shim.printed, ["tick", "tick"]);
  assert.equal(shim.running, false);
  assert.equal(shim.run("print('again')"), false);
});

Deno.test("E helpers, crypto and process.memory behave as on Espruino", async () => {
  const reboots: Array<string | undefined> = [];
  const shim = boot({ onReboot: (file) => reboots.push(file) });
  shim.run(`
    var bytes = E.toUint8Array("A\\xff");
    print(bytes.length, bytes[1], E.toString(new Uint8Array([104, 105])));
    print(E.sum([1, 2, 3]), E.variance([1, 2, 3], 2), E.CRC32("123456789").toString(16));
    var crypto = require("crypto");
    print(typeof crypto.SHA256, typeof crypto.PBKDF2, new Uint8Array(crypto.SHA1("abc"))[0]);
    var m = process.memory();
    print(m.total, m.usage > 0 && m.usage < m.total, typeof m.shim, process.env.BOARD);
    E.reboot();
    load("update.js");
  `);
  assert.deepEqual(shim.printed, [
    "2 255 hi",
    "6 2 cbf43926",
    "undefined undefined 169", // an ESP8266_4MB's crypto: SHA1 only
    "1600 true string ESP8266_4MB (shim)",
  ]);
  assert.deepEqual(reboots, [], "not from inside the callback");
  await Promise.resolve();
  assert.deepEqual(reboots, [undefined, "update.js"]);
  await shim.kill();
  const tls = boot({ crypto: "tls" });
  tls.run(`print(new Uint8Array(require("crypto").SHA256("abc"))[0], __FILE__);`, "app.js");
  assert.deepEqual(tls.printed, ["186 app.js"]);
  await tls.kill();
});
