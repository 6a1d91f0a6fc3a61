/**
 * Firmware updates through the page (`POST api/update`) on the chip, and their
 * installation.
 *
 * Receiving: the bundle is written to Storage ({@linkcode STAGING_FILE}) chunk by chunk
 * as it arrives, never held in RAM, after checking its declared size against the limit
 * and the free flash. Then it is checked: a well-formed version tag (optional), no NUL
 * bytes, and the shape every build has (it begins `if(0){"` or `(function(){` and ends
 * with {@linkcode BUNDLE_END}, or `})();` for older builds): all a chip can afford, since
 * parsing 70 KB would need more RAM than it has. Its SHA-256 is computed from flash
 * (natively, or in JavaScript in time slices so the Wi-Fi keeps running) and answered
 * either way; a refused bundle is erased.
 *
 * Restarting into it, the boot-time check: the running code lives in `.bootcde` and runs
 * from flash, so it cannot be overwritten while it runs. The accepted bundle is started
 * with `load(STAGING_FILE)` (a trial: a power cycle would bring the old code back). Once
 * it has run {@linkcode INSTALL_AFTER_MS} without trouble, it copies itself into
 * `.bootcde` ({@linkcode settleFirmware}); a bundle that fails to start never gets there.
 * The record `{version, sha256, sizeBytes, state}` (store key `firmware`) follows it,
 * and is dropped when `.bootcde` is replaced some other way (Telnet upload).
 *
 * When the bundle does not fit in Storage next to the running one (an ESP8266_4MB: 192 KB
 * of Storage, ~100 KB bundles), it goes to raw flash outside Storage instead
 * (`flash_stage.ts`), is hashed and checked from there, and the record (state `pending`,
 * with the raw addresses) hands it to the boot installer (`boot_installer.ts`, run from
 * `.boot0` by `load()`), which backs up `.bootcde`, replaces it, and rolls back when the
 * new bundle restarts before {@linkcode INSTALL_AFTER_MS} of running confirms it.
 *
 * @module
 */

import { MAX_FIRMWARE_BYTES } from "../lib/web_api.ts";
import { firmwareVersionTag } from "../lib/web_forms.ts";
import { ensureInstaller } from "./boot_installer.ts";
import type { EspruinoHttpRequest } from "./espruino_types.ts";
import { createRawWriter, readRaw, type StageArea, stageArea } from "./flash_stage.ts";
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
  /** Raw flash path only: where the new bundle and the old one's backup are. */
  raw?: number;
  backup?: number;
  backupBytes?: number;
}

/** Where the upload is: the Storage staging file, or raw flash. */
interface Staged {
  read(offset: number, length: number): string;
  erase(): void;
  raw: StageArea | null;
}

const storageStaged = (web: ChipWeb): Staged => ({
  read: (offset, length) => web.storage.read(STAGING_FILE, offset, length) as string,
  erase: () => web.storage.erase(STAGING_FILE),
  raw: null,
});

const rawStaged = (web: ChipWeb, area: StageArea): Staged => ({
  read: (offset, length) =>
    readRaw(area.flash, (bytes) => web.g.E.toString(bytes), area.newAddr, offset, length),
  // Raw flash needs no erasing: the record is what makes a staged bundle count.
  erase: () => {},
  raw: area,
});

/**
 * The last line of every build (build.ts writes it): its script is a top level, not an
 * IIFE, so its own last characters say nothing. A bundle cut short lacks it.
 */
export const BUNDLE_END = "//housegrid bundle end";

// How builds begin: with the lazy bindings' block (flash_bindings.ts), or (builds without
// lazy bindings, and older ones) with the script itself; and how they end (older builds
// with their IIFE's call).
const BUNDLE_HEADS = ['if(0){"', "(function(){", "(()=>{"];
const BUNDLE_TAILS = [BUNDLE_END, "})();"];

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

// Hashes the staged bundle from flash, in slices when done in JavaScript.
const hashStaged = (
  web: ChipWeb,
  staged: Staged,
  size: number,
  done: (sha256: string) => void,
): void => {
  const crypto = cryptoOf(web);
  if (staged.raw === null && crypto !== null && typeof crypto.SHA256 === "function") {
    done(sha256Hex(crypto, web.storage.read(STAGING_FILE) as string));
    return;
  }
  const hash = sha256Start();
  let at = 0;
  const step = (): void => {
    const until = nowMs(web) + SLICE_MS;
    do {
      const length = Math.min(STEP_BYTES, size - at);
      sha256Add(hash, staged.read(at, length));
      at += length;
    } while (at < size && nowMs(web) < until);
    if (at < size) web.g.setTimeout(step, 0);
    else done(toHex(sha256End(hash)));
  };
  step();
};

