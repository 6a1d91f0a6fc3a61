import assert from "node:assert/strict";
import { VirtualClock } from "../../sim/clock.ts";
import { EspruinoShim } from "./shim.ts";

// An Espruino-style handler: headers by the names sent (fetch sends them in lower case),
// the body through data/end events.
const SERVER = `
  require("http").createServer(function (req, res) {
    if (req.url === "/boom") throw new Error("handler bug");
    if (req.url === "/stream") {
      // Espruino's way to send more than fits in RAM: the next chunk on each drain, the
      // first once the head is sent.
      var left = 50;
      res.writeHead(200, {});
      res.on("drain", function () {
        if (left-- > 0) res.write("0123456789"); else res.end();
      });
      return;
    }
    var body = "";
    req.on("data", function (chunk) { body += chunk; });
    req.on("end", function () {
      res.writeHead(200, { "Content-Type": "application/octet-stream", "X-Method": req.method });
      res.write(req.url + "|" + (req.headers["x-test"] || "") + "|");
      res.end(body + "\\xff");
    });
  }).listen(80);
`;

Deno.test("http: requests reach an Espruino-style handler and its answer comes back", async () => {
  const shim = new EspruinoShim({ clock: new VirtualClock() });
  try {
    shim.run(SERVER);
    await shim.http.listening();
    const server = shim.http.servers()[0];
    assert.equal(server?.devicePort, 80);
    const url = server?.url as string;
    const got = await fetch(url + "/api?x=1", {
      method: "POST",
      headers: { "X-Test": "yes" },
      body: new Uint8Array([104, 105, 0xe9]),
    });
    assert.equal(got.status, 200);
    assert.equal(got.headers.get("x-method"), "POST");
    const bytes = new Uint8Array(await got.arrayBuffer());
    const expected = new TextEncoder().encode("/api?x=1|yes|hi");
    assert.deepEqual(bytes, new Uint8Array([...expected, 0xe9, 0xff]));
    const streamed = await fetch(url + "/stream");
    assert.equal(await streamed.text(), "0123456789".repeat(50));
    const failed = await fetch(url + "/boom");
    assert.equal(failed.status, 500);
    await failed.body?.cancel();
    assert.match(shim.printed.join("\n"), /Uncaught Error: handler bug/);
  } finally {
    await shim.kill();
  }
  assert.deepEqual(shim.http.servers(), [], "a power cut closes the server");
});
