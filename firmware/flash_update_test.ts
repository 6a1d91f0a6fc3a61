// The update path of an ESP8266_4MB: 192 KB of Storage, a ~100 KB bundle running from
// it, the upload staged in raw flash and installed at boot by the installer.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import fc from "fast-check";
import {
  BOOT_HOOK_FILE,
  BOOT_HOOK_SOURCE,
  INSTALLER_FILE,
  INSTALLER_SOURCE,
} from "./boot_installer.ts";
import type { EspruinoStorage } from "./espruino_types.ts";
import { serveWeb } from "./web.ts";
import { esp8266Crypto, fakeRequest, fakeResponse, plugWeb } from "./web_fakes_test.ts";
import { BOOT_FILE, INSTALL_AFTER_MS, RESTART_AFTER_MS, settleFirmware } from "./web_update.ts";

const STORAGE_BYTES = 192 * 1024;
const RAW_BASE = 0x100000;
const RECORD = "hg.firmware";
const API = "/devices/plug1/api/";

class PowerCut extends Error {}

/** Counts flash operations and cuts the power at the chosen one. */
const power = { left: Infinity };
const tick = () => {
  if (--power.left < 0) throw new PowerCut("power cut");
};

/** Storage that refuses what does not fit, like Espruino's (compaction is implicit). */
const esp8266Storage = (files: Record<string, string>): EspruinoStorage => {
  const used = () => Object.values(files).reduce((sum, file) => sum + file.length + 32, 0);
  return {
    read: (name, offset, length) => {
      const file = files[name];
      if (file === undefined) return undefined;
      if (offset === undefined) return file;
      return file.substr(offset, length ?? file.length);
    },
    write: (name, data, offset, size) => {
      tick();
      if (!offset) {
        const total = Math.max(size ?? 0, data.length);
        const old = files[name];
        if (used() - (old === undefined ? 0 : old.length + 32) + total + 32 > STORAGE_BYTES) {
          return false;
        }
        files[name] = data + "\xff".repeat(total - data.length);
        return true;
      }
      const file = files[name];
      if (file === undefined || offset + data.length > file.length) return false;
      if (file.slice(offset, offset + data.length) !== "\xff".repeat(data.length)) return false;
      files[name] = file.slice(0, offset) + data + file.slice(offset + data.length);
      return true;
    },
    readJSON: (name) => {
      const file = files[name];
      if (file === undefined) return undefined;
      try {
        return JSON.parse(file);
      } catch {
        return undefined;
      }
    },
    writeJSON: (name, data) => {
      tick();
      files[name] = JSON.stringify(data);
      return true;
    },
    erase: (name) => {
      tick();
      delete files[name];
    },
    getFree: () => STORAGE_BYTES - used(),
    getStats: () => ({ freeBytes: STORAGE_BYTES - used(), trashBytes: 0 }),
    compact: () => {},
  };
};

/** Raw flash above 1 MB: erase to 0xFF by page, writes only clear bits, 4-byte aligned. */
const fakeFlash = () => {
  const bytes = new Uint8Array(0x80000).fill(0);
  const index = (addr: number) => addr - RAW_BASE;
  return {
    bytes,
    flash: {
      getFree: () => [{ addr: 0x80000, length: 0x1000 }, { addr: RAW_BASE, length: 0x80000 }],
      erasePage: (addr: number) => {
        tick();
        const start = index(addr) - (index(addr) % 4096);
        bytes.fill(255, start, start + 4096);
      },
      write: (data: string | Uint8Array, addr: number) => {
        tick();
        assert.equal(addr % 4, 0, "aligned address");
        assert.equal(data.length % 4, 0, "aligned length");
        for (let i = 0; i < data.length; i++) {
          const byte = typeof data === "string" ? data.charCodeAt(i) : data[i] as number;
          bytes[index(addr) + i] = (bytes[index(addr) + i] as number) & byte;
        }
      },
      read: (length: number, addr: number) => {
        assert.equal(addr % 4, 0, "aligned read");
        return bytes.slice(index(addr), index(addr) + length);
      },
    },
  };
};

const bundle = (tag: string, bytes: number) => {
  const head = "// housegrid-version: " + tag + "\n(()=>{var v='";
  const tail = "';print(v.length)})();\n";
  return head + "x".repeat(bytes - head.length - tail.length) + tail;
};

const OLD = bundle("1.0.0", 100_000);
const NEW = bundle("1.1.0", 104_000);

/** A plug on an ESP8266_4MB with OLD running from `.bootcde`. */
const esp8266 = () => {
  const w = plugWeb({ crypto: esp8266Crypto });
  const files: Record<string, string> = Object.assign({}, w.files, { [BOOT_FILE]: OLD });
  const storage = esp8266Storage(files);
  const raw = fakeFlash();
  Object.assign(w.web, { storage });
  const g = w.web.g as unknown as Record<string, unknown>;
  const require = g.require as (name: string) => unknown;
  g.require = (name: string) => name === "Flash" ? raw.flash : require(name);
  g.process = { memory: () => ({ usage: 0 }), env: { BOARD: "ESP8266_4MB" } };
  return { w, files, storage, raw };
};

type Chip = ReturnType<typeof esp8266>;

