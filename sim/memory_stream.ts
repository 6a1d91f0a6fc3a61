/**
 * A pair of connected in-memory byte streams: what one end writes, the other reads. The
 * simulator connects its devices to its own broker with them instead of TCP sockets (no
 * file descriptors, no accept backlog, no kernel round trip).
 *
 * They behave like a loopback TCP connection as MQTT libraries see it: bytes arrive in order
 * in a later turn of the event loop (`setImmediate`, as socket reads do: never inside the
 * writer's call, so neither side re-enters the other), the writes of one turn as one chunk.
 * A turn delivers for at most 5 ms, so timers get their turn between deliveries (at 2,000 plugs
 * delivering every ready stream in one turn gave an event-loop lag p50 of 0.4 to 0.7 s), and as
 * many streams as fit in that time: a fixed 64 streams a turn could not keep up with 10,000
 * plugs (a subscriber of all their snapshots waited seconds for its turn while memory grew). `end()` is a FIN (the peer reads to the
 * end, then both close); `destroy()` drops the connection: the peer still reads what was
 * already written, then sees the end and closes, as after a peer's `close()` on a socket.
 *
 * There is no flow control: a reader that stops reading lets the data pile up in memory. Both
 * ends live in one process that reads everything it is sent, so none is needed.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { setImmediate } from "node:timers";
import { Duplex } from "node:stream";

/** Above this much buffered output `write()` returns `false` (one tick's writes go at once). */
const WRITE_BUFFER_BYTES = 1 << 20;

/**
 * Streams with data waiting, first come first served, delivered at most this many per turn of
 * the event loop: a fleet's telemetry tick makes thousands of streams ready at once, and
 * delivering them all in one turn would hold timers (the clock, keepalives) back for the
 * whole time the broker takes to handle them.
 */
const TURN_BUDGET_MS = 5;
const ready: Array<{ deliver(): void }> = [];
let readyHead = 0;
let draining = false;

const drain = (): void => {
  const deadline = performance.now() + TURN_BUDGET_MS;
  do ready[readyHead++]!.deliver(); while (
    readyHead < ready.length && performance.now() < deadline
  );
  if (readyHead < ready.length) {
    // Under a steady load the queue may never empty: drop the delivered entries now and then.
    if (readyHead >= 1024) {
      ready.splice(0, readyHead);
      readyHead = 0;
    }
    setImmediate(drain);
    return;
  }
  ready.length = 0;
  readyHead = 0;
  draining = false;
};

const enqueue = (stream: { deliver(): void }): void => {
  ready.push(stream);
  if (draining) return;
  draining = true;
  setImmediate(drain);
};

class MemoryEnd extends Duplex {
  peer: MemoryEnd | null = null;
  #incoming: Buffer[] = [];
  #ended = false;
  #scheduled = false;

  constructor() {
    super({ allowHalfOpen: false, writableHighWaterMark: WRITE_BUFFER_BYTES });
  }

  override _read(): void {
    // Data is pushed as it arrives.
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    const peer = this.peer;
    if (peer !== null) peer.#receive([chunk]);
    done();
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, done: () => void): void {
    const peer = this.peer;
    if (peer !== null) peer.#receive(chunks.map((entry) => entry.chunk));
    done();
  }

  override _final(done: () => void): void {
    const peer = this.peer;
    if (peer !== null) peer.#receiveEnd();
    done();
  }

  override _destroy(error: Error | null, done: (error: Error | null) => void): void {
    const peer = this.peer;
    this.peer = null;
    if (peer !== null) {
      peer.peer = null;
      peer.#receiveEnd();
    }
    done(error);
  }

  #receive(chunks: Buffer[]): void {
    if (this.#ended) return;
    for (const chunk of chunks) this.#incoming.push(chunk);
    this.#schedule();
  }

  #receiveEnd(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    enqueue(this);
  }

  /** Hands what arrived to the reader (called by the turn's scheduler). */
  deliver(): void {
    this.#scheduled = false;
    if (this.destroyed) return;
    const incoming = this.#incoming;
    if (incoming.length > 0) {
      this.#incoming = [];
      this.push(incoming.length === 1 ? incoming[0] : Buffer.concat(incoming));
    }
    if (this.#ended) this.push(null);
  }
}

/**
 * Creates two connected in-memory streams.
 *
 * @returns The two ends; give one to each side.
 * @example
 * ```ts
 * import { memoryDuplexPair } from "./memory_stream.ts";
 * import assert from "node:assert/strict";
 * const [a, b] = memoryDuplexPair();
 * const received = new Promise((resolve) => b.once("data", (chunk) => resolve(String(chunk))));
 * a.write("hello ");
 * a.write("world");
 * assert.equal(await received, "hello world"); // one tick's writes arrive as one chunk
 * const closed = new Promise((resolve) => b.once("close", resolve));
 * a.destroy();
 * await closed; // the peer closes too
 * ```
 */
export function memoryDuplexPair(): [Duplex, Duplex] {
  const a = new MemoryEnd();
  const b = new MemoryEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
