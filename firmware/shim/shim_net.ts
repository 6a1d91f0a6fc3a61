/**
 * Espruino's `require("net")` for the shim, over real TCP (`node:net`): `net.connect(
 * options, callback)` gives a socket with `write(binaryString)`, `end()`, and the events
 * `data` (a binary string), `error` and `close`, as on the chip.
 *
 * Around it, the simulator can break the network: {@linkcode ShimNet.setOnline} models
 * Wi-Fi going away (live connections close, new ones fail), {@linkcode ShimNet.dropAll}
 * a broken connection, and {@linkcode ShimNet.killAll} a power cut (connections die and
 * the firmware hears nothing: it is gone). A traffic tap sees every byte both ways.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createConnection, type Socket } from "node:net";
import { toBinaryString, toBytes } from "./shim_bytes.ts";
import { ShimEmitter } from "./shim_events.ts";

/** What the traffic tap sees. */
export type ShimTraffic =
  | { socket: number; type: "open" | "close" }
  | { socket: number; type: "out" | "in"; bytes: Uint8Array };

/** How the net module runs callbacks and reports traffic. */
export interface ShimNetOptions {
  /** Runs one callback as the shim runs every callback (skipped once the shim is off). */
  invoke(run: () => void): void;
  /** Runs a callback soon, on the virtual clock. */
  defer(run: () => void): void;
  /** Sees every byte sent and received. */
  onTraffic?: (traffic: ShimTraffic) => void;
  /**
   * Runs what a delivery set going at once (the bundle's zero-delay timeouts), so an
   * {@linkcode ShimNet.inject} returns after the bundle has answered.
   */
  settle?: () => void;
}

/** Espruino's error event argument. */
export interface ShimNetError {
  /** A negative number, or Node's error code text. */
  code: number | string;
  /** What went wrong. */
  message: string;
}

/** A TCP socket as a bundle sees it. */
export class ShimSocket extends ShimEmitter {
  /** Number of this connection (for the traffic tap). */
  readonly number: number;
  #node: Socket | null;
  #write: (bytes: Uint8Array) => void;

  /**
   * Wraps a Node socket.
   *
   * @param number Connection number.
   * @param node The Node socket, or `null` for a connection that failed at once.
   * @param write Called with each write's bytes (the tap, and the net's `drain`), before
   *   they go out.
   */
  constructor(number: number, node: Socket | null, write: (bytes: Uint8Array) => void) {
    super();
    this.number = number;
    this.#node = node;
    this.#write = write;
  }

  /**
   * Sends bytes.
   *
   * @param data A binary string (or bytes).
   * @returns `true`; `false` once closed.
   */
  write(data: unknown): boolean {
    const node = this.#node;
    if (node === null || node.destroyed) return false;
    const bytes = toBytes(data);
    this.#write(bytes);
    node.write(Buffer.from(bytes));
    return true;
  }

  /** Closes the connection (a `close` event follows). */
  end(): void {
    this.#node?.end();
  }

  /** Closes the connection at once. */
  destroy(): void {
    this.#node?.destroy();
  }
}

/**
 * The net module and the simulator's handles on it.
 *
 * @example
 * ```ts ignore
 * const net = new ShimNet({ invoke: (run) => run(), defer: (run) => setTimeout(run, 0) });
 * const socket = net.module().connect({ host: "127.0.0.1", port: 1883 }, () => {
 *   socket.write("\x10...");
 * });
 * ```
 */
export class ShimNet {
  #options: ShimNetOptions;
  #online = true;
  #next = 1;
  #live: Record<number, { node: Socket | null; socket: ShimSocket }> = {};

  /**
   * Makes the net module.
   *
   * @param options How callbacks run and where traffic goes.
   */
  constructor(options: ShimNetOptions) {
    this.#options = options;
  }

