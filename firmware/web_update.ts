/**
 * Firmware updates through the page (`POST api/update`) on the chip, and their
 * installation.
 *
 * Receiving: the bundle is written to Storage ({@linkcode STAGING_FILE}) chunk by chunk
 * as it arrives, never held in RAM, after checking its declared size against the limit
 * and the free flash. Then it is checked: a well-formed version tag (optional), no NUL
 * bytes, and the shape every build has (one script `(()=>{ ... })();`) — all a chip can
 * afford, since parsing 70 KB would need more RAM than it has. Its SHA-256 is computed
 * from flash (natively, or in JavaScript in time slices so the Wi-Fi keeps running) and
 * answered either way; a refused bundle is erased.
 *
 * Restarting into it, the boot-time check: the running code lives in `.bootcde` and runs
 * from flash, so it cannot be overwritten while it runs. The accepted bundle is started
 * with `load(STAGING_FILE)` (a trial: a power cycle would bring the old code back). Once
 * it has run {@linkcode INSTALL_AFTER_MS} without trouble, it copies itself into
 * `.bootcde` ({@linkcode settleFirmware}); a bundle that fails to start never gets there.
 * The record `{version, sha256, sizeBytes, state}` (store key `firmware`) follows it,
 * and is dropped when `.bootcde` is replaced some other way (Telnet upload).
 *
 * @module
 */

import { MAX_FIRMWARE_BYTES } from "../lib/web_api.ts";
import { firmwareVersionTag } from "../lib/web_forms.ts";
import type { EspruinoHttpRequest } from "./espruino_types.ts";
import { DEFAULT_STORE_LIMITS } from "./storage.ts";
import type { ChipWeb } from "./web_context.ts";
import { sha256Add, sha256End, sha256Hex, sha256Start, toHex } from "./web_crypto.ts";
import { cryptoOf, FIRMWARE_KEY } from "./web_port.ts";

/** Storage file the upload is written to (and run from during its trial). */
export const STAGING_FILE = "hg.fw.new";

/** The file Espruino runs at boot. */
export const BOOT_FILE = ".bootcde";

/** Flash left free for the device's own files (settings, energy, ...). */
export const FLASH_RESERVE_BYTES = 16384;

/** Longest time hashing or copying runs before letting the Wi-Fi run. */
export const SLICE_MS = 40;

/** Bytes read from flash per hashing or copying step. */
export const STEP_BYTES = 1024;

/** How long an uploaded bundle runs before it installs itself. */
export const INSTALL_AFTER_MS = 15000;

/** Time given to the answer to go out before restarting. */
export const RESTART_AFTER_MS = 1500;

/** The answer to an upload, as in the simulator. */
export interface UpdateBody {
  /** SHA-256 of the bundle, hex; `null` when not computed. */
  sha256: string | null;
  /** Its version (tag, or `untagged-<12 hex>`), or `null`. */
  version: string | null;
  /** Whether it is being applied. */
  applied: boolean;
  /** Bytes received. */
  sizeBytes: number;
  /** Why it was refused. */
  error?: string;
}

/** The stored record of the last update. */
interface FirmwareRecord {
  version: string;
  sha256: string;
  sizeBytes: number;
  state: string;
}

const BUNDLE_HEAD = "(()=>{";
const BUNDLE_TAIL = "})();";

const recordFile = (): string => DEFAULT_STORE_LIMITS.prefix + FIRMWARE_KEY;

const readRecord = (web: ChipWeb): FirmwareRecord | null => {
  const text = web.storage.read(recordFile());
  if (text === undefined) return null;
  try {
    const record = JSON.parse(text);
    return record !== null && typeof record === "object" && typeof record.sha256 === "string"
      ? record as FirmwareRecord
      : null;
  } catch (_error) {
    return null;
  }
};

const writeRecord = (web: ChipWeb, record: FirmwareRecord): void => {
  web.storage.write(recordFile(), JSON.stringify(record));
};

const nowMs = (web: ChipWeb): number => web.g.getTime() * 1000;

// Free bytes, and erased files' bytes a compaction gives back.
const reclaimable = (web: ChipWeb): number => {
  const storage = web.storage;
  const stats = typeof storage.getStats === "function" ? storage.getStats() : null;
  return stats === null ? storage.getFree() : stats.freeBytes + stats.trashBytes;
};