/** What Espruino does at boot: `.boot0` (the hook, running the installer). */
const boot = (chip: Chip) => {
  assert.equal(chip.files[BOOT_HOOK_FILE], BOOT_HOOK_SOURCE);
  const source = chip.files[INSTALLER_FILE];
  assert.equal(source, INSTALLER_SOURCE);
  const E = {
    toString: (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1"),
  };
  const require = (name: string) => name === "Storage" ? chip.storage : chip.raw.flash;
  new Function("require", "E", "console", source as string)(require, E, { log: () => {} });
};

const record = (chip: Chip) => JSON.parse(chip.files[RECORD] ?? "null");

const upload = (chip: Chip, body: string) => {
  const login = fakeRequest("POST", API + "setup", {
    "Content-Type": "application/json",
    Host: "10.0.0.5",
  });
  const answer = fakeResponse();
  serveWeb(chip.w.web, login.req, answer.res);
  login.send('{"password":"correct horse"}');
  chip.w.advance(0); // hashed in a task of its own
  assert.equal(answer.sent.status, 200, answer.body());
  const request = fakeRequest("POST", API + "update", {
    Host: "10.0.0.5",
    "Content-Type": "application/octet-stream",
    "Content-Length": String(body.length),
    Cookie: (answer.sent.headers["set-cookie"] ?? "").split(";")[0] as string,
    "X-CSRF-Token": answer.json().csrf as string,
  });
  const response = fakeResponse();
  serveWeb(chip.w.web, request.req, response.res);
  request.send(body, 1460);
  chip.w.advance(0);
  return response;
};

const sha256 = (text: string) => createHash("sha256").update(text, "latin1").digest("hex");

Deno.test("a bundle that does not fit next to the running one is staged in raw flash", () => {
  const chip = esp8266();
  assert.ok(chip.storage.getFree() < NEW.length, "it cannot sit in Storage");
  const response = upload(chip, NEW);
  assert.equal(response.sent.status, 200, response.body());
  assert.deepEqual(response.json(), {
    sha256: sha256(NEW),
    version: "1.1.0",
    applied: true,
    sizeBytes: NEW.length,
  });
  assert.equal(chip.files["hg.fw.new"], undefined);
  assert.equal(chip.files[BOOT_FILE], OLD, "the running bundle is untouched");
  assert.equal(Buffer.from(chip.raw.bytes.subarray(0, NEW.length)).toString("latin1"), NEW);
  assert.deepEqual(record(chip), {
    version: "1.1.0",
    sha256: sha256(NEW),
    sizeBytes: NEW.length,
    state: "pending",
    raw: RAW_BASE,
    backup: RAW_BASE + 0x40000,
  });
  chip.w.advance(RESTART_AFTER_MS);
  assert.deepEqual(chip.w.loaded, [undefined], "load() with no file: .boot0, then .bootcde");
});

Deno.test("a refused or broken-off raw upload leaves the device as it was", () => {
  const chip = esp8266();
  const bad = "<html>" + "x".repeat(NEW.length) + "</html>";
  const response = upload(chip, bad);
  assert.equal(response.sent.status, 400);
  assert.match(response.json().error, /not a firmware bundle/);
  assert.equal(response.json().sha256, sha256(bad));
  assert.equal(chip.files[RECORD], undefined);
  assert.equal(chip.files[BOOT_FILE], OLD);
  chip.w.advance(RESTART_AFTER_MS);
  assert.deepEqual(chip.w.loaded, []);
});

Deno.test("the installer replaces .bootcde, the trial confirms it, a restart in trial rolls back", () => {
  const chip = esp8266();
  upload(chip, NEW);
  boot(chip);
  assert.equal(chip.files[BOOT_FILE], NEW);
  assert.equal(record(chip).state, "trial");
  assert.equal(record(chip).backupBytes, OLD.length);
  // The new bundle runs and confirms itself.
  settleFirmware(chip.w.web);
  chip.w.advance(INSTALL_AFTER_MS);
  assert.equal(record(chip).state, "installed");
  boot(chip);
  assert.equal(chip.files[BOOT_FILE], NEW, "an installed bundle stays");

  const again = esp8266();
  upload(again, NEW);
  boot(again);
  // Restarted before the confirmation: the backup comes back.
  boot(again);
  assert.equal(again.files[BOOT_FILE], OLD);
  assert.equal(record(again).state, "rolled-back");
  settleFirmware(again.w.web);
  assert.ok(again.w.logs.some((line) => /failed its trial/.test(line)));
});

Deno.test("a power cut anywhere in the installer: the next boots finish the job", () => {
  const chip = esp8266();
  upload(chip, NEW);
  const before = Object.assign({}, chip.files);
  const rawBefore = chip.raw.bytes.slice();
  // How many flash operations an uncut install takes.
  power.left = 1e9;
  boot(chip);
  const steps = 1e9 - power.left;
  assert.ok(steps > 100, String(steps));
  // Every cut falls inside the install (cutting after its last step is a restart in trial).
  fc.assert(
    fc.property(fc.integer({ min: 0, max: steps - 1 }), fc.boolean(), (cutAt, thenTrialFails) => {
      const c = esp8266();
      for (const name of Object.keys(c.files)) delete c.files[name];
      Object.assign(c.files, before);
      c.raw.bytes.set(rawBefore);
      power.left = cutAt;
      try {
        boot(c);
      } catch (error) {
        if (!(error instanceof PowerCut)) throw error;
      }
      power.left = Infinity;
      // What runs next: the installer, then .bootcde. It is complete, or about to be.
      const state = record(c).state;
      const code = c.files[BOOT_FILE];
      assert.ok(
        code === OLD || code === NEW || state === "installing" || state === "restoring",
        state + " " + (code ?? "none").length,
      );
      boot(c);
      assert.equal(record(c).state, "trial");
      assert.equal(c.files[BOOT_FILE], NEW);
      if (thenTrialFails) {
        boot(c);
        assert.equal(c.files[BOOT_FILE], OLD);
        assert.equal(record(c).state, "rolled-back");
      }
    }),
    { numRuns: 60 },
  );
  power.left = Infinity;
});
