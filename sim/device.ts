/**
 * The runtime every simulated device shares: it runs a pure lib/ device behind the
 * ports of DESIGN.md on a virtual clock, carries out its effects (MQTT, storage,
 * outputs), and models what happens around it: Wi-Fi joining and dropping, reboots and
 * power cuts. `SimPlug` and `SimFan` add their hardware.
 *
 * @module
 */

import { type DeviceEffect, forEachStatePublish, rejectionIn } from "../lib/device_effects.ts";
import { discoveryMessages } from "../lib/discovery.ts";
import type { KeyValueStore, NetworkInfo } from "../lib/ports.ts";
import { availabilityTopic, baseTopic, type DeviceKind } from "../lib/topics.ts";
import type { TimerId, VirtualClock } from "./clock.ts";
import type { MqttLink, RecordedMessage } from "./mqtt_link.ts";
import { PowerKnobs } from "./power_knobs.ts";
import { SIM_SSID, SimWifi } from "./wifi.ts";

/** Firmware version the simulator announces. */
export const SIM_VERSION = "0.1.0-sim";

/** What every simulated device needs. */
export interface SimDeviceOptions {
  /** Device id. */
  id: string;
  /** Topic prefix, empty or ending with `/`. */
  prefix: string;
  /** The shared virtual clock. */
  clock: VirtualClock;
  /** Makes a new MQTT link (one per connection life: a drop ends a link). */
  link: () => MqttLink;
  /** The device's persistent storage (`flush`, when it has one, is awaited by `stop`). */
  store: KeyValueStore & { flush?: () => Promise<void> };
  /** Keep a trace of everything published (for differential tests). */
  trace?: boolean;
  /** Start unprovisioned (access-point mode) unless storage holds a network. */
  unprovisioned?: boolean;
}

/** A step of a pure device: the adapter's view. */
export interface DeviceStepResult<S> {
  /** New state. */
  state: S;
  /** Effects to carry out. */
  effects: DeviceEffect[];
}

/** The network events a pure device understands. */
export type LinkEvent =
  | { type: "connected"; nowMs: number }
  | { type: "disconnected"; nowMs: number }
  | { type: "message"; nowMs: number; topic: string; payload: Uint8Array; retained: boolean }
  | { type: "network"; nowMs: number; network: NetworkInfo }
  | { type: "tick"; nowMs: number };

const WIFI_STORE_KEY = "wifi";

/** The shared runtime; subclasses bind a pure device and its hardware. */
export abstract class SimDevice<S, X extends { type: string; nowMs: number } = never> {
  /** `plugs` or `fans`. */
  abstract readonly kind: DeviceKind;
  /** Device id. */
  readonly id: string;
  /** Topic prefix. */
  readonly prefix: string;
  /** The Wi-Fi model. */
  readonly wifi: SimWifi;
  /** Everything published while tracing, in order. */
  readonly trace: RecordedMessage[] | null;
  /** Whether the device has power (false during a power cut). */
  powered = false;
  /** How many times it booted. */
  boots = 0;
  /** Problems found in storage at the last boot. */
  storageProblems: string[] = [];

  protected readonly clock: VirtualClock;
  protected readonly store: KeyValueStore;
  #makeLink: () => MqttLink;
  #link: MqttLink | null = null;
  #connected = false;
  #state: S | null = null;
  #deadlineTimer: TimerId | null = null;
  #powerKnobs: PowerKnobs;
  readonly #flushStore: (() => Promise<void>) | undefined;
  #timers: TimerId[] = [];
  #listeners: Array<() => void> = [];

  constructor(options: SimDeviceOptions) {
    this.id = options.id;
    this.prefix = options.prefix;
    this.clock = options.clock;
    this.#powerKnobs = new PowerKnobs(options.clock, this);
    this.store = options.store;
    this.#flushStore = options.store.flush?.bind(options.store);
    this.#makeLink = options.link;
    this.trace = options.trace ? [] : null;
    const saved = readSavedNetwork(options.store);
    const network = saved ??
      (options.unprovisioned ? null : { ssid: SIM_SSID, password: "sim-password" });
    if (network !== null && saved === null) {
      options.store.write(WIFI_STORE_KEY, JSON.stringify(network));
    }
    this.wifi = new SimWifi({ deviceId: options.id, nowMs: options.clock.nowMs(), saved: network });
  }

  /** The device's base topic. */
  get base(): string {
    return baseTopic(this.prefix, this.kind, this.id);
  }

