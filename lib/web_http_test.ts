import assert from "node:assert/strict";
import fc from "fast-check";
import {
  errorResponse,
  isJsonContent,
  parseJsonObject,
  readCookie,
  sameOrigin,
  sessionCookie,
  splitDevicePath,
} from "./web_http.ts";

Deno.test("readCookie finds a cookie among others in any order", () => {
  const name = fc.stringMatching(/^[a-z_]{1,10}$/);
  const value = fc.stringMatching(/^[A-Za-z0-9]{0,20}$/);
  fc.assert(
    fc.property(fc.array(fc.tuple(name, value), { maxLength: 6 }), value, (others, token) => {
      const rest = others.filter(([n]) => n !== "hg_session");
      const at = rest.length === 0 ? 0 : token.length % (rest.length + 1);
      const all = rest.map(([n, v]) => `${n}=${v}`);
      all.splice(at, 0, `hg_session=${token}`);
      assert.equal(readCookie(all.join("; "), "hg_session"), token);
      assert.equal(readCookie(rest.map(([n, v]) => `${n}=${v}`).join("; "), "hg_session"), null);
    }),
  );
  assert.equal(readCookie("xhg_session=1", "hg_session"), null);
});

Deno.test("the session cookie is HttpOnly, SameSite=Strict and scoped to the device", () => {
  const cookie = sessionCookie("fan_2", "00ff");
  assert.match(cookie, /^hg_session=00ff; /);
  for (const part of ["HttpOnly", "SameSite=Strict", "Path=/devices/fan_2/"]) {
    assert.ok(cookie.split("; ").includes(part), part);
  }
  assert.equal(
    sessionCookie("fan_2", ""),
    "hg_session=; HttpOnly; SameSite=Strict; Path=/devices/fan_2/; Max-Age=0",
  );
});

Deno.test("JSON bodies: objects only, with clear messages", () => {
  assert.deepEqual(parseJsonObject('{"password":"x"}'), { ok: true, value: { password: "x" } });
  for (
    const [body, message] of [
      ["", /needs a JSON object/],
      ["   ", /needs a JSON object/],
      ["{", /not valid JSON/],
      ["password=x", /not valid JSON/],
      ["[]", /must be a JSON object/],
      ["null", /must be a JSON object/],
      ['"text"', /must be a JSON object/],
    ] as const
  ) {
    const result = parseJsonObject(body);
    assert.equal(result.ok, false, body);
    if (!result.ok) assert.match(result.error, message);
  }
  fc.assert(fc.property(fc.string(), (text) => {
    // Never throws, whatever arrives.
    parseJsonObject(text);
  }));
});

Deno.test("same origin: Origin must name Host when present", () => {
  assert.equal(sameOrigin({ host: "127.0.0.1:8080", origin: "http://127.0.0.1:8080" }), true);
  assert.equal(sameOrigin({ host: "127.0.0.1:8080", origin: "http://127.0.0.1:8081" }), false);
  assert.equal(sameOrigin({ host: "127.0.0.1:8080", origin: "null" }), false);
  assert.equal(sameOrigin({ origin: "http://127.0.0.1:8080" }), false);
  assert.equal(sameOrigin({ host: "a" }), true);
});

Deno.test("content type and paths", () => {
  assert.equal(isJsonContent({ "content-type": "Application/JSON" }), true);
  assert.equal(isJsonContent({ "content-type": "application/jsonp" }), false);
  assert.equal(isJsonContent({}), false);
  assert.deepEqual(splitDevicePath("/devices/p/api/ws"), { id: "p", rest: "api/ws" });
  assert.equal(splitDevicePath("/devices//api"), null);
  assert.equal(splitDevicePath("/other/p/"), null);
  assert.equal(errorResponse(400, "bad").status, 400);
  assert.equal(errorResponse(400, "bad").headers["cache-control"], "no-store");
});
