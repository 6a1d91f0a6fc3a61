/**
 * A simulated exhaust fan: the pure fan device of lib/ with a room (bathroom or toilet)
 * whose air a duct sensor reads, showers or visits on a schedule, and a sensor that
 * can be made missing or stale.
 *
 * @module
 */

import type { DeviceEffect } from "../lib/device_effects.ts";
import {
  bootFan,
  type FanDeviceEvent,
  type FanDeviceState,
  fanStates,
  nextFanDeviceDeadlineMs,
  stepFanDevice,
} from "../lib/fan_device.ts";
import { SeriesHistory } from "../lib/history.ts";
import type { ClimateReading, NetworkInfo } from "../lib/ports.ts";
import type { TimerId } from "./clock.ts";
import { readFirmware } from "./firmware_record.ts";
import {
  type DeviceStepResult,
  type LinkEvent,
  SimDevice,
  type SimDeviceOptions,
} from "./device.ts";
import { activeAt, type Activity } from "./occupancy.ts";
import {
  BATHROOM,
  createRoom,
  ductReading,
  type RoomState,
  stepRoom,
  TOILET,
  withClimate,
} from "./room.ts";

/** How often the fan reads its sensor (a DHT22 allows one reading per 2 s). */
export const SENSOR_PERIOD_MS = 10000;

/** What the sensor knob can make of the sensor. */
export type SensorMode = "ok" | "missing" | "stale";

/** A simulated fan's own options. */
export interface SimFanOptions extends SimDeviceOptions {
  /** The room (default the bathroom). */
  room?: "bathroom" | "toilet";
  /** Showers (bathroom) or visits (toilet) to come. */
  activities?: Activity[];
}

/** A simulated exhaust fan. */
export class SimFan extends SimDevice<FanDeviceState, FanDeviceEvent> {
  readonly kind = "fans" as const;
  /** Which room the fan serves. */
  readonly roomKind: "bathroom" | "toilet";
  /** The room's air. */
  room: RoomState;
  /** The fan's speed output. */
  speed = 0;
  /** Sensor fault injection. */
  sensorMode: SensorMode = "ok";
  /** Showers or visits to come. */
  activities: Activity[];
  /** Humidity and temperature over the last 10 minutes (10 s slots). */
  readonly humidityHistory: SeriesHistory = new SeriesHistory({ slots: 60, slotMs: 10000 });
  readonly temperatureHistory: SeriesHistory = new SeriesHistory({ slots: 60, slotMs: 10000 });
  #roomMs: number;
  #lastReading: ClimateReading | null = null;
  #showerUntilMs = -Infinity;

  constructor(options: SimFanOptions) {
    super(options);
    this.roomKind = options.room ?? "bathroom";
    this.room = createRoom(this.roomKind === "toilet" ? TOILET : BATHROOM);
    this.activities = options.activities ?? [];
    this.#roomMs = options.clock.nowMs();
  }

  protected bootDevice(nowMs: number, network: NetworkInfo) {
    return bootFan({
      prefix: this.prefix,
      id: this.id,
      nowMs,
      settingsText: this.store.read("settings"),
      network,
      swVersion: readFirmware(this.store).version,
    });
  }

  protected stepDevice(
    state: FanDeviceState,
    event: LinkEvent | FanDeviceEvent,
  ): DeviceStepResult<FanDeviceState> {
    return stepFanDevice(state, event);
  }

  protected deadlineMs(state: FanDeviceState): number {
    return nextFanDeviceDeadlineMs(state);
  }

  protected startHardware(): TimerId[] {
    return [this.clock.every(SENSOR_PERIOD_MS, () => this.sense())];
  }

  /** Whether someone showers (or visits) now. */
  occupied(nowMs: number): boolean {
    return nowMs < this.#showerUntilMs || activeAt(this.activities, nowMs);
  }

  /** Brings the room up to now with the current fan speed and occupancy. */
  advanceRoom(): void {
    const nowMs = this.clock.nowMs();
    const dtMs = nowMs - this.#roomMs;
    if (dtMs <= 0) return;
    const busy = this.occupied(nowMs);
    const toilet = this.roomKind === "toilet";
    this.room = stepRoom(this.room, dtMs, {
      fanSpeed: this.speed,
      showerOn: busy && !toilet,
      visitOn: busy && toilet,
    });
    this.#roomMs = nowMs;
  }

  /** Reads the duct sensor and hands the reading to the pure device. */
  sense(): void {
    this.advanceRoom();
    const nowMs = this.clock.nowMs();
    let reading: ClimateReading | null = null;
    if (this.sensorMode === "ok") {
      reading = ductReading(this.room, nowMs);
      this.#lastReading = reading;
    } else if (this.sensorMode === "stale") {
      reading = this.#lastReading;
    }
    this.dispatch({ type: "reading", nowMs, reading });
    if (reading !== null && this.sensorMode === "ok") {
      this.humidityHistory.record(nowMs, reading.humidityPct);
      this.temperatureHistory.record(nowMs, reading.tempC);
    }
  }

  protected driveOutput(effect: DeviceEffect): void {
    if (effect.type !== "fan") return;
    this.advanceRoom();
    this.speed = effect.speed;
  }

  protected onPowerOff(): void {
    this.advanceRoom();
    this.speed = 0;
  }

  hardwareKnob(name: string, payload: string): string | null {
    const text = payload.trim();
    this.advanceRoom();
    if (name === "humidity" || name === "temperature") {
      const value = Number(text);
      const valid = text !== "" &&
        (name === "humidity" ? value >= 0 && value <= 100 : value >= -40 && value <= 85);
      if (!valid) {
        return `${name} must be a number in ${name === "humidity" ? "0..100 %RH" : "-40..85 °C"}`;
      }
      this.room = withClimate(
        this.room,
        name === "humidity" ? { humidityPct: value } : { tempC: value },
      );
      return null;
    }
    if (name === "shower") {
      const seconds = text === "" ? 600 : Number(text);
      if (!(seconds >= 0 && seconds <= 7200)) return "shower takes 0..7200 seconds";
      this.#showerUntilMs = this.clock.nowMs() + seconds * 1000;
      return null;
    }
    if (name === "sensor") {
      const mode = text.toLowerCase();
      if (mode !== "ok" && mode !== "missing" && mode !== "stale") {
        return "sensor must be OK, MISSING or STALE";
      }
      this.sensorMode = mode;
      return null;
    }
    return `unknown knob "${name}" for a fan`;
  }

  view(): Record<string, unknown> {
    const state = this.state;
    if (state === null) return { id: this.id, kind: this.kind, powered: false };
    const states = fanStates(state, this.clock.nowMs());
    return {
      id: this.id,
      kind: this.kind,
      powered: true,
      connected: this.connected,
      room: {
        humidityPct: this.room.humidityPct,
        tempC: this.room.tempC,
        occupied: this.occupied(this.clock.nowMs()),
      },
      sensor: this.sensorMode,
      states: Object.assign({}, states, { settings: undefined, network: undefined }),
      settings: states.settings,
      network: states.network,
    };
  }
}