  /** Whether the MQTT session is up. */
  get connected(): boolean {
    return this.#connected;
  }

  /** The pure device's state (`null` while unpowered). */
  get state(): S | null {
    return this.#state;
  }

  /** Boots the pure device from storage; returns its first step. */
  protected abstract bootDevice(nowMs: number, network: NetworkInfo): DeviceStepResult<S> & {
    problems: string[];
  };
  /** Advances the pure device. */
  protected abstract stepDevice(state: S, event: LinkEvent | X): DeviceStepResult<S>;
  /** When the pure device next needs a tick. */
  protected abstract deadlineMs(state: S): number;
  /** Starts the hardware's own periodic work (sampling); returns its timers. */
  protected abstract startHardware(): TimerId[];
  /** Drives an output effect (relay, fan speed). */
  protected abstract driveOutput(effect: DeviceEffect): void;
  /** Handles a hardware knob; returns an error text or `null`. */
  abstract hardwareKnob(name: string, payload: string): string | null;
  /** The device's public states as JSON-ready data (for the web page). */
  abstract view(): Record<string, unknown>;

  /** Powers the device up: boot, hardware, Wi-Fi, then MQTT. */
  start(): void {
    if (this.powered) return;
    this.powered = true;
    this.boots++;
    const nowMs = this.clock.nowMs();
    const booted = this.bootDevice(nowMs, this.networkInfo());
    this.storageProblems = booted.problems;
    this.#state = booted.state;
    this.#carryOut(booted.effects);
    this.#timers = this.startHardware();
    this.#timers.push(this.clock.every(1000, () => this.#watchWifi()));
    this.#watchWifi();
    this.#schedule();
  }

