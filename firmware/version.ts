/**
 * The firmware's version, announced in discovery and shown on the page.
 *
 * @module
 */

/** Firmware version announced in discovery and shown on the page. */
export const FIRMWARE_VERSION = "0.1.0";