/**
 * Bytes a bundle may take: erased files' space comes back at the next compaction, the
 * staging file's too; {@linkcode FLASH_RESERVE_BYTES} stay for the device.
 *
 * @param web The firmware's web context.
 * @returns Bytes.
 */
export function flashRoom(web: ChipWeb): number {
  const staged = web.storage.read(STAGING_FILE);
  return reclaimable(web) + (staged === undefined ? 0 : staged.length) - FLASH_RESERVE_BYTES;
}

// Hashes the staged file from flash, in slices when done in JavaScript.
const hashStaged = (web: ChipWeb, size: number, done: (sha256: string) => void): void => {
  const crypto = cryptoOf(web);
  const storage = web.storage;
  if (crypto !== null && typeof crypto.SHA256 === "function") {
    done(sha256Hex(crypto, storage.read(STAGING_FILE) as string));
    return;
  }
  const hash = sha256Start();
  let at = 0;
  const step = (): void => {
    const until = nowMs(web) + SLICE_MS;
    do {
      const length = Math.min(STEP_BYTES, size - at);
      sha256Add(hash, storage.read(STAGING_FILE, at, length) as string);
      at += length;
    } while (at < size && nowMs(web) < until);
    if (at < size) web.g.setTimeout(step, 0);
    else done(toHex(sha256End(hash)));
  };
  step();
};

// The checks a chip can make; `null` when the bundle passes.
const bundleProblem = (web: ChipWeb, size: number, hasNul: boolean): string | null => {
  if (hasNul) return "not a firmware bundle: it holds NUL bytes (a binary file?)";
  const head = web.storage.read(STAGING_FILE, 0, Math.min(size, 160)) as string;
  const tagged = head.indexOf("//") === 0;
  const start = tagged ? head.indexOf("\n") + 1 : 0;
  const tail =
    (web.storage.read(STAGING_FILE, Math.max(0, size - 32), Math.min(size, 32)) as string)
      .trim();
  if (
    (tagged && start === 0) || head.substr(start, BUNDLE_HEAD.length) !== BUNDLE_HEAD ||
    tail.substr(tail.length - BUNDLE_TAIL.length) !== BUNDLE_TAIL
  ) {
    return "not a firmware bundle: it must be one script " + BUNDLE_HEAD + " ... " + BUNDLE_TAIL +
      " as the build makes it";
  }
  return null;
};

const checkAndApply = (
  web: ChipWeb,
  size: number,
  hasNul: boolean,
  sha256: string,
  reply: (status: number, body: UpdateBody) => void,
): void => {
  web.updating = false;
  const head = web.storage.read(STAGING_FILE, 0, Math.min(size, 160)) as string;
  const tag = firmwareVersionTag(head);
  const version = tag.ok ? tag.value : null;
  const problem = tag.ok ? bundleProblem(web, size, hasNul) : tag.error;
  if (problem !== null) {
    web.storage.erase(STAGING_FILE);
    reply(400, {
      sha256: sha256,
      version: version,
      applied: false,
      sizeBytes: size,
      error: problem,
    });
    return;
  }
  const named = version === null ? "untagged-" + sha256.slice(0, 12) : version;
  writeRecord(web, { version: named, sha256: sha256, sizeBytes: size, state: "trial" });
  reply(200, { sha256: sha256, version: named, applied: true, sizeBytes: size });
  const g = web.g;
  if (typeof g.load !== "function") {
    web.log("firmware: this runtime cannot load() the new bundle");
    return;
  }
  web.log("firmware: restarting into " + named);
  g.setTimeout(() => (g.load as (file: string) => void)(STAGING_FILE), RESTART_AFTER_MS);
};

/**
 * Receives an upload (login and CSRF already checked) and answers it through `reply`.
 *
 * @param web The firmware's web context.
 * @param req The request, its body not read yet.
 * @param headers Its headers, lower-case names.
 * @param reply Sends the answer.
 */
