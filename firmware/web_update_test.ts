import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { serveWeb } from "./web.ts";
import {
  esp8266Crypto,
  fakeRequest,
  fakeResponse,
  fakeStorage,
  plugWeb,
} from "./web_fakes_test.ts";
import {
  BOOT_FILE,
  INSTALL_AFTER_MS,
  RESTART_AFTER_MS,
  settleFirmware,
  STAGING_FILE,
} from "./web_update.ts";

type World = ReturnType<typeof plugWeb>;

const API = "/devices/plug1/api/";
const RECORD = "hg.firmware";
const sha256 = (text: string) => createHash("sha256").update(text, "latin1").digest("hex");

const BUNDLE = "// housegrid-version: 1.2.3\n(()=>{var a=1;print(a)})();\n";

const login = (w: World) => {
  const route = w.files["hg.web_account"] === undefined ? "setup" : "login";
  const request = fakeRequest("POST", API + route, {
    "Content-Type": "application/json",
    Host: "10.0.0.5",
  });
  const response = fakeResponse();
  serveWeb(w.web, request.req, response.res);
  request.send('{"password":"correct horse"}');
  w.advance(0); // hashed in a task of its own
  assert.equal(response.sent.status, 200);
  return {
    cookie: (response.sent.headers["set-cookie"] ?? "").split(";")[0] as string,
    csrf: response.json().csrf as string,
  };
};

/** Starts an upload; the body is sent by the caller. */
const upload = (w: World, headers: Record<string, string>, session = login(w)) => {
  const request = fakeRequest(
    "POST",
    API + "update",
    Object.assign({
      Host: "10.0.0.5",
      "Content-Type": "application/octet-stream",
      Cookie: session.cookie,
      "X-CSRF-Token": session.csrf,
    }, headers),
  );
  const response = fakeResponse();
  serveWeb(w.web, request.req, response.res);
  return { request, response };
};

const sendBundle = (w: World, body: string, chunk = 536) => {
  const { request, response } = upload(w, { "Content-Length": String(body.length) });
  request.send(body, chunk);
  return response;
};

Deno.test("no login or no CSRF token: refused before a byte is written", () => {
  const w = plugWeb();
  const session = login(w);
  const attempts: Record<string, string>[] = [{ Cookie: "", "X-CSRF-Token": "" }, {
    "X-CSRF-Token": "",
  }];
  for (const headers of attempts) {
    const { request, response } = upload(
      w,
      Object.assign({ "Content-Length": "50" }, headers),
      session,
    );
    assert.ok(
      response.sent.status === 401 || response.sent.status === 403,
      String(response.sent.status),
    );
    assert.ok(request.listens("data"));
    request.send(BUNDLE);
    assert.equal(w.files[STAGING_FILE], undefined);
  }
});

Deno.test("size refusals: missing length, empty, over 256 KB, over the free flash", () => {
  const w = plugWeb();
  const session = login(w);
  const status = (headers: Record<string, string>) => {
    const { response } = upload(w, headers, session);
    return [response.sent.status, response.json().applied, response.json().error];
  };
  assert.deepEqual(status({}), [411, false, "send the bundle with a Content-Length header"]);
  assert.deepEqual(status({ "Content-Length": "0" }), [
    400,
    false,
    "the upload is empty: send the bundle as the body",
  ]);
  assert.deepEqual(status({ "Content-Length": String(300000) }), [
    413,
    false,
    "the bundle is larger than 256 KB",
  ]);
  const full = fakeStorage(120000);
  Object.assign(w.web, { storage: full.storage });
  const room = status({ "Content-Length": String(110000) });
  assert.equal(room[0], 507);
  assert.match(String(room[2]), /^not enough flash for 110000 bytes: \d+ free$/);
});

Deno.test("an accepted bundle is staged as it arrives, hashed, recorded, then loaded", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 80 }), fc.boolean(), (chunk, esp8266) => {
      const w = plugWeb(esp8266 ? { crypto: esp8266Crypto } : {});
      const response = sendBundle(w, BUNDLE, chunk);
      w.advance(0); // the JavaScript hash runs in slices
      assert.equal(response.sent.status, 200, response.body());
      assert.deepEqual(response.json(), {
        sha256: sha256(BUNDLE),
        version: "1.2.3",
        applied: true,
        sizeBytes: BUNDLE.length,
      });
      assert.equal(w.files[STAGING_FILE], BUNDLE);
      assert.deepEqual(JSON.parse(w.files[RECORD] ?? ""), {
        version: "1.2.3",
        sha256: sha256(BUNDLE),
        sizeBytes: BUNDLE.length,
        state: "trial",
      });
      assert.deepEqual(w.loaded, []);
      w.advance(RESTART_AFTER_MS);
      assert.deepEqual(w.loaded, [STAGING_FILE]);
    }),
    { numRuns: 20 },
  );
});

