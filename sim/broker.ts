/**
 * An in-process MQTT broker for the simulator (aedes over `node:net`), with optional
 * per-client credentials and a topic ACL.
 *
 * Listening: on `host` (default `127.0.0.1`) and `port` (default 1883; 0 picks a free port).
 * When the port is taken and `fallbackToFreePort` is set, a free port is used instead.
 * `restart()` drops every connection and comes back on the same port with empty state
 * (like Mosquitto with persistence off): clients reconnect and republish what they retain.
 *
 * In-process clients: `openStream()` connects without a socket (an in-memory byte stream
 * handed to aedes like an accepted TCP connection: same login, ACL, wills, client count,
 * restart). The simulator's own devices use it, so thousands of them cost no file
 * descriptors and do not queue in the listener's accept backlog.
 *
 * Scale (see bench/SIM_RESULTS.md): aedes runs with `concurrency: 0` (its default 100 queues
 * messages in mqemitter, which releases them recursively and overflows the stack under
 * load, mcollina/mqemitter#204), and retained messages are indexed by their first two topic
 * levels ({@linkcode indexRetained}) instead of scanned at every SUBSCRIBE, and QoS 1 messages
 * skip the offline-queue lookup while no client has a persistent session
 * ({@linkcode skipOfflineLookups}).
 *
 * Security (only when `auth` is passed):
 * - Every client must log in with a known username and password. Passwords are kept only as
 *   salted PBKDF2-SHA256 hashes ({@linkcode hashPassword}) and checked in constant time; an
 *   unknown username costs the same work as a wrong password.
 * - A `device` account (`kind`, `id`) may publish only under its own base
 *   `<prefix><kind>/<id>/...` and its own discovery `homeassistant/<component>/<id>/<object>/config`
 *   (so it cannot overwrite another device's discovery), and subscribe only
 *   inside its own base and its simulator knobs `<prefix>sim/<id>/...`.
 * - A `controller` account may publish commands to any device (`<prefix><kind>/<id>/commands/...`)
 *   and simulator knobs (`<prefix>sim/...`), and subscribe to anything.
 * - Everything else is refused: a refused publish is dropped (and, as aedes does, the client is
 *   disconnected), a refused subscription is answered with a failure code. Wills are checked
 *   like publishes when they are sent.
 * - `deno task sim --secure` makes a `controller` account and one device account per device
 *   (username = device id), with fresh random passwords at every start, written to
 *   `<data>/credentials.json` (mode 0600); devices and the knob listener log in with them.
 * - Limits: plain MQTT over TCP sends passwords in clear, so keep the broker on 127.0.0.1 (the
 *   default) or put TLS in front of it. Discovery is keyed by id only, so a plug and a fan must
 *   not share an id.
 *
 * @module
 */