  /** Cuts power: the connection dies (the broker sends the last will), nothing is saved. */
  powerOff(): void {
    if (!this.powered) return;
    this.powered = false;
    for (const timer of this.#timers) this.clock.clearTimer(timer);
    this.#timers = [];
    if (this.#deadlineTimer !== null) this.clock.clearTimer(this.#deadlineTimer);
    this.#deadlineTimer = null;
    this.#dropLink();
    this.#state = null;
    this.onPowerOff();
  }

  /** Hardware reaction to losing power (outputs fall to off). */
  protected abstract onPowerOff(): void;

  /** Hardware reaction to a clean shutdown, while still powered (save what a cut would lose). */
  protected onCleanStop(): void {}

  /** Shuts down cleanly: `offline` published, connection closed, no pending power-up. */
  async stop(): Promise<void> {
    this.#powerKnobs.cancel();
    if (this.powered) this.onCleanStop();
    const link = this.#link;
    this.#link = null;
    // The link is closed below (with `offline`), so powerOff must not drop it abruptly.
    this.#connected = false;
    this.powerOff();
    if (link !== null) await link.close();
    await this.#flushStore?.();
  }

  /**
   * Applies a simulator knob (DESIGN.md): `wifi`, `reboot`, `power_cut` here, hardware
   * knobs in the subclass.
   *
   * @returns An error text, or `null` when applied.
   */
  knob(name: string, payload: string): string | null {
    const word = payload.trim().toUpperCase();
    const power = this.#powerKnobs.apply(name, payload);
    if (power !== undefined) return power;
    if (name === "wifi") {
      if (word !== "UP" && word !== "DOWN") return "wifi must be UP or DOWN";
      this.wifi.setLink(word === "UP", this.clock.nowMs());
      this.#watchWifi();
      return null;
    }
    if (!this.powered) return "the device has no power";
    return this.hardwareKnob(name, payload);
  }

  /** Registers a listener called after every change (for live web pages). */
  onChange(listener: () => void): () => void {
    this.#listeners.push(listener);
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  /**
   * Feeds a command through the pure device as a non-retained `<base>/commands/<param>`
   * message (the web page's way in, so that page and controllers share one command path).
   *
   * @returns The device's rejection text (what it publishes on `<base>/errors`), or `null`.
   */
  command(param: string, payload: string): string | null {
    const state = this.#state;
    if (state === null) return "the device has no power";
    const event: LinkEvent = {
      type: "message",
      nowMs: this.clock.nowMs(),
      topic: `${this.base}/commands/${param}`,
      payload: new TextEncoder().encode(payload),
      retained: false,
    };
    // Connected, the device answers a refusal on `<base>/errors` itself, as it does a refused
    // MQTT command. Offline it publishes none: then it is first stepped as if connected, on a
    // copy (pure; that step's effects are dropped), to learn why.
    if (!this.#connected) {
      const probe = this.stepDevice(Object.assign({}, state, { connected: true }), event);
      const refusal = rejectionIn(this.base, probe.effects);
      if (refusal !== null) return refusal;
    }
    return rejectionIn(this.base, this.dispatch(event));
  }

  /** Feeds an event to the pure device and carries out its effects, which it returns. */
  protected dispatch(event: LinkEvent | X): DeviceEffect[] {
    if (this.#state === null) return [];
    const step = this.stepDevice(this.#state, event);
    this.#state = step.state;
    this.#carryOut(step.effects);
    this.#schedule();
    for (const listener of this.#listeners) listener();
    return step.effects;
  }

  /** Network facts as the device sees them. */
  protected networkInfo(): NetworkInfo {
    return {
      rssiDbm: this.wifi.rssiDbm,
      ssid: this.wifi.ssid,
      ip: this.wifi.ip,
      mac: this.wifi.mac,
    };
  }

  #carryOut(effects: DeviceEffect[]): void {
    for (const effect of effects) {
      switch (effect.type) {
        case "publish":
          this.#publish(effect.topic, effect.payload, effect.retain);
          break;
        case "states":
          forEachStatePublish(effect, (topic, payload) => this.#publish(topic, payload, true));
          break;
        case "subscribe":
          this.#link?.subscribe(effect.filter);
          break;
        case "discovery": {
          const messages = discoveryMessages(effect.options);
          if (messages.ok) {
            for (const message of messages.value) {
              this.#publish(message.topic, message.payload, message.retain);
            }
          }
          break;
        }
        case "save":
          this.store.write(effect.key, effect.value);
          break;
        default:
          this.driveOutput(effect);
      }
    }
  }

  #publish(topic: string, payload: string, retain: boolean): void {
    if (this.#link === null || !this.#connected) return;
    this.#link.publish(topic, payload, retain);
    this.trace?.push({ topic, payload, retain });
  }

  #schedule(): void {
    if (this.#state === null) return;
    if (this.#deadlineTimer !== null) this.clock.clearTimer(this.#deadlineTimer);
    const delay = Math.max(0, this.deadlineMs(this.#state) - this.clock.nowMs());
    this.#deadlineTimer = this.clock.setTimer(() => {
      this.#deadlineTimer = null;
      this.dispatch({ type: "tick", nowMs: this.clock.nowMs() });
    }, delay);
  }

  /** Follows the Wi-Fi model: open MQTT when it is up, drop it when it is not. */
  #watchWifi(): void {
    if (!this.powered) return;
    const nowMs = this.clock.nowMs();
    const state = this.wifi.advance(nowMs);
    if (state === "up" && this.#link === null) {
      this.dispatch({ type: "network", nowMs, network: this.networkInfo() });
      this.#openLink();
    } else if (state !== "up" && this.#link !== null) {
      this.#dropLink();
    }
  }

  #openLink(): void {
    const link = this.#makeLink();
    this.#link = link;
    link.open(availabilityTopic(this.base), {
      onConnect: () => {
        if (this.#link !== link) return;
        this.#connected = true;
        this.dispatch({ type: "connected", nowMs: this.clock.nowMs() });
      },
      onClose: () => {
        if (this.#link !== link || !this.#connected) return;
        this.#connected = false;
        this.dispatch({ type: "disconnected", nowMs: this.clock.nowMs() });
      },
      onMessage: (topic, payload, retained) => {
        if (this.#link !== link) return;
        this.dispatch({ type: "message", nowMs: this.clock.nowMs(), topic, payload, retained });
      },
    });
  }

  #dropLink(): void {
    const link = this.#link;
    this.#link = null;
    if (link === null) return;
    link.drop();
    if (this.#connected) {
      this.#connected = false;
      this.dispatch({ type: "disconnected", nowMs: this.clock.nowMs() });
    }
  }
}

function readSavedNetwork(store: KeyValueStore): { ssid: string; password: string } | null {
  const text = store.read(WIFI_STORE_KEY);
  if (text === null) return null;
  try {
    const value = JSON.parse(text);
    if (typeof value?.ssid === "string" && typeof value?.password === "string") {
      return { ssid: value.ssid, password: value.password };
    }
  } catch {
    // A corrupt record means no saved network: the device opens its access point.
  }
  return null;
}
