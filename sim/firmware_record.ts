/**
 * The firmware record an update leaves in a simulated device's store, and the version a
 * device announces from it.
 *
 * @module
 */

import type { WebFirmware } from "../lib/web_device.ts";
import type { KeyValueStore } from "../lib/ports.ts";
import { SIM_VERSION } from "./device.ts";

/** Store key of the firmware record written by an update. */
export const FIRMWARE_KEY = "firmware";

/** What an update leaves in the store. */
export interface FirmwareRecord extends WebFirmware {
  /** Bundle size in bytes. */
  sizeBytes: number;
  /** Wall-clock time it was applied (ms since the epoch). */
  appliedAtMs: number;
}

/**
 * Reads the firmware record of a device.
 *
 * @param store The device's store.
 * @returns The recorded version and SHA-256, or the simulator's own version.
 */
export function readFirmware(store: KeyValueStore): WebFirmware {
  const text = store.read(FIRMWARE_KEY);
  if (text !== null) {
    try {
      const record = JSON.parse(text);
      if (typeof record?.version === "string" && typeof record?.sha256 === "string") {
        return { version: record.version, sha256: record.sha256 };
      }
    } catch {
      // An unreadable record means the stock firmware.
    }
  }
  return { version: SIM_VERSION, sha256: null };
}