  /**
   * The `net` module a bundle sees.
   *
   * @returns `{ connect }`.
   */
  module(): {
    connect(
      options: { host?: string; port?: number },
      callback?: (socket: ShimSocket) => void,
    ): ShimSocket;
  } {
    return { connect: (options, callback) => this.#connect(options, callback) };
  }

  /**
   * How many connections are open (or opening).
   *
   * @returns The count.
   */
  openCount(): number {
    return Object.keys(this.#live).length;
  }

  /**
   * Whether the network is reachable.
   *
   * @returns `false` while Wi-Fi is down.
   */
  isOnline(): boolean {
    return this.#online;
  }

  /**
   * Brings the network up or down; going down breaks every connection (the firmware
   * hears `close`), and connecting fails until it is up again.
   *
   * @param up Whether the network is reachable.
   */
  setOnline(up: boolean): void {
    this.#online = up;
    if (!up) this.dropAll();
  }

  /** Breaks every connection; the firmware hears `close` (the broker may send a will). */
  dropAll(): void {
    for (const entry of Object.values(this.#live)) entry.node?.destroy();
  }

  /** Power off: every connection dies and the firmware hears nothing. */
  killAll(): void {
    for (const key of Object.keys(this.#live)) {
      const entry = this.#live[Number(key)];
      if (entry === undefined) continue;
      entry.node?.removeAllListeners();
      entry.node?.on("error", () => {});
      entry.node?.destroy();
      entry.socket.removeAllListeners();
      this.#closed(Number(key));
    }
  }

  /**
   * Delivers bytes on the newest open connection as if they had arrived from the peer
   * (not through the traffic tap).
   *
   * @param bytes What arrives.
   * @returns `false` when no connection is open.
   */
  inject(bytes: Uint8Array): boolean {
    const numbers = Object.keys(this.#live).map(Number).sort((a, b) => b - a);
    const entry = numbers.length === 0 ? undefined : this.#live[numbers[0] as number];
    if (entry === undefined || entry.node === null || entry.node.connecting) return false;
    const socket = entry.socket;
    this.#options.invoke(() => socket.emit("data", toBinaryString(bytes)));
    this.#options.settle?.();
    return true;
  }

  #connect(
    options: { host?: string; port?: number },
    callback?: (socket: ShimSocket) => void,
  ): ShimSocket {
    const number = this.#next++;
    const tap = this.#options.onTraffic;
    const out = (bytes: Uint8Array): void => tap?.({ socket: number, type: "out", bytes });
    if (!this.#online) {
      const failed = new ShimSocket(number, null, out);
      this.#options.defer(() => {
        failed.emit("error", { code: -1, message: "no network (Wi-Fi is down)" });
        failed.emit("close");
      });
      return failed;
    }
    const node = createConnection({ host: options.host ?? "127.0.0.1", port: options.port ?? 80 });
    node.setNoDelay(true);
    const invoke = this.#options.invoke;
    // Espruino says `drain` (passing the socket) once its send buffer is empty, in a pass of
    // its idle loop after the write; here the network takes every write at once, so the
    // next task of the virtual clock says it, once for the writes of one task.
    let draining = false;
    const wrote = (): void => {
      if (draining) return;
      draining = true;
      this.#options.defer(() => {
        draining = false;
        // Nor does Espruino say it once the socket is closing.
        if (!node.destroyed && !node.writableEnded) socket.emit("drain", socket);
      });
    };
    const socket = new ShimSocket(number, node, (bytes) => {
      out(bytes);
      wrote();
    });
    this.#live[number] = { node, socket };
    tap?.({ socket: number, type: "open" });
    node.on("connect", () => {
      // Espruino passes the socket, and says `drain` when there is nothing to send yet.
      if (callback !== undefined) invoke(() => callback(socket));
      wrote();
    });
    node.on("data", (chunk: Buffer) => {
      const bytes = new Uint8Array(chunk);
      tap?.({ socket: number, type: "in", bytes });
      invoke(() => socket.emit("data", toBinaryString(bytes)));
    });
    node.on("error", (error: Error & { code?: string }) => {
      const detail: ShimNetError = { code: error.code ?? -1, message: error.message };
      invoke(() => socket.emit("error", detail));
    });
    node.on("close", () => {
      this.#closed(number);
      invoke(() => socket.emit("close"));
    });
    return socket;
  }

  #closed(number: number): void {
    if (this.#live[number] === undefined) return;
    delete this.#live[number];
    this.#options.onTraffic?.({ socket: number, type: "close" });
  }
}
