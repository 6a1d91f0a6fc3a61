import assert from "node:assert/strict";
import type { Buffer } from "node:buffer";
import { createServer, type Socket } from "node:net";
import { VirtualClock } from "../../sim/clock.ts";
import { EspruinoShim } from "./shim.ts";
import type { ShimTraffic } from "./shim_net.ts";

const wallDelay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for " + what);
    await wallDelay(2);
  }
}

/** A TCP echo server on a free port. */
async function echoServer() {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("data", (chunk: Buffer) => socket.write(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

Deno.test("net: binary strings go out and come back byte for byte; the tap sees them", async () => {
  const echo = await echoServer();
  const traffic: ShimTraffic[] = [];
  const shim = new EspruinoShim({ clock: new VirtualClock(), onTraffic: (t) => traffic.push(t) });
  try {
    shim.run(`
      var all = "";
      for (var n = 0; n < 256; n++) all += String.fromCharCode(n);
      var got = "";
      var socket = require("net").connect({ host: "127.0.0.1", port: ${echo.port} }, function () {
        socket.write(all);
      });
      socket.on("data", function (data) {
        got += data;
        if (got.length === 256) { print(got === all ? "same" : "different"); socket.end(); }
      });
      socket.on("close", function () { print("closed"); });
    `);
    await until(() => shim.printed.includes("closed"), "the echo and the close");
    assert.deepEqual(shim.printed, ["same", "closed"]);
    const out = traffic.filter((t) => t.type === "out");
    assert.equal(out.length, 1);
    assert.deepEqual(out[0], {
      socket: 1,
      type: "out",
      bytes: Uint8Array.from({ length: 256 }, (_, n) => n),
    });
    assert.deepEqual(traffic.at(-1), { socket: 1, type: "close" });
  } finally {
    await shim.kill();
    await echo.close();
  }
});

Deno.test("net: without a network, connections fail with error then close; a drop closes them", async () => {
  const echo = await echoServer();
  const clock = new VirtualClock();
  const shim = new EspruinoShim({ clock });
  try {
    const script = `
      var socket = require("net").connect({ host: "127.0.0.1", port: ${echo.port} }, function () {
        print("open");
      });
      socket.on("error", function (e) { print("error", e.message); });
      socket.on("close", function () { print("close"); });
    `;
    shim.net.setOnline(false);
    shim.run(script);
    clock.advanceBy(1);
    assert.deepEqual(shim.printed, ["error no network (Wi-Fi is down)", "close"]);
    shim.net.setOnline(true);
    shim.run(script);
    await until(() => shim.printed.includes("open"), "open");
    shim.net.dropAll();
    await until(() => shim.printed.length === 4, "close after the drop");
    assert.equal(shim.printed[3], "close");
    assert.equal(shim.net.openCount(), 0);
  } finally {
    await shim.kill();
    await echo.close();
  }
});
