/**
 * Ports: the interfaces through which pure logic meets hardware and network. The
 * simulator (`sim/`) and the firmware (`firmware/`) each implement them.
 *
 * @module
 */

/** A burst of raw ADC samples taken at a fixed rate (counts, DC offset included). */
export interface SampleBurst {
  /** Samples per second of both channels. */
  sampleRateHz: number;
  /** Raw current-channel samples. */
  current: ArrayLike<number>;
  /** Raw voltage-channel samples, taken in step with `current`; absent on current-only boards. */
  voltage?: ArrayLike<number>;
}

/** One reading of a climate sensor. */
export interface ClimateReading {
  /** Relative humidity in percent. */
  humidityPct: number;
  /** Temperature in degrees Celsius. */
  tempC: number;
  /** When the reading was taken. */
  atMs: number;
}

/** Drives the relay (or the fan's speed outputs). */
export interface RelayOutput {
  /** Closes (`true`) or opens (`false`) the relay. */
  set(on: boolean): void;
}

/** Drives a multi-speed fan; speed 0 is off. */
export interface FanOutput {
  /** Sets the speed step, 0 = off. */
  setSpeed(speed: number): void;
}

/** Takes a burst of samples from the ADC. */
export interface SampleSource {
  /** Returns a burst of `count` samples. */
  burst(count: number): SampleBurst;
}

/** Reads the climate sensor; `null` when it does not answer. */
export interface ClimateSensor {
  /** Returns the latest reading or `null`. */
  read(): ClimateReading | null;
}

/** A monotonic millisecond clock. */
export interface Clock {
  /** Milliseconds since an arbitrary origin. */
  nowMs(): number;
}

/** Small key/value persistent storage (settings, energy totals). */
export interface KeyValueStore {
  /** Returns the stored text or `null`. */
  read(key: string): string | null;
  /** Stores text atomically. */
  write(key: string, value: string): void;
}

/** An MQTT message as the device sees it. */
export interface InboundMessage {
  /** Full topic. */
  topic: string;
  /** Payload bytes or text. */
  payload: string | Uint8Array;
  /** Whether the broker delivered it as a retained message. */
  retained: boolean;
}

/** The MQTT connection of a device. */
export interface MqttPort {
  /** Publishes a message. */
  publish(topic: string, payload: string, retain: boolean): void;
  /** Subscribes to a topic filter. */
  subscribe(filter: string): void;
  /** Registers the handler of inbound messages. */
  onMessage(handler: (message: InboundMessage) => void): void;
}

/** Network facts a device reports. */
export interface NetworkInfo {
  /** Signal strength in dBm. */
  rssiDbm: number;
  /** Network name. */
  ssid: string;
  /** IPv4 address. */
  ip: string;
  /** MAC address. */
  mac: string;
}
