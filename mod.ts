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
export * from "./lib/decimal.ts";
export * from "./lib/utf8.ts";
export * from "./lib/checksum.ts";
export * from "./lib/settings_schema.ts";
export * from "./lib/setting_value.ts";
export * from "./lib/settings_validate.ts";
export * from "./lib/settings_codec.ts";
export * from "./lib/commands.ts";
export * from "./lib/protocol.ts";
export * from "./lib/protocol_states.ts";
export * from "./lib/fan_types.ts";
export * from "./lib/fan.ts";
export * from "./lib/fan_decide.ts";
export * from "./lib/fan_timer.ts";
export * from "./lib/humidity_baseline.ts";
export * from "./lib/device_effects.ts";
export * from "./lib/plug_device.ts";
export * from "./lib/fan_device.ts";
export * from "./lib/power.ts";
export * from "./lib/mqtt_codec.ts";
export * from "./lib/mqtt_session.ts";
export * from "./lib/web_auth.ts";
export * from "./lib/web_account.ts";
export * from "./lib/web_http.ts";
export * from "./lib/web_settings.ts";
export * from "./lib/web_forms.ts";
export * from "./lib/web_device.ts";
export * from "./lib/web_api.ts";