// The checks a chip can make; `null` when the bundle passes.
const bundleProblem = (staged: Staged, size: number, hasNul: boolean): string | null => {
  if (hasNul) return "not a firmware bundle: it holds NUL bytes (a binary file?)";
  const head = staged.read(0, Math.min(size, 160));
  const tagged = head.indexOf("//") === 0;
  const start = tagged ? head.indexOf("\n") + 1 : 0;
  const tail = staged.read(Math.max(0, size - 32), Math.min(size, 32)).trim();
  if (
    (tagged && start === 0) ||
    !BUNDLE_HEADS.some((opening) => head.substr(start, opening.length) === opening) ||
    !BUNDLE_TAILS.some((ending) => tail.substr(tail.length - ending.length) === ending)
  ) {
    return "not a firmware bundle: it must begin " + BUNDLE_HEADS.join(" or ") + " and end " +
      BUNDLE_TAILS.join(" or ") + " as the build makes it";
  }
  return null;
};

const checkAndApply = (
  web: ChipWeb,
  staged: Staged,
  size: number,
  hasNul: boolean,
  sha256: string,
  reply: (status: number, body: UpdateBody) => void,
): void => {
  web.updating = false;
  const head = staged.read(0, Math.min(size, 160));
  const tag = firmwareVersionTag(head);
  const version = tag.ok ? tag.value : null;
  let problem = tag.ok ? bundleProblem(staged, size, hasNul) : tag.error;
  if (problem === null && staged.raw !== null && !ensureInstaller(web.storage)) {
    problem = "writing the boot installer to Storage failed";
  }
  if (problem !== null) {
    staged.erase();
    reply(problem.indexOf("writing") === 0 ? 500 : 400, {
      sha256: sha256,
      version: version,
      applied: false,
      sizeBytes: size,
      error: problem,
    });
    return;
  }
  const named = version === null ? "untagged-" + sha256.slice(0, 12) : version;
  const record: FirmwareRecord = {
    version: named,
    sha256: sha256,
    sizeBytes: size,
    state: "trial",
  };
  if (staged.raw !== null) {
    // The boot installer takes it from here (boot_installer.ts).
    record.state = "pending";
    record.raw = staged.raw.newAddr;
    record.backup = staged.raw.backupAddr;
  }
  writeRecord(web, record);
  reply(200, { sha256: sha256, version: named, applied: true, sizeBytes: size });
  const g = web.g;
  if (typeof g.load !== "function") {
    web.log("firmware: this runtime cannot load() the new bundle");
    return;
  }
  web.log("firmware: restarting into " + named);
  const load = g.load as (file?: string) => void;
  // load() with no file runs the boot files again: .boot0 (the installer), then .bootcde.
  g.setTimeout(
    () => staged.raw === null ? load(STAGING_FILE) : load(),
    RESTART_AFTER_MS,
  );
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
  // Next to the running bundle in Storage when it fits (a trial by load()); else in raw
  // flash outside Storage, installed at boot (an ESP8266's 192 KB hold one bundle).
  const area = size > room ? stageArea(web.g) : null;
  if (size > room && area === null) {
    return refuse(507, "not enough flash for " + size + " bytes: " + room + " free", size);
  }
  const staged = area === null ? storageStaged(web) : rawStaged(web, area);
  const writer = area === null ? null : createRawWriter(area.flash, area.newAddr);
  web.storage.erase(STAGING_FILE);
  if (area !== null) {
    // An earlier upload's record must not send the installer to a half-written area.
    const earlier = readRecord(web);
    if (earlier !== null && earlier.state === "pending") web.storage.erase(recordFile());
  }
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
    if (writer !== null) {
      writer.write(data);
    } else if (!web.storage.write(STAGING_FILE, data, received, size)) {
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
    if (writer !== null) writer.finish();
    hashStaged(
      web,
      staged,
      size,
      (sha256) => checkAndApply(web, staged, size, hasNul, sha256, reply),
    );
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
  if (typeof record.raw === "number" && record.state === "trial") {
    // Installed at boot from raw flash: this run is the trial; a restart before the
    // confirmation makes the installer restore the backup.
    web.log(
      "firmware: trying " + record.version + ", keeping it in " + INSTALL_AFTER_MS / 1000 + " s",
    );
    web.g.setTimeout(() => {
      writeRecord(web, Object.assign({}, record, { state: "installed" }));
      web.log("firmware: " + record.version + " installed");
    }, INSTALL_AFTER_MS);
    return;
  }
  if (record.state === "rolled-back") {
    web.log("firmware: " + record.version + " failed its trial; the previous bundle is back");
  } else if (record.state !== "installed" && record.state !== "trial") {
    web.log("firmware: " + record.version + " was not installed (state " + record.state + ")");
  }
  const code = storage.read(BOOT_FILE);
  if (record.state !== "installed" || code === undefined || code.length !== record.sizeBytes) {
    storage.erase(recordFile());
    if (record.state === "trial") {
      web.log("firmware: " + record.version + " did not install (restarted during its trial)");
    }
  }
}
