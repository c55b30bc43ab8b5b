/**
 * Configuration: every knob is read here once, from the environment and command-line flags
 * (flags win), validated with zod, and returned frozen. Nothing else reads `Deno.env`.
 *
 * @example
 * ```ts
 * import { loadConfig } from "./config.ts";
 * const config = loadConfig({ PMCOLLECT_PRICES_INTERVAL_S: "60" });
 * config.collectors.prices.intervalMs; // 60000
 * ```
 */
import { z } from "zod";
import { type SettingKey, SETTINGS } from "./_settings.ts";

/** A bad configuration value; `main.ts` prints its message and exits with code 2. */
export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string, options?: ErrorOptions) {
    super(`${variable}: ${message}`, options);
    this.name = "ConfigError";
    this.variable = variable;
  }
}

export type CollectorName = "markets" | "prices" | "books" | "trades" | "resolutions";
export const COLLECTOR_NAMES: readonly CollectorName[] = [
  "markets",
  "prices",
  "books",
  "trades",
  "resolutions",
];

export interface DatabaseConfig {
  /** Server URL; `undefined` selects the embedded PGlite database under `dataDir`. */
  readonly url: string | undefined;
  readonly poolSize: number;
  /** "auto": use TimescaleDB when the extension can be created; "require"; "off". */
  readonly timescale: "auto" | "require" | "off";
  readonly connectRetryMaxMs: number;
}

export interface CollectorConfig {
  readonly enabled: readonly CollectorName[];
  readonly markets: { readonly intervalMs: number };
  readonly prices: { readonly intervalMs: number };
  readonly books: {
    readonly intervalMs: number;
    readonly fastIntervalMs: number;
    readonly fastTokens: readonly string[];
    readonly chunkSize: number;
  };
  readonly resolutions: { readonly intervalMs: number };
  readonly trades: {
    readonly tokensPerConnection: number;
    readonly pingMs: number;
    readonly silenceMs: number;
    readonly snapshotDeadlineMs: number;
    readonly connectStaggerMs: number;
    /** A longer websocket frame is rejected unparsed. */
    readonly maxFrameBytes: number;
    readonly quotesIntervalMs: number;
    readonly flushMs: number;
    readonly flushRows: number;
    readonly queueMaxRows: number;
    /** Record the market channel into book_events (issue 15). */
    readonly streamRecord: boolean;
    readonly streamCheckpointEvery: number;
    /** Pack each 6-hour window of the stream this long after it ends; 0 = never (stream/packer.ts). */
    readonly streamPackAfterMs: number;
  };
  readonly universe: {
    readonly tagIds: readonly string[];
    readonly minVolume: number;
    readonly minLiquidity: number;
    /** 0 = the whole active universe. */
    readonly maxMarkets: number;
  };
}

export interface ApiConfig {
  readonly gammaUrl: string;
  readonly clobUrl: string;
  readonly dataApiUrl: string;
  readonly wsMarketUrl: string;
  readonly timeoutMs: number;
  /** Fraction of each documented rate budget the program may use (0 < f ≤ 1). */
  readonly rateFraction: number;
}

export interface Config {
  readonly database: DatabaseConfig;
  readonly collectors: CollectorConfig;
  readonly api: ApiConfig;
  readonly dataDir: string;
  readonly health: { readonly host: "127.0.0.1"; readonly port: number };
  readonly shutdownDeadlineMs: number;
  /** The disk guard: watched path (undefined = resolved at run time) and thresholds in %. */
  readonly disk: {
    readonly path: string | undefined;
    readonly warnPct: number;
    readonly shedPct: number;
  };
  readonly logLevel: "debug" | "info" | "warn" | "error";
  /** The relation registry's refresh task (relations/refresh_task.ts); 0 = no task. */
  readonly relations: { readonly refreshIntervalMs: number };
  /** The forecast task (models/forecast_task.ts); 0 = no task. */
  readonly forecast: {
    readonly intervalMs: number;
    /** Days of forecasts kept (models/forecast_store.ts `pruneForecasts`). */
    readonly retainDays: number;
  };
  /** The opportunity scanner (scanner/run.ts). */
  readonly scanner: {
    readonly enabled: boolean;
    readonly maxBookAgeMs: number;
    readonly maxSkewMs: number;
    readonly convertFeeBips: number | null;
    readonly capturePath: string | null;
  };
  readonly risk: RiskConfig;
  /**
   * The kill switch's stale-data door: the scanner's feed silent this long (ms) halts trading
   * (`PMCOLLECT_KILL_FEED_SILENCE_MS`, else the scanner's max book age).
   */
  readonly killFeedSilenceMs: number;
  /**
   * The live executor: off, trading the paper broker (execution/live_paper.ts), or trading the
   * venue (execution/live_venue.ts, which also needs `run --live`).
   */
  readonly executor: {
    readonly mode: "off" | "paper" | "live";
    /**
     * Intents made durable in the data directory's journal before each order, stored in the
     * database behind it (execution/intent_journal.ts); false: by the database's commit.
     */
    readonly intentJournal: boolean;
    /** Collateral deposited at the first start, decimal text. */
    readonly cash: string;
    readonly latencyMs: number;
    /** What trading the venue needs; null unless the mode is live. */
    readonly live: LiveConfig | null;
    /** The model-edge playbook on the forecasts task's forecasts (execution/model_playbook.ts). */
    readonly model: {
      readonly enabled: boolean;
      /** Decimal text: EV a share, fraction of full Kelly, largest fraction of equity. */
      readonly minEv: string;
      readonly kelly: string;
      readonly kellyCap: string;
    };
  };
}

