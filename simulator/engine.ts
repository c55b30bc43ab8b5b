/**
 * The simulator's clock: every `tickMs` it advances the world (activity focused on subscribed
 * markets, occasional lifecycle events), publishes the result and enforces socket deadlines.
 * In load mode it also streams trades as fast as the sockets take them.
 *
 * @example
 * ```ts
 * import { Engine } from "./engine.ts";
 * // const engine = new Engine(world, hub, { tickMs: 100, activityPerTick: 8, lifecycleRate: 0.02 });
 * // engine.start(signal);
 * ```
 */
import { setImmediate, setTimeout as sleep } from "node:timers/promises";
import type { MarketHub } from "./ws_hub.ts";
import type { World } from "./world.ts";
import { type ActivityMode, ActivityModel } from "./activity_model.ts";

/** Engine tuning. */
export interface EngineOptions {
  tickMs: number;
  /** Activity events per tick (default 8). */
  activityPerTick: number;
  /**
   * Probability per tick of one resolution (a random open market, with the markets its fate
   * settles: `World.resolve`) and of one listing (default 0.02).
   */
  lifecycleRate: number;
  /**
   * "busy" (default): `activityPerTick` events per tick, mostly on subscribed markets, for
   * load tests. "realistic": the venue's rates (simulator/activity_model.ts), and
   * `activityPerTick` is ignored.
   */
  activity?: ActivityMode;
}

const LOAD_BATCH = 500;

/** Drives the world and the hub. */
export class Engine {
  paused = false;
  readonly #world: World;
  readonly #hub: MarketHub;
  readonly #options: EngineOptions;
  #load = false;
  #signal: AbortSignal | null = null;
  #lastTick = 0;
  readonly #model: ActivityModel | null;

  /** Creates a stopped engine. */
  constructor(world: World, hub: MarketHub, options: EngineOptions) {
    this.#world = world;
    this.#hub = hub;
    this.#options = options;
    this.#model = options.activity === "realistic"
      ? new ActivityModel(world.universe.markets.length, world.universe.seed)
      : null;
  }

  /** Runs until `signal` aborts. */
  start(signal: AbortSignal): void {
    this.#signal = signal;
    const period = Math.max(5, Math.min(this.#options.tickMs, 200));
    const timer = setInterval(() => this.#housekeeping(), period);
    signal.addEventListener("abort", () => clearInterval(timer), { once: true });
  }

  /** Runs `ticks` world ticks immediately (also while paused). */
  advance(ticks: number): void {
    for (let i = 0; i < ticks; i++) this.#tick(this.#options.tickMs);
  }

  /** Load mode on/off: stream trades on subscribed markets as fast as possible. */
  setLoad(on: boolean): void {
    if (on === this.#load) return;
    this.#load = on;
    if (on && this.#signal !== null) this.#runLoad(this.#signal).catch(() => (this.#load = false));
  }

  /** True while load mode runs. */
  get load(): boolean {
    return this.#load;
  }

  #housekeeping(): void {
    this.#hub.enforceDeadlines();
    const now = Date.now();
    if (this.paused || now - this.#lastTick < this.#options.tickMs) return;
    // The realistic model draws the events of the time that really passed (a late timer
    // otherwise lost the difference: ~8% of the venue's rate at venue size), at most a second.
    const elapsedMs = this.#lastTick === 0
      ? this.#options.tickMs
      : Math.min(now - this.#lastTick, 1000);
    this.#lastTick = now;
    this.#tick(elapsedMs);
  }

  #tick(elapsedMs: number): void {
    const emissions = this.#model === null
      ? this.#world.step(this.#hub.focus(), this.#options.activityPerTick)
      : this.#world.stepRealistic(
        this.#model,
        this.#world.realisticEventsIn(this.#model, elapsedMs),
      );
    emissions.push(...this.#world.lifecycle(this.#options.lifecycleRate));
    this.#hub.publish(emissions);
  }

  async #runLoad(signal: AbortSignal): Promise<void> {
    while (this.#load && !signal.aborted) {
      const focus = this.#hub.focus();
      if (focus.length === 0 || this.paused) {
        await sleep(10, undefined, { signal });
        continue;
      }
      this.#hub.publish(this.#world.loadTrades(focus, LOAD_BATCH));
      await setImmediate(undefined, { signal });
    }
  }
}
