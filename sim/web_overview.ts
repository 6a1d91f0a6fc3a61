/**
 * The simulator's fleet overview: every device with its kind, whether it is powered and
 * online on MQTT, one line of its main state, and a link to its page. It needs no login
 * and so shows no settings, no network details and no actions: whoever can reach the
 * simulator's web port (127.0.0.1 unless `--host` says otherwise) sees what each
 * device's retained MQTT states already tell.
 *
 * @module
 */

import type { AnySimDevice } from "./web_port.ts";

/** One device in the overview. */
export interface OverviewEntry {
  /** Device id. */
  id: string;
  /** `plugs` or `fans`. */
  kind: string;
  /** Whether it has power. */
  powered: boolean;
  /** Whether its MQTT session is up. */
  online: boolean;
  /** Its main state. */
  main: Record<string, unknown>;
  /** One line for people, e.g. `ON · 1998.7 W`. */
  summary: string;
  /** Its page. */
  url: string;
}

const number = (value: unknown, digits: number): string =>
  typeof value === "number" && isFinite(value) ? value.toFixed(digits) : "–";

/**
 * Lists the fleet for the overview.
 *
 * @param devices The devices, in fleet order.
 * @returns One entry per device.
 */
export function overviewEntries(devices: Iterable<AnySimDevice>): OverviewEntry[] {
  const entries: OverviewEntry[] = [];
  for (const device of devices) {
    const view = device.view();
    const states = (view.states ?? {}) as Record<string, unknown>;
    let main: Record<string, unknown> = {};
    let summary = "no power";
    if (device.powered) {
      if (device.kind === "plugs") {
        main = { on: states.on, powerW: states.powerW };
        summary = `${states.on ? "ON" : "OFF"} · ${number(states.powerW, 1)} W`;
      } else {
        main = {
          on: states.on,
          speed: states.speed,
          reason: states.reason,
          humidityPct: states.humidityPct,
        };
        summary = `${states.on ? "ON" : "OFF"} · speed ${states.speed} · ${states.reason} · ` +
          `${number(states.humidityPct, 1)} %RH`;
      }
    }
    entries.push({
      id: device.id,
      kind: device.kind,
      powered: device.powered,
      online: device.connected,
      main,
      summary,
      url: `/devices/${device.id}/`,
    });
  }
  return entries;
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Renders the overview page (refreshes itself every 5 s).
 *
 * @param entries The overview entries.
 * @returns A small self-contained HTML page.
 */
export function overviewHtml(entries: OverviewEntry[]): string {
  const rows = entries.map((entry) =>
    `<tr><td><a href="${escapeHtml(entry.url)}">${escapeHtml(entry.id)}</a></td>` +
    `<td>${entry.kind === "plugs" ? "plug" : "fan"}</td>` +
    `<td class="${entry.online ? "on" : "off"}">${
      entry.powered ? (entry.online ? "online" : "offline") : "no power"
    }</td><td>${escapeHtml(entry.summary)}</td></tr>`
  ).join("");
  return `<!doctype html><html lang="en"><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<meta http-equiv="refresh" content="5"><title>housegrid fleet</title>` +
    `<style>body{font:15px system-ui,sans-serif;margin:1.5em;color:#222}` +
    `table{border-collapse:collapse}td,th{padding:.35em .8em;border-bottom:1px solid #ddd;` +
    `text-align:left}.on{color:#187a2f}.off{color:#a33}</style>` +
    `<h1>housegrid fleet</h1><p>${entries.length} devices. Open a device to log in and ` +
    `control it.</p><table><tr><th>device</th><th>kind</th><th>MQTT</th><th>state</th></tr>` +
    `${rows}</table></html>`;
}