/**
 * Live trading's account (docs/execution.md, "Live trading"). Every field was set explicitly,
 * and so was every `PMCOLLECT_RISK_*` limit: `loadConfig` refuses the live mode otherwise.
 */
export interface LiveConfig {
  /** The user channel (own orders and fills); the CLOB and Data API are `api`'s. */
  readonly userWsUrl: string;
  /** The age-encrypted trading key and the identity that decrypts it (keys/age_key.ts). */
  readonly keyFile: string;
  readonly keyIdentity: string;
  /** 0: the key trades as itself; 1 (proxy) or 2 (safe): for `funder`. */
  readonly signatureType: 0 | 1 | 2;
  readonly funder: string | null;
  /** Age-encrypted `{apiKey, secret, passphrase}`; null: derived from the key (L1) at start. */
  readonly credentialsFile: string | null;
  /** Who computes order signatures (execution/signer_backend.ts); the bytes are the same. */
  readonly signer: "auto" | "native" | "noble";
  /** The libsecp256k1 to open instead of the usual names; null: those names. */
  readonly libsecp256k1: string | null;
}

/** The pre-trade risk limits (execution/risk.ts parses the decimals once with `riskLimits`). */
export interface RiskConfig {
  /** Collateral, as decimal text. */
  readonly maxOrderNotional: string;
  readonly maxMarketNotional: string;
  readonly maxGroupNotional: string;
  readonly maxTotalNotional: string;
  readonly maxOpenOrders: number;
  readonly maxOrdersPerSecond: number;
  readonly maxDailyLoss: string;
  /** Price units (0–1). */
  readonly priceBand: string;
  readonly maxBookAgeMs: number;
  /** Collateral per share, after fees. */
  readonly minEdge: string;
}

/** Environment-variable names mapped to raw values; flags use the same keys. */
export type RawSettings = Readonly<Record<string, string | undefined>>;

/**
 * Builds the frozen configuration from the environment, with `flags` (same variable names,
 * already mapped from `--kebab-case` by main.ts) taking precedence.
 * @throws {ConfigError} naming the first invalid variable.
 */
