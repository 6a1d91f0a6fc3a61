/**
 * housegrid: pure control logic for a smart plug and an exhaust fan.
 *
 * @module
 */
export * from "./lib/result.ts";
export * from "./lib/settings.ts";
export * from "./lib/topics.ts";
export * from "./lib/ports.ts";
export * from "./lib/relay.ts";
export * from "./lib/discovery.ts";
export * from "./lib/energy.ts";
export * from "./lib/history.ts";
