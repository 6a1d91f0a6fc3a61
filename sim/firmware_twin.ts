/**
 * Native simulated devices with the firmware's hardware: the library runs natively (as
 * in `SimPlug`/`SimFan`), but samples and stamps its inputs the way the firmware bundle
 * does inside the shim. A differential test runs a twin next to a bundle; with the
 * inputs made equal, any difference in their MQTT traces comes from the bundle and its
 * adapters (`firmware/*.ts`), not from two hardware models.
 *
 * Plug twin: the firmware's own burst sampler (`firmware/adc_burst.ts`, 200 samples in
 * slices of 50, each slice a zero-delay timer) reads the same ADC stream as the shim's
 * `A0`, on a processor clock that advances per read as the shim's does, so the sample
 * rate it measures and the time each burst is stamped with are the bundle's; with the
 * relay open it hands over the firmware's flat two-sample burst. The native `SimPlug`
 * instead samples voltage and current at 2 kHz and stamps a burst with its start.
 *
 * Fan twin: reads at boot and every 10 s (the native `SimFan` does not read at boot),
 * through the emulated BME280's rounding, reported after the driver's 12 ms conversion
 * wait. A `missing` sensor answers `null` at once, as the driver does when the chip does
 * not acknowledge; a `stale` one repeats its last air with a fresh time stamp, as a stuck
 * chip would (the native fan repeats the old reading with its old time stamp).
 *
 * @module
 */

import type { ClimateReading } from "../lib/ports.ts";
import { createBurstSampler } from "../firmware/adc_burst.ts";
import { type Air, quantizeBme280 } from "../firmware/shim/shim_bme280.ts";
import { ADC_READ_S, CpuClock } from "../firmware/shim/shim_time.ts";
import type { TimerId } from "./clock.ts";
import { SimFan } from "./fan.ts";
import { AdcStream, SIM_FAN_HARDWARE, SIM_PLUG_HARDWARE } from "./firmware_hardware.ts";
import { SimPlug } from "./plug.ts";
import { ductReading } from "./room.ts";

const OPEN_RELAY_BURST = new Uint16Array([512, 512]);

/** A native plug that measures as the plug bundle does in the shim. */
export class FirmwareTwinPlug extends SimPlug {
  /**
   * Measures every second as `firmware/plug_main.ts` does.
   *
   * @returns The measuring timer.
   */
  protected override startHardware(): TimerId[] {
    const h = SIM_PLUG_HARDWARE;
    const clock = this.clock;
    const cpu = new CpuClock(clock);
    const adc = new AdcStream({
      clock,
      load: () => this.load,
      relayOn: () => this.relayOn,
      currentGainA: h.currentGainA,
    });
    const read = (): number => {
      cpu.spend(ADC_READ_S);
      return adc.read();
    };
    const sampler = createBurstSampler(
      read,
      () => cpu.nowS(),
      (run) => clock.setTimer(() => cpu.run(run), 0),
      { samples: h.burstSamples, sliceSamples: h.sliceSamples },
    );
    const measure = (): void => {
      const state = this.state;
      if (state === null) return;
      const mainsHz = h.mainsHz;
      if (!state.relay.on) {
        const burst = { sampleRateHz: mainsHz * 20, current: OPEN_RELAY_BURST };
        this.dispatch({ type: "burst", nowMs: cpu.nowMs(), burst, mainsHz });
        return;
      }
      sampler.start((burst) => {
        this.dispatch({ type: "burst", nowMs: cpu.nowMs(), burst, mainsHz });
      });
    };
    return [clock.every(h.measurePeriodMs, () => cpu.run(measure))];
  }
}

/** A native fan that reads its sensor as the fan bundle does in the shim. */
export class FirmwareTwinFan extends SimFan {
  #lastAir: Air | null = null;

  /**
   * Reads the sensor at boot and every 10 s as `firmware/fan_main.ts` does.
   *
   * @returns The reading timer.
   */
  protected override startHardware(): TimerId[] {
    const f = SIM_FAN_HARDWARE;
    const clock = this.clock;
    const read = (): void => {
      this.advanceRoom();
      if (this.sensorMode === "missing") {
        this.dispatch({ type: "reading", nowMs: clock.nowMs(), reading: null });
        return;
      }
      if (this.sensorMode === "ok") this.#lastAir = ductReading(this.room, clock.nowMs());
      const air = this.#lastAir === null ? null : quantizeBme280(this.#lastAir);
      clock.setTimer(() => {
        const nowMs = clock.nowMs();
        let reading: ClimateReading | null = null;
        if (air !== null && air.tempC > -40 && air.tempC < 85) {
          reading = { humidityPct: air.humidityPct, tempC: air.tempC, atMs: nowMs };
        }
        this.dispatch({ type: "reading", nowMs, reading });
      }, f.conversionMs);
    };
    const timer = clock.every(f.readPeriodMs, read);
    read();
    return [timer];
  }
}
