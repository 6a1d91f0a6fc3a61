/**
 * Firmware updates through the device page, as the simulator models them: the uploaded
 * bundle is checked (size, UTF-8 text, parses as a script, fits the Espruino 2v29
 * subset, a well-formed version tag), its SHA-256 is computed, and only then is the new
 * version recorded in the device's store and the device rebooted. A refused bundle
 * changes nothing.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { KeyValueStore } from "../lib/ports.ts";
import { MAX_FIRMWARE_BYTES } from "../lib/web_api.ts";
import { firmwareVersionTag } from "../lib/web_forms.ts";
import { checkEspruinoSubset } from "../firmware/espruino_subset.ts";
import type { AnySimDevice } from "./web_port.ts";
import { FIRMWARE_KEY, type FirmwareRecord } from "./firmware_record.ts";

/** The answer to an update: `{sha256, version, applied, error?}` and its status. */
export interface UpdateAnswer {
  /** HTTP status: 200, 400 or 413. */
  status: number;
  /** The JSON body. */
  body: {
    sha256: string | null;
    version: string | null;
    applied: boolean;
    sizeBytes: number;
    error?: string;
  };
}

const MAX_LISTED_PROBLEMS = 5;

const refuse = (
  status: number,
  error: string,
  sha256: string | null,
  version: string | null,
  sizeBytes: number,
): UpdateAnswer => ({ status, body: { sha256, version, applied: false, sizeBytes, error } });

/**
 * Checks a firmware bundle and, when it passes, records it and reboots the device.
 *
 * @param device The device to update.
 * @param store Its store (the record goes to key `firmware`).
 * @param bytes The uploaded body, or `null` when it was larger than allowed.
 * @returns The answer for the page.
 * @example
 * ```ts ignore
 * const answer = applyFirmwareUpdate(plug, store, new TextEncoder().encode("var a = 1;"));
 * ```
 */
export function applyFirmwareUpdate(
  device: AnySimDevice,
  store: KeyValueStore,
  bytes: Uint8Array | null,
): UpdateAnswer {
  const limitKb = MAX_FIRMWARE_BYTES / 1024;
  if (bytes === null || bytes.length > MAX_FIRMWARE_BYTES) {
    return refuse(413, `the bundle is larger than ${limitKb} KB`, null, null, bytes?.length ?? 0);
  }
  const size = bytes.length;
  if (size === 0) {
    return refuse(400, "the upload is empty: send the bundle as the body", null, null, 0);
  }
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  let code: string;
  try {
    code = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return refuse(400, "not a firmware bundle: the file is not UTF-8 text", sha256, null, size);
  }
  const tag = firmwareVersionTag(code);
  if (!tag.ok) return refuse(400, tag.error, sha256, null, size);
  const problems = checkEspruinoSubset(code);
  const first = problems[0];
  if (first !== undefined) {
    if (first.line === 0) {
      const reason = first.message.replace(/^does not parse: (SyntaxError: )?/, "");
      return refuse(
        400,
        `not a JavaScript bundle: it does not parse (${reason})`,
        sha256,
        tag.value,
        size,
      );
    }
    const listed = problems.slice(0, MAX_LISTED_PROBLEMS)
      .map((p) => `line ${p.line}:${p.column} ${p.message}`).join("; ");
    const more = problems.length > MAX_LISTED_PROBLEMS
      ? ` and ${problems.length - MAX_LISTED_PROBLEMS} more`
      : "";
    return refuse(
      400,
      `the bundle uses what Espruino 2v29 cannot run: ${listed}${more}`,
      sha256,
      tag.value,
      size,
    );
  }
  const version = tag.value ?? `untagged-${sha256.slice(0, 12)}`;
  const record: FirmwareRecord = { version, sha256, sizeBytes: size, appliedAtMs: Date.now() };
  store.write(FIRMWARE_KEY, JSON.stringify(record));
  // The new firmware runs after a restart, as on the chip.
  if (device.powered) device.knob("reboot", "");
  return { status: 200, body: { sha256, version, applied: true, sizeBytes: size } };
}