Deno.test("a large bundle is hashed from flash in slices on an ESP8266 (no native SHA256)", () => {
  const w = plugWeb({ crypto: esp8266Crypto });
  const body = "(()=>{" + "var x='" + "a".repeat(40000) + "';" + "})();";
  const session = login(w);
  // A slow chip: 10 ms pass at every look at the clock.
  let seconds = 0;
  w.web.g.getTime = () => (seconds += 0.01);
  const { request, response } = upload(w, { "Content-Length": String(body.length) }, session);
  request.send(body);
  assert.equal(response.sent.status, 0, "not answered before the hash is done");
  w.advance(0);
  assert.equal(response.json().sha256, sha256(body));
  assert.equal(response.json().version, "untagged-" + sha256(body).slice(0, 12));
});

Deno.test("what a chip can check is refused with the SHA-256, and the staging erased", () => {
  const w = plugWeb();
  const cases: Array<[string, RegExp]> = [
    ["<html>not a bundle</html>", /not a firmware bundle: it must begin/],
    ["(()=>{var a=1;})();\0\0", /NUL bytes/],
    ["// housegrid-version: soon\n(()=>{})();", /version tag must read/],
    ["(()=>{var a=1;", /not a firmware bundle/],
    // A build of today cut short: its top level lacks the last line.
    ['if(0){"x";}\nvar a=1;', /not a firmware bundle/],
  ];
  for (const [body, error] of cases) {
    const response = sendBundle(w, body);
    assert.equal(response.sent.status, 400, body);
    assert.equal(response.json().applied, false);
    assert.equal(response.json().sha256, sha256(body));
    assert.match(response.json().error, error);
    assert.equal(w.files[STAGING_FILE], undefined);
    assert.equal(w.files[RECORD], undefined);
  }
  w.advance(RESTART_AFTER_MS);
  assert.deepEqual(w.loaded, []);
});

Deno.test("a broken-off upload leaves nothing behind; a longer body than declared is refused", () => {
  const w = plugWeb();
  const { request, response } = upload(w, { "Content-Length": String(BUNDLE.length) });
  request.emit("data", BUNDLE.slice(0, 10));
  request.emit("close");
  assert.equal(response.sent.status, 0);
  assert.equal(w.files[STAGING_FILE], undefined);
  assert.equal(w.web.updating, false);
  const long = upload(w, { "Content-Length": "5" });
  long.request.send(BUNDLE);
  assert.equal(long.response.sent.status, 400);
  assert.equal(long.response.json().error, "the body is longer than its Content-Length");
});

Deno.test("the trial run installs itself into .bootcde; a normal boot cleans up", () => {
  const w = plugWeb();
  w.files[BOOT_FILE] = "(()=>{old})();";
  sendBundle(w, BUNDLE);
  // As after load(STAGING_FILE): the program knows the file it was started from.
  Object.assign(w.web.g, { __FILE__: STAGING_FILE });
  settleFirmware(w.web);
  w.advance(INSTALL_AFTER_MS - 1000);
  assert.equal(w.files[BOOT_FILE], "(()=>{old})();");
  w.advance(1000);
  assert.equal(w.files[BOOT_FILE], BUNDLE);
  assert.equal(JSON.parse(w.files[RECORD] ?? "").state, "installed");
  // The next power-on runs .bootcde: the staging copy goes, the record stays.
  Object.assign(w.web.g, { __FILE__: undefined });
  settleFirmware(w.web);
  assert.equal(w.files[STAGING_FILE], undefined);
  assert.equal(JSON.parse(w.files[RECORD] ?? "").sha256, sha256(BUNDLE));
  // Code uploaded another way (Telnet) no longer matches the record: it is dropped.
  w.files[BOOT_FILE] = "(()=>{other code})();";
  settleFirmware(w.web);
  assert.equal(w.files[RECORD], undefined);
});

Deno.test("a bundle whose trial never got to install is forgotten at the next boot", () => {
  const w = plugWeb();
  w.files[BOOT_FILE] = "(()=>{old})();";
  sendBundle(w, BUNDLE);
  settleFirmware(w.web); // a power cycle: __FILE__ unset, .bootcde is the old code
  assert.equal(w.files[STAGING_FILE], undefined);
  assert.equal(w.files[RECORD], undefined);
  assert.equal(w.files[BOOT_FILE], "(()=>{old})();");
  assert.ok(w.logs.some((line) => /did not install/.test(line)));
});

Deno.test("no room for the new .bootcde: the trial stays, the old boot code is kept", () => {
  const w = plugWeb();
  w.files[BOOT_FILE] = "(()=>{old})();";
  sendBundle(w, BUNDLE);
  Object.assign(w.web.g, { __FILE__: STAGING_FILE });
  // Flash filled up since the upload.
  const used = Object.values(w.files).reduce((sum, file) => sum + file.length + 32, 0);
  const full = fakeStorage(used + 10);
  Object.assign(full.files, w.files);
  Object.assign(w.web, { storage: full.storage });
  settleFirmware(w.web);
  w.advance(INSTALL_AFTER_MS);
  assert.equal(full.files[BOOT_FILE], "(()=>{old})();");
  assert.ok(w.logs.some((line) => /no room to install/.test(line)));
});