export function loadConfig(env: RawSettings, flags: RawSettings = {}): Config {
  const raw = (key: SettingKey): string | undefined => {
    const v = flags[key] ?? env[key];
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  };
  const value = <K extends SettingKey>(key: K): z.output<(typeof SETTINGS)[K]["schema"]> => {
    const setting = SETTINGS[key];
    const input = raw(key) ?? setting.default;
    const parsed = setting.schema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      // A secret (the URL's password) is never repeated, not even in an error.
      const got = SECRET_SETTINGS.has(key) ? "" : ` (got ${JSON.stringify(input)})`;
      throw new ConfigError(key, `${issue?.message ?? "invalid"}${got}`);
    }
    return parsed.data as z.output<(typeof SETTINGS)[K]["schema"]>;
  };

  const url = value("DATABASE_URL");
  const liveConfig = (): LiveConfig => {
    const signatureType = value("PMCOLLECT_SIGNATURE_TYPE");
    const funder = value("PMCOLLECT_FUNDER") ?? null;
    // One line naming everything missing: a live start never runs on a default.
    const missing = LIVE_REQUIRED.filter((key) => raw(key) === undefined);
    if (signatureType !== undefined && signatureType !== "0" && funder === null) {
      missing.push("PMCOLLECT_FUNDER");
    }
    if (missing.length > 0) {
      throw new ConfigError(
        "PMCOLLECT_EXECUTOR",
        `live trading needs every one of these set explicitly, missing: ${missing.join(", ")}`,
      );
    }
    return {
      userWsUrl: value("PMCOLLECT_WS_USER_URL"),
      keyFile: value("PMCOLLECT_KEY_FILE")!,
      keyIdentity: value("PMCOLLECT_KEY_IDENTITY")!,
      signatureType: Number(signatureType) as 0 | 1 | 2,
      funder,
      credentialsFile: value("PMCOLLECT_API_CREDENTIALS_FILE") ?? null,
      signer: value("PMCOLLECT_SIGNER"),
      libsecp256k1: value("PMCOLLECT_LIBSECP256K1") ?? null,
    };
  };
  const executorMode = value("PMCOLLECT_EXECUTOR");
  const only = value("PMCOLLECT_COLLECTORS");
  const config: Config = {
    database: {
      url,
      poolSize: value("PMCOLLECT_DB_POOL_SIZE"),
      timescale: value("PMCOLLECT_TIMESCALE"),
      connectRetryMaxMs: value("PMCOLLECT_DB_CONNECT_RETRY_S") * 1000,
    },
    collectors: {
      enabled: only,
      markets: { intervalMs: value("PMCOLLECT_MARKETS_INTERVAL_S") * 1000 },
      prices: { intervalMs: value("PMCOLLECT_PRICES_INTERVAL_S") * 1000 },
      books: {
        intervalMs: value("PMCOLLECT_BOOKS_INTERVAL_S") * 1000,
        fastIntervalMs: value("PMCOLLECT_BOOKS_FAST_INTERVAL_S") * 1000,
        fastTokens: value("PMCOLLECT_BOOKS_FAST_TOKENS"),
        chunkSize: value("PMCOLLECT_BOOKS_CHUNK"),
      },
      resolutions: { intervalMs: value("PMCOLLECT_RESOLUTIONS_INTERVAL_S") * 1000 },
      trades: {
        tokensPerConnection: value("PMCOLLECT_WS_TOKENS_PER_CONNECTION"),
        pingMs: value("PMCOLLECT_WS_PING_MS"),
        silenceMs: value("PMCOLLECT_WS_SILENCE_MS"),
        snapshotDeadlineMs: value("PMCOLLECT_WS_SNAPSHOT_DEADLINE_MS"),
        connectStaggerMs: value("PMCOLLECT_WS_CONNECT_STAGGER_MS"),
        maxFrameBytes: value("PMCOLLECT_WS_MAX_FRAME_BYTES"),
        quotesIntervalMs: value("PMCOLLECT_QUOTES_INTERVAL_MS"),
        flushMs: value("PMCOLLECT_FLUSH_MS"),
        flushRows: value("PMCOLLECT_FLUSH_ROWS"),
        queueMaxRows: value("PMCOLLECT_QUEUE_MAX_ROWS"),
        streamRecord: value("PMCOLLECT_STREAM_RECORD") === "on",
        streamCheckpointEvery: value("PMCOLLECT_STREAM_CHECKPOINT_EVERY"),
        streamPackAfterMs: value("PMCOLLECT_STREAM_PACK_AFTER_MS"),
      },
      universe: {
        tagIds: value("PMCOLLECT_UNIVERSE_TAGS"),
        minVolume: value("PMCOLLECT_UNIVERSE_MIN_VOLUME"),
        minLiquidity: value("PMCOLLECT_UNIVERSE_MIN_LIQUIDITY"),
        // The embedded database is for laptops: a few hundred markets unless told otherwise.
        maxMarkets: raw("PMCOLLECT_UNIVERSE_MAX_MARKETS") === undefined && url === undefined
          ? EMBEDDED_MAX_MARKETS
          : value("PMCOLLECT_UNIVERSE_MAX_MARKETS"),
      },
    },
    api: {
      gammaUrl: value("PMCOLLECT_GAMMA_URL"),
      clobUrl: value("PMCOLLECT_CLOB_URL"),
      dataApiUrl: value("PMCOLLECT_DATA_API_URL"),
      wsMarketUrl: value("PMCOLLECT_WS_MARKET_URL"),
      timeoutMs: value("PMCOLLECT_HTTP_TIMEOUT_MS"),
      rateFraction: value("PMCOLLECT_RATE_FRACTION"),
    },
    dataDir: value("PMCOLLECT_DATA_DIR"),
    health: { host: "127.0.0.1", port: value("PMCOLLECT_HEALTH_PORT") },
    shutdownDeadlineMs: value("PMCOLLECT_SHUTDOWN_DEADLINE_S") * 1000,
    disk: {
      path: value("PMCOLLECT_DISK_PATH"),
      warnPct: value("PMCOLLECT_DISK_WARN_PCT"),
      shedPct: value("PMCOLLECT_DISK_SHED_PCT"),
    },
    logLevel: value("PMCOLLECT_LOG_LEVEL"),
    relations: { refreshIntervalMs: Math.round(value("PMCOLLECT_RELATIONS_REFRESH_S") * 1000) },
    forecast: {
      intervalMs: Math.round(value("PMCOLLECT_FORECAST_S") * 1000),
      retainDays: value("PMCOLLECT_FORECAST_RETAIN_DAYS"),
    },
    scanner: {
      enabled: value("PMCOLLECT_SCANNER") === "on",
      maxBookAgeMs: value("PMCOLLECT_SCANNER_MAX_BOOK_AGE_MS"),
      maxSkewMs: value("PMCOLLECT_SCANNER_MAX_SKEW_MS"),
      convertFeeBips: value("PMCOLLECT_SCANNER_CONVERT_FEE_BIPS") ?? null,
      capturePath: value("PMCOLLECT_SCANNER_CAPTURE") ?? null,
    },
    risk: {
      maxOrderNotional: value("PMCOLLECT_RISK_MAX_ORDER_NOTIONAL"),
      maxMarketNotional: value("PMCOLLECT_RISK_MAX_MARKET_NOTIONAL"),
      maxGroupNotional: value("PMCOLLECT_RISK_MAX_GROUP_NOTIONAL"),
      maxTotalNotional: value("PMCOLLECT_RISK_MAX_TOTAL_NOTIONAL"),
      maxOpenOrders: value("PMCOLLECT_RISK_MAX_OPEN_ORDERS"),
      maxOrdersPerSecond: value("PMCOLLECT_RISK_MAX_ORDERS_PER_S"),
      maxDailyLoss: value("PMCOLLECT_RISK_MAX_DAILY_LOSS"),
      priceBand: value("PMCOLLECT_RISK_PRICE_BAND"),
      maxBookAgeMs: value("PMCOLLECT_RISK_MAX_BOOK_AGE_MS"),
      minEdge: value("PMCOLLECT_RISK_MIN_EDGE"),
    },
    killFeedSilenceMs: value("PMCOLLECT_KILL_FEED_SILENCE_MS") ??
      value("PMCOLLECT_SCANNER_MAX_BOOK_AGE_MS"),
    executor: {
      mode: executorMode,
      intentJournal: value("PMCOLLECT_INTENT_JOURNAL") === "on",
      cash: value("PMCOLLECT_EXECUTOR_CASH"),
      latencyMs: value("PMCOLLECT_EXECUTOR_LATENCY_MS"),
      live: executorMode === "live" ? liveConfig() : null,
      model: {
        enabled: value("PMCOLLECT_EXECUTOR_MODEL") === "on",
        minEv: value("PMCOLLECT_EXECUTOR_MODEL_MIN_EV"),
        kelly: value("PMCOLLECT_EXECUTOR_KELLY"),
        kellyCap: value("PMCOLLECT_EXECUTOR_KELLY_CAP"),
      },
    },
  };

  if (config.disk.shedPct > config.disk.warnPct) {
    throw new ConfigError(
      "PMCOLLECT_DISK_SHED_PCT",
      `must be ≤ PMCOLLECT_DISK_WARN_PCT (${config.disk.warnPct}), got ${config.disk.shedPct}`,
    );
  }
  return deepFreeze(config);
}

/** What `PMCOLLECT_EXECUTOR=live` needs set, whatever their defaults: the account and limits. */
const LIVE_REQUIRED: readonly SettingKey[] = [
  "PMCOLLECT_KEY_FILE",
  "PMCOLLECT_KEY_IDENTITY",
  "PMCOLLECT_SIGNATURE_TYPE",
  ...(Object.keys(SETTINGS) as SettingKey[]).filter((key) => key.startsWith("PMCOLLECT_RISK_")),
];

/** Settings whose values may hold a secret: their errors never quote them. */
const SECRET_SETTINGS: ReadonlySet<SettingKey> = new Set(["DATABASE_URL"]);

/** Default market cap on the embedded database (documented in the README). */
export const EMBEDDED_MAX_MARKETS = 300;

/** The configuration as one loggable object, with passwords in URLs redacted. */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    ...config,
    database: {
      ...config.database,
      url: config.database.url === undefined ? "(embedded)" : redactUrl(config.database.url),
    },
  };
}

/** Replaces the password of a URL with `***`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== "") u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable url)";
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
