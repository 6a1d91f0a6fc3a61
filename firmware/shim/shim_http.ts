/**
 * Espruino's `require("http")` server for the shim, backed by `node:http`:
 * `createServer((req, res) => ...)` then `.listen(port)`. As on the chip, `req` has
 * `method`, `url`, `headers` (names as the client sent them), `data` events with binary
 * strings, then `end` and `close`; `res` has `writeHead`, `setHeader`, `write` and `end`,
 * and emits `drain` once what was written has gone out (to stream the next chunk).
 *
 * The device's port (80) is mapped to a real one (a free one by default); the URLs are
 * in {@linkcode ShimHttp.servers}. One convenience the chip lacks: a request whose
 * handler throws gets a 500 at once instead of hanging until the client gives up.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { toBinaryString, toBytes } from "./shim_bytes.ts";
import { ShimEmitter } from "./shim_events.ts";

/** How the http module runs callbacks and where it listens. */
export interface ShimHttpOptions {
  /** Runs one callback as the shim runs every callback; `false` when it threw or the shim is off. */
  invoke(run: () => void): boolean;
  /** Address to listen on (default `127.0.0.1`). */
  host?: string;
  /** The real port for a device port (default: a free one). */
  portFor?: (devicePort: number) => number;
}

/** A request as a bundle sees it. */
export class ShimRequest extends ShimEmitter {
  /** `GET`, `POST`, ... */
  readonly method: string;
  /** Path and query. */
  readonly url: string;
  /** Headers, names as sent. */
  readonly headers: Record<string, string>;
  #unread = "";

  /**
   * Wraps a Node request.
   *
   * @param node The Node request.
   */
  constructor(node: IncomingMessage) {
    super();
    this.method = node.method ?? "GET";
    this.url = node.url ?? "/";
    const headers: Record<string, string> = {};
    for (let n = 0; n + 1 < node.rawHeaders.length; n += 2) {
      headers[node.rawHeaders[n] as string] = node.rawHeaders[n + 1] as string;
    }
    this.headers = headers;
  }

  /**
   * Body bytes received but not taken by a `data` listener.
   *
   * @returns Their count.
   */
  available(): number {
    return this.#unread.length;
  }

  /**
   * Takes the body bytes received but not taken by a `data` listener.
   *
   * @returns A binary string.
   */
  read(): string {
    const text = this.#unread;
    this.#unread = "";
    return text;
  }

  /** Delivers body bytes (shim side). */
  deliver(text: string): void {
    if (!this.emit("data", text)) this.#unread += text;
  }
}

/** A response as a bundle sees it; `drain` follows once everything written is sent. */
export class ShimResponse extends ShimEmitter {
  #node: ServerResponse;
  #invoke: (run: () => void) => boolean;
  #unsent = 0;

  /**
   * Wraps a Node response.
   *
   * @param node The Node response.
   * @param invoke Runs a callback as the shim runs every callback.
   */
  constructor(node: ServerResponse, invoke: (run: () => void) => boolean) {
    super();
    this.#node = node;
    this.#invoke = invoke;
  }

  /**
   * Sends the status line and headers.
   *
   * @param status HTTP status.
   * @param headers Header names and values.
   */
  writeHead(status: number, headers?: Record<string, unknown>): void {
    if (this.#node.headersSent) return;
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers ?? {})) out[name] = String(value);
    this.#node.writeHead(status, out);
    // Espruino queues the head as it queues a body, and says `drain` once it is sent.
    this.#node.flushHeaders();
    this.#unsent++;
    setTimeout(() => this.#sent(), 0);
  }

  #sent(): void {
    this.#unsent--;
    if (this.#unsent === 0 && !this.#node.writableEnded) this.#invoke(() => this.emit("drain"));
  }