export function receiveUpdate(
  web: ChipWeb,
  req: EspruinoHttpRequest,
  headers: Record<string, string>,
  reply: (status: number, body: UpdateBody) => void,
): void {
  const refuse = (status: number, error: string, sizeBytes: number): void =>
    reply(status, { sha256: null, version: null, applied: false, sizeBytes: sizeBytes, error });
  // Every byte must be taken, or Espruino keeps the unread body in RAM.
  let take = (_data: string): void => {};
  req.on("data", (data) => take(data));
  const declared = headers["content-length"];
  const size = typeof declared === "string" ? parseInt(declared, 10) : NaN;
  if (web.updating) return refuse(409, "an update is being received already", 0);
  if (!(size >= 0) || String(size) !== String(declared).trim()) {
    return refuse(411, "send the bundle with a Content-Length header", 0);
  }
  if (size === 0) return refuse(400, "the upload is empty: send the bundle as the body", 0);
  if (size > MAX_FIRMWARE_BYTES) {
    return refuse(413, "the bundle is larger than " + MAX_FIRMWARE_BYTES / 1024 + " KB", size);
  }
  const room = flashRoom(web);
  if (size > room) {
    return refuse(507, "not enough flash for " + size + " bytes: " + room + " free", size);
  }
  web.storage.erase(STAGING_FILE);
  web.updating = true;
  let received = 0;
  let problem: string | null = null;
  let hasNul = false;
  let finished = false;
  take = (data) => {
    if (problem !== null || finished) return;
    if (received + data.length > size) {
      problem = "the body is longer than its Content-Length";
      return;
    }
    if (data.indexOf("\0") >= 0) hasNul = true;
    if (!web.storage.write(STAGING_FILE, data, received, size)) {
      problem = "writing the bundle to flash failed";
    }
    received += data.length;
  };
  const abandon = (): void => {
    finished = true;
    web.updating = false;
    web.storage.erase(STAGING_FILE);
  };
  req.on("close", () => {
    if (!finished) abandon();
  });
  req.on("end", () => {
    if (finished) return;
    if (problem !== null || received !== size) {
      abandon();
      const error = problem === null
        ? "the upload stopped after " + received + " of " + size + " bytes"
        : problem;
      return refuse(problem === "writing the bundle to flash failed" ? 500 : 400, error, received);
    }
    finished = true;
    hashStaged(web, size, (sha256) => checkAndApply(web, size, hasNul, sha256, reply));
  });
}

// Copies the staged bundle into `.bootcde`, in slices.
const install = (web: ChipWeb, record: FirmwareRecord): void => {
  const storage = web.storage;
  const size = record.sizeBytes;
  // Writing .bootcde erases the old one first: with no room for the new one, the device
  // would have no boot code at all. Better stay on the trial (gone at the next power-up).
  const old = storage.read(BOOT_FILE);
  if (reclaimable(web) + (old === undefined ? 0 : old.length) < size) {
    web.log("firmware: no room to install " + record.version + " into " + BOOT_FILE);
    return;
  }
  if (storage.getFree() < size + FLASH_RESERVE_BYTES && typeof storage.compact === "function") {
    storage.compact();
  }
  let at = 0;
  const step = (): void => {
    const until = nowMs(web) + SLICE_MS;
    do {
      const length = Math.min(STEP_BYTES, size - at);
      const chunk = storage.read(STAGING_FILE, at, length) as string;
      if (!storage.write(BOOT_FILE, chunk, at, size)) {
        web.log("firmware: writing " + BOOT_FILE + " failed at byte " + at);
        return;
      }
      at += length;
    } while (at < size && nowMs(web) < until);
    if (at < size) {
      web.g.setTimeout(step, 0);
      return;
    }
    writeRecord(web, Object.assign({}, record, { state: "installed" }));
    web.log("firmware: " + record.version + " installed");
  };
  step();
};

/**
 * Settles the firmware at boot: a trial run of an uploaded bundle installs itself after
 * {@linkcode INSTALL_AFTER_MS}; a normal boot erases a leftover staging file and drops a
 * record that no longer describes `.bootcde`.
 *
 * @param web The firmware's web context.
 */
export function settleFirmware(web: ChipWeb): void {
  const storage = web.storage;
  const record = readRecord(web);
  if (web.g.__FILE__ === STAGING_FILE) {
    if (record === null || record.state !== "trial") return;
    web.log(
      "firmware: trying " + record.version + ", installing in " + INSTALL_AFTER_MS / 1000 + " s",
    );
    web.g.setTimeout(() => install(web, record), INSTALL_AFTER_MS);
    return;
  }
  if (storage.read(STAGING_FILE) !== undefined) storage.erase(STAGING_FILE);
  if (record === null) return;
  const code = storage.read(BOOT_FILE);
  if (record.state !== "installed" || code === undefined || code.length !== record.sizeBytes) {
    storage.erase(recordFile());
    if (record.state === "trial") {
      web.log("firmware: " + record.version + " did not install (restarted during its trial)");
    }
  }
}
