/**
 * The simulator's web server until the device pages land: a fleet overview page and its
 * JSON endpoint.
 *
 * @module
 */

import type { Fleet } from "./fleet.ts";

/** A running web server. */
export interface WebServer {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** Stops the server. */
  shutdown(): Promise<void>;
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Serves the fleet overview (`/`) and `/api/devices`.
 *
 * @param fleet The running fleet.
 * @param host Address to listen on.
 * @param port Port (0 = any free port).
 * @returns The server.
 */
export function serveStatus(fleet: Fleet, host: string, port: number): WebServer {
  const server = Deno.serve({ hostname: host, port, onListen: () => {} }, (request) => {
    const url = new URL(request.url);
    const views = [...fleet.devices.values()].map((device) => device.view());
    if (url.pathname === "/api/devices") return Response.json(views);
    if (url.pathname !== "/") return new Response("not found", { status: 404 });
    const rows = views.map((view) => {
      const states = (view.states ?? {}) as Record<string, unknown>;
      const summary = view.kind === "plugs"
        ? `${states.on ? "ON" : "OFF"} · ${Number(states.powerW ?? 0).toFixed(1)} W`
        : `${states.on ? "ON" : "OFF"} · speed ${states.speed} · ${states.reason} · ${
          states.humidityPct ?? "–"
        } %RH`;
      return `<tr><td>${escapeHtml(String(view.id))}</td><td>${view.kind}</td>` +
        `<td>${view.connected ? "online" : "offline"}</td><td>${escapeHtml(summary)}</td></tr>`;
    }).join("");
    const html = `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="2">` +
      `<title>housegrid fleet</title><h1>housegrid fleet</h1>` +
      `<table border="1" cellpadding="4"><tr><th>id</th><th>kind</th><th>MQTT</th><th>state</th></tr>${rows}</table>`;
    return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
  });
  const address = server.addr as Deno.NetAddr;
  return {
    url: `http://${address.hostname}:${address.port}`,
    shutdown: () => server.shutdown(),
  };
}