  /**
   * Sets a header before the head goes out.
   *
   * @param name Header name.
   * @param value Its value.
   */
  setHeader(name: string, value: unknown): void {
    if (!this.#node.headersSent) this.#node.setHeader(name, String(value));
  }

  /**
   * Sends body bytes (a 200 head first if none went out).
   *
   * @param data A binary string or bytes.
   * @returns `true`.
   */
  write(data: unknown): boolean {
    if (!this.#node.headersSent) this.writeHead(200);
    if (data === undefined || data === null || this.#node.writableEnded) return true;
    this.#unsent++;
    this.#node.write(Buffer.from(toBytes(data)), () => this.#sent());
    return true;
  }

  /**
   * Ends the response.
   *
   * @param data Last body bytes.
   */
  end(data?: unknown): void {
    if (data !== undefined && data !== null) this.write(data);
    if (!this.#node.headersSent) this.writeHead(200);
    this.#node.end();
  }
}

/** A server as a bundle sees it. */
export class ShimHttpServer {
  #http: ShimHttp;
  #handler: (req: ShimRequest, res: ShimResponse) => void;
  #node: Server | null = null;

  /**
   * Makes a server (nothing listens until `listen`).
   *
   * @param http The module.
   * @param handler The bundle's request handler.
   */
  constructor(http: ShimHttp, handler: (req: ShimRequest, res: ShimResponse) => void) {
    this.#http = http;
    this.#handler = handler;
  }

  /**
   * Listens on a device port (mapped to a real one).
   *
   * @param devicePort The port the firmware asks for (80).
   * @returns This server.
   */
  listen(devicePort?: number): this {
    if (this.#node !== null) return this;
    this.#node = this.#http.serve(devicePort ?? 80, this.#handler);
    return this;
  }

  /** Stops listening. */
  close(): void {
    const node = this.#node;
    this.#node = null;
    if (node !== null) this.#http.unserve(node);
  }
}

/** A listening server. */
export interface ShimServerInfo {
  /** The port the firmware asked for. */
  devicePort: number;
  /** `http://host:port` once listening, else `null`. */
  url: string | null;
}

/**
 * The http module and the simulator's handles on it.
 *
 * @example
 * ```ts ignore
 * const http = new ShimHttp({ invoke: (run) => (run(), true) });
 * http.module().createServer((req, res) => res.end("hi")).listen(80);
 * await http.listening();
 * console.log(http.servers()[0]?.url);
 * ```
 */
export class ShimHttp {
  #options: ShimHttpOptions;
  #servers: Array<{ devicePort: number; node: Server; ready: Promise<void> }> = [];

  /**
   * Makes the module.
   *
   * @param options How callbacks run and where servers listen.
   */
  constructor(options: ShimHttpOptions) {
    this.#options = options;
  }

  /**
   * The `http` module a bundle sees.
   *
   * @returns `{ createServer }` (the client side is not provided).
   */
  module(): {
    createServer(handler: (req: ShimRequest, res: ShimResponse) => void): ShimHttpServer;
    request(): never;
    get(): never;
  } {
    const noClient = (): never => {
      throw new Error("the shim's http module has no client (request/get)");
    };
    return {
      createServer: (handler) => new ShimHttpServer(this, handler),
      request: noClient,
      get: noClient,
    };
  }

  /**
   * The servers and their URLs.
   *
   * @returns One entry per listening server.
   */
  servers(): ShimServerInfo[] {
    const host = this.#options.host ?? "127.0.0.1";
    return this.#servers.map((entry) => {
      const address = entry.node.address() as AddressInfo | null;
      return {
        devicePort: entry.devicePort,
        url: address === null ? null : "http://" + host + ":" + address.port,
      };
    });
  }

  /**
   * Waits until every server listens.
   *
   * @returns When they do.
   */
  async listening(): Promise<void> {
    await Promise.all(this.#servers.map((entry) => entry.ready));
  }

  /**
   * Closes every server and its connections (power off).
   *
   * @returns When they are closed.
   */
  async closeAll(): Promise<void> {
    const nodes = this.#servers.map((entry) => entry.node);
    await Promise.all(nodes.map((node) => this.unserve(node)));
  }

  /** Starts a Node server for a bundle's server (shim side). */
  serve(devicePort: number, handler: (req: ShimRequest, res: ShimResponse) => void): Server {
    const invoke = this.#options.invoke;
    const node = createServer((nodeReq, nodeRes) => {
      const req = new ShimRequest(nodeReq);
      const res = new ShimResponse(nodeRes, invoke);
      nodeReq.on("data", (chunk: Buffer) => {
        const text = toBinaryString(new Uint8Array(chunk));
        invoke(() => req.deliver(text));
      });
      nodeReq.on("end", () => {
        invoke(() => req.emit("end"));
        invoke(() => req.emit("close"));
      });
      nodeRes.on("close", () => invoke(() => res.emit("close")));
      if (!invoke(() => handler(req, res)) && !nodeRes.writableEnded) {
        if (!nodeRes.headersSent) nodeRes.writeHead(500, { "Content-Type": "text/plain" });
        nodeRes.end("the request handler failed (see the device log)");
      }
    });
    const port = this.#options.portFor?.(devicePort) ?? 0;
    const ready = new Promise<void>((resolve, reject) => {
      node.once("error", reject);
      node.listen(port, this.#options.host ?? "127.0.0.1", () => resolve());
    });
    // A failed listen is reported through listening(); keep it from being unhandled.
    ready.catch(() => {});
    this.#servers.push({ devicePort, node, ready });
    return node;
  }

  /** Stops a Node server (shim side). */
  unserve(node: Server): Promise<void> {
    this.#servers = this.#servers.filter((entry) => entry.node !== node);
    return new Promise((resolve) => {
      node.close(() => resolve());
      node.closeAllConnections();
    });
  }
}