import { Aedes, type AedesOptions, type AuthenticateError, type Client } from "aedes";
import { pbkdf2, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:net";
import { Buffer } from "node:buffer";
import process from "node:process";
import type { Duplex } from "node:stream";
import type { DeviceKind } from "../lib/topics.ts";
import { indexRetained, type RetainedPersistence } from "./broker_retained.ts";
import { type SessionPersistence, skipOfflineLookups } from "./broker_sessions.ts";
import { memoryDuplexPair } from "./memory_stream.ts";

export type { DeviceKind };

/** A device's login: it may only use its own topics. */
export interface DeviceAccount {
  /** Marks a device account. */
  role: "device";
  /** Login name. */
  username: string;
  /** Plain password; hashed at start and then forgotten. Give this or `passwordHash`. */
  password?: string;
  /** A hash from {@linkcode hashPassword}. */
  passwordHash?: string;
  /** The device's kind, first level of its base. */
  kind: DeviceKind;
  /** The device's id, second level of its base. */
  id: string;
}

/** A controller's login (home automation, CLI, web page): commands any device. */
export interface ControllerAccount {
  /** Marks a controller account. */
  role: "controller";
  /** Login name. */
  username: string;
  /** Plain password; hashed at start and then forgotten. Give this or `passwordHash`. */
  password?: string;
  /** A hash from {@linkcode hashPassword}. */
  passwordHash?: string;
}

/** One login the broker accepts. */
export type BrokerAccount = DeviceAccount | ControllerAccount;

/** Turns on authentication and the ACL. */
export interface BrokerAuth {
  /** The accepted logins; usernames must be unique. */
  accounts: BrokerAccount[];
  /** Topic prefix, empty or ending with `/` (default empty). */
  prefix?: string;
  /** PBKDF2 iterations for plain passwords (default 20 000: a local simulator, fast logins). */
  iterations?: number;
}

/** Options of {@linkcode startBroker}. */
export interface BrokerOptions {
  /** Address to listen on (default `127.0.0.1`). */
  host?: string;
  /** Port to listen on (default 1883; 0 picks a free one). */
  port?: number;
  /** When the port is taken, listen on a free one instead of failing. */
  fallbackToFreePort?: boolean;
  /** Credentials and ACL; without it anyone may connect and use any topic. */
  auth?: BrokerAuth;
}

/** A message as the broker routed it, see {@linkcode BrokerHandle.onPublish}. */
export interface BrokerMessage {
  /** Full topic. */
  topic: string;
  /** Payload bytes. */
  payload: Uint8Array;
  /** Whether the publisher asked the broker to retain it. */
  retain: boolean;
  /** The publishing client's id (for a will, the departed client's); `null` from the broker. */
  clientId: string | null;
}

/** A running broker. */
export interface BrokerHandle {
  /** `mqtt://host:port` to give to clients. */
  readonly url: string;
  /** The port actually listened on. */
  readonly port: number;
  /**
   * Watches every routed message (not `$SYS`), across restarts; for traffic views and tests.
   * Returns a function that stops watching.
   */
  onPublish(listener: (message: BrokerMessage) => void): () => void;
  /** Counts connected clients (TCP and in-process). */
  clientCount(): number;
  /**
   * Opens an in-process connection: a byte stream to speak MQTT on, as over a TCP socket to
   * {@linkcode url} (same login, ACL, last will). `stop()` and `restart()` close it (the
   * stream ends and closes). While the broker is stopped (or restarting), the stream fails at
   * once with an `ECONNREFUSED` error, then closes, like a refused TCP connection, so a
   * client such as mqtt.js retries later.
   */
  openStream(): Duplex;
  /** Closes every connection and the listener (idempotent). */
  stop(): Promise<void>;
  /** Drops every connection and listens again on the same port with empty state. */
  restart(): Promise<void>;
}

const HASH_SCHEME = "pbkdf2-sha256";
const HASH_BYTES = 32;

const derive = (password: string, salt: Buffer, iterations: number): Promise<Buffer> =>
  new Promise((resolve, reject) =>
    pbkdf2(password, salt, iterations, HASH_BYTES, "sha256", (error, key) => {
      if (error) reject(error);
      else resolve(key);
    })
  );

/**
 * Hashes a password for {@linkcode BrokerAccount.passwordHash}: PBKDF2-SHA256, 16-byte random
 * salt, encoded as `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>`.
 *
 * @param password The plain password.
 * @param iterations PBKDF2 iterations (default 20 000).
 * @returns The encoded hash.
 * @example
 * ```ts
 * import { hashPassword, verifyPassword } from "./broker.ts";
 * import assert from "node:assert/strict";
 * const hash = await hashPassword("s3cret", 1000);
 * assert.equal(await verifyPassword("s3cret", hash), true);
 * assert.equal(await verifyPassword("guess", hash), false);
 * ```
 */
export async function hashPassword(password: string, iterations = 20_000): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, iterations);
  return [HASH_SCHEME, iterations, salt.toString("base64"), key.toString("base64")].join("$");
}

/**
 * Checks a password against a hash from {@linkcode hashPassword}, comparing in constant time.
 *
 * @param password The candidate password.
 * @param encoded The stored hash.
 * @returns `true` when they match; `false` also for a malformed hash.
 * @example
 * ```ts
 * import { verifyPassword } from "./broker.ts";
 * import assert from "node:assert/strict";
 * assert.equal(await verifyPassword("x", "not a hash"), false);
 * ```
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parts = encoded.split("$");
  const iterations = Number(parts[1]);
  if (parts.length !== 4 || parts[0] !== HASH_SCHEME || !(iterations >= 1)) return false;
  const expected = Buffer.from(parts[3]!, "base64");
  if (expected.length !== HASH_BYTES) return false;
  const actual = await derive(password, Buffer.from(parts[2]!, "base64"), iterations);
  return timingSafeEqual(actual, expected);
}

const levelsMatchPrefix = (filter: string, prefixLevels: string[]): boolean => {
  const levels = filter.split("/");
  for (let i = 0; i < prefixLevels.length; i++) {
    const level = levels[i];
    if (level === undefined) return false;
    // A `#` here would reach above the allowed subtree; `+` would reach sideways.
    if (level !== prefixLevels[i]) return false;
  }
  return true;
};

/**
 * Tells whether an account may publish on a topic (see the module doc for the rules).
 *
 * @param account The logged-in account.
 * @param topic The topic of the publish (or will).
 * @param prefix Topic prefix, empty or ending with `/`.
 * @returns `true` when allowed.
 * @example
 * ```ts
 * import { canPublish } from "./broker.ts";
 * import assert from "node:assert/strict";
 * const plug = { role: "device", username: "p1", kind: "plugs", id: "p1" } as const;
 * assert.equal(canPublish(plug, "plugs/p1/states/power", ""), true);
 * assert.equal(canPublish(plug, "plugs/p2/commands/power", ""), false);
 * assert.equal(canPublish(plug, "homeassistant/switch/p1/power/config", ""), true);
 * assert.equal(canPublish(plug, "homeassistant/switch/p2/power/config", ""), false);
 * ```
 */
