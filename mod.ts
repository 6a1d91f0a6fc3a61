/**
 * housegrid: pure control logic for a smart plug and an exhaust fan.
 *
 * @module
 */
export * from "./lib/result.ts";
export * from "./lib/settings.ts";