export function canPublish(account: BrokerAccount, topic: string, prefix: string): boolean {
  if (topic.includes("+") || topic.includes("#")) return false;
  if (account.role === "device") {
    const base = prefix + account.kind + "/" + account.id + "/";
    if (topic.startsWith(base)) return true;
    // Discovery only for itself: homeassistant/<component>/<own id>/<object>/config.
    const levels = topic.split("/");
    return levels.length === 5 && levels[0] === "homeassistant" && levels[2] === account.id;
  }
  if (topic.startsWith(prefix + "sim/")) return true;
  if (!topic.startsWith(prefix)) return false;
  const levels = topic.slice(prefix.length).split("/");
  return (levels[0] === "plugs" || levels[0] === "fans") && levels.length >= 4 &&
    levels[1] !== "" && levels[2] === "commands" && levels[3] !== "";
}

/**
 * Tells whether an account may subscribe to a filter (see the module doc for the rules).
 *
 * @param account The logged-in account.
 * @param filter The topic filter, wildcards allowed.
 * @param prefix Topic prefix, empty or ending with `/`.
 * @returns `true` when allowed.
 * @example
 * ```ts
 * import { canSubscribe } from "./broker.ts";
 * import assert from "node:assert/strict";
 * const fan = { role: "device", username: "f1", kind: "fans", id: "f1" } as const;
 * assert.equal(canSubscribe(fan, "fans/f1/commands/#", ""), true);
 * assert.equal(canSubscribe(fan, "sim/f1/#", ""), true);
 * assert.equal(canSubscribe(fan, "fans/+/commands/#", ""), false);
 * ```
 */
export function canSubscribe(account: BrokerAccount, filter: string, prefix: string): boolean {
  if (account.role === "controller") return true;
  const prefixLevels = prefix === "" ? [] : prefix.slice(0, -1).split("/");
  return levelsMatchPrefix(filter, [...prefixLevels, account.kind, account.id]) ||
    levelsMatchPrefix(filter, [...prefixLevels, "sim", account.id]);
}

interface StoredAccount {
  account: BrokerAccount;
  hash: string;
}

const buildAuthOptions = async (auth: BrokerAuth): Promise<Partial<AedesOptions>> => {
  const prefix = auth.prefix ?? "";
  const iterations = auth.iterations ?? 20_000;
  const byName = new Map<string, StoredAccount>();
  for (const account of auth.accounts) {
    if (byName.has(account.username)) {
      throw new Error(`duplicate broker username: ${account.username}`);
    }
    const hash = account.passwordHash ??
      await hashPassword(account.password ?? "", iterations);
    // Keep the account without its plain password.
    const { password: _password, ...rest } = account;
    byName.set(account.username, { account: rest as BrokerAccount, hash });
  }
  // Unknown usernames are checked against this, so they cost the same as a wrong password.
  const decoyHash = await hashPassword(randomBytes(16).toString("hex"), iterations);
  const accountOf = new WeakMap<Client, BrokerAccount>();
  const refusal = (): AuthenticateError =>
    Object.assign(new Error("bad username or password"), { returnCode: 4 }) as AuthenticateError;
  return {
    authenticate: (client, username, password, done) => {
      const stored = username === undefined ? undefined : byName.get(username);
      verifyPassword(password?.toString("utf8") ?? "", stored?.hash ?? decoyHash).then(
        (match) => {
          if (match && stored !== undefined) {
            accountOf.set(client, stored.account);
            done(null, true);
          } else {
            done(refusal(), false);
          }
        },
        () => done(refusal(), false),
      );
    },
    authorizePublish: (client, packet, callback) => {
      const account = client === null ? undefined : accountOf.get(client);
      if (account !== undefined && canPublish(account, packet.topic, prefix)) callback(null);
      else callback(new Error(`publish to ${packet.topic} not allowed`));
    },
    authorizeSubscribe: (client, subscription, callback) => {
      const account = accountOf.get(client);
      if (account !== undefined && canSubscribe(account, subscription.topic, prefix)) {
        callback(null, subscription);
      } else {
        // A null subscription makes aedes answer with a failure code instead of disconnecting.
        callback(null, null);
      }
    },
  };
};

/**
 * aedes routes a retained message one microtask late (after storing it) and drops a
 * message routed after a later one of the same client (its duplicate check): a device's
 * retained QoS 0 state followed at once by a plain message (an `errors` answer) would be
 * lost for every subscriber. Routing plain messages the same microtask late keeps the order.
 */
const keepPublishOrder = (instance: Aedes): void => {
  const mq = (instance as unknown as {
    mq: { emit(packet: { retain?: boolean }, done?: () => void): void };
  }).mq;
  const emit = mq.emit.bind(mq);
  mq.emit = (packet, done) => {
    if (packet.retain === true) emit(packet, done);
    else queueMicrotask(() => emit(packet, done));
  };
};

const listen = (server: Server, host: string, port: number): Promise<number> =>
  new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      server.off("listening", onListening);
      reject(error);
    };
    const onListening = (): void => {
      server.off("error", onError);
      const address = server.address();
      resolve(typeof address === "object" && address !== null ? address.port : port);
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen({ host, port });
  });

const isAddressInUse = (error: unknown): boolean =>
  (error as { code?: unknown } | null)?.code === "EADDRINUSE";

const urlHost = (host: string): string => {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
};

/**
 * Starts an in-process MQTT broker.
 *
 * @param options Address, port policy and optional security.
 * @returns A handle with the URL, port, client count, `stop()` and `restart()`.
 * @example
 * ```ts
 * import { startBroker } from "./broker.ts";
 * import assert from "node:assert/strict";
 * const broker = await startBroker({ port: 0 });
 * assert.match(broker.url, /^mqtt:\/\/127\.0\.0\.1:\d+$/);
 * assert.equal(broker.clientCount(), 0);
 * await broker.stop();
 * ```
 */
export async function startBroker(options: BrokerOptions = {}): Promise<BrokerHandle> {
  const host = options.host ?? "127.0.0.1";
  const authOptions = options.auth === undefined ? {} : await buildAuthOptions(options.auth);
  let aedes: Aedes;
  let server: Server;
  let port = options.port ?? 1883;
  let running = false;
  // TCP sockets and the broker ends of in-process streams.
  const connections = new Set<Duplex>();
  const track = (connection: Duplex): void => {
    connections.add(connection);
    connection.once("close", () => connections.delete(connection));
  };
  const watchers = new Set<(message: BrokerMessage) => void>();

  const open = async (wanted: number, allowFallback: boolean): Promise<void> => {
    const instance = await Aedes.createBroker({ ...authOptions, concurrency: 0 });
    keepPublishOrder(instance);
    const persistence = (instance as unknown as {
      persistence: RetainedPersistence & SessionPersistence;
    }).persistence;
    indexRetained(persistence);
    skipOfflineLookups(persistence);
    instance.on("publish", (packet, client) => {
      if (watchers.size === 0 || packet.topic.startsWith("$SYS/")) return;
      const message: BrokerMessage = {
        topic: packet.topic,
        payload: typeof packet.payload === "string"
          ? new TextEncoder().encode(packet.payload)
          : new Uint8Array(packet.payload),
        retain: packet.retain,
        clientId: client === null ? null : client.id,
      };
      for (const watcher of watchers) watcher(message);
    });
    const listener = createServer((socket) => {
      // Without it, each small message after the first in a burst waits for the client's
      // delayed ACK (~40 ms on Linux): a command's answer would take 45 ms instead of 5.
      socket.setNoDelay(true);
      track(socket);
      instance.handle(socket);
    });
    try {
      try {
        port = await listen(listener, host, wanted);
      } catch (error) {
        if (!allowFallback || !isAddressInUse(error)) throw error;
        port = await listen(listener, host, 0);
      }
    } catch (error) {
      await new Promise<void>((resolve) => instance.close(() => resolve()));
      throw error;
    }
    aedes = instance;
    server = listener;
    running = true;
  };

  const close = async (): Promise<void> => {
    if (!running) return;
    running = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    for (const connection of connections) connection.destroy();
    connections.clear();
    await closed;
  };

  await open(port, options.fallbackToFreePort === true);
  return {
    get url(): string {
      return `mqtt://${urlHost(host)}:${port}`;
    },
    get port(): number {
      return port;
    },
    onPublish: (listener: (message: BrokerMessage) => void): () => void => {
      watchers.add(listener);
      return () => watchers.delete(listener);
    },
    clientCount: () => (running ? aedes.connectedClients : 0),
    openStream: (): Duplex => {
      const [clientEnd, brokerEnd] = memoryDuplexPair();
      if (!running) {
        const refused = Object.assign(
          new Error(`connect ECONNREFUSED: the in-process broker on port ${port} is stopped`),
          { code: "ECONNREFUSED" },
        );
        // Later, so the caller can listen for the error first, as with a socket.
        process.nextTick(() => clientEnd.destroy(refused));
        return clientEnd;
      }
      track(brokerEnd);
      aedes.handle(brokerEnd);
      return clientEnd;
    },
    stop: close,
    restart: async (): Promise<void> => {
      await close();
      await open(port, false);
    },
  };
}
