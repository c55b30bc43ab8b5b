/**
 * The table of every setting: environment variable, default, validation and description.
 * `config.ts` builds the typed configuration from it; `--help` and the README table list it.
 */
import { z } from "zod";
import { databaseUrlProblem } from "./_database_url.ts";

const seconds = z.coerce.number({ message: "expected a number of seconds" })
  .positive("must be greater than 0");
const millis = z.coerce.number({ message: "expected a number of milliseconds" })
  .int("must be a whole number").positive("must be greater than 0");
const millisOrOff = z.coerce.number({ message: "expected milliseconds (0 = off)" })
  .int("must be a whole number").min(0, "must be 0 or more");
const count = z.coerce.number({ message: "expected a whole number" })
  .int("must be a whole number").positive("must be greater than 0");
const nonNegative = z.coerce.number({ message: "expected a number" }).min(0, "must be 0 or more");
const percent = z.coerce.number({ message: "expected a percentage" }).min(0, "must be 0 or more")
  .max(100, "must be ≤ 100");
const list = z.string().transform((s) => s.split(",").map((x) => x.trim()).filter((x) => x !== ""));
const httpUrl = z.url({ protocol: /^https?$/, message: "expected an http(s) URL" });
const wsUrl = z.url({ protocol: /^wss?$/, message: "expected a ws(s) URL" });
const amount = z.string().trim().regex(
  /^\d+(\.\d{1,8})?$/,
  "expected a decimal ≥ 0 (8 places at most)",
);
const COLLECTORS = ["markets", "prices", "books", "trades", "resolutions"] as const;

interface Setting<S extends z.ZodType> {
  readonly schema: S;
  readonly default: string | undefined;
  readonly description: string;
}
function setting<S extends z.ZodType>(
  schema: S,
  defaultValue: string | undefined,
  description: string,
): Setting<S> {
  return { schema, default: defaultValue, description };
}

export const SETTINGS = {
  DATABASE_URL: setting(
    z.string().superRefine((url, ctx) => {
      const problem = databaseUrlProblem(url);
      if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
    }).optional(),
    undefined,
    "PostgreSQL/TimescaleDB server; unset = embedded PGlite under the data directory",
  ),
  PMCOLLECT_DB_POOL_SIZE: setting(count, "10", "connections in the server pool"),
  PMCOLLECT_DB_CONNECT_RETRY_S: setting(seconds, "30", "longest wait between connect retries"),
  PMCOLLECT_TIMESCALE: setting(
    z.enum(["auto", "require", "off"], { message: "expected auto, require or off" }),
    "auto",
    "use TimescaleDB features: auto (when the extension can be created), require, off",
  ),
  PMCOLLECT_DATA_DIR: setting(
    z.string().min(1),
    "./data",
    "embedded database, spill files, the intent journal and the KILL file",
  ),
  PMCOLLECT_COLLECTORS: setting(
    list.pipe(
      z.array(z.enum(COLLECTORS, { message: `expected some of ${COLLECTORS.join(",")}` })).min(
        1,
        "name at least one collector",
      ),
    ),
    COLLECTORS.join(","),
    "collectors to run (comma-separated); --only is the same",
  ),
  PMCOLLECT_MARKETS_INTERVAL_S: setting(seconds, "300", "markets (Gamma universe walk) cadence"),
  PMCOLLECT_PRICES_INTERVAL_S: setting(seconds, "60", "price snapshot cadence, minute-aligned"),
  PMCOLLECT_BOOKS_INTERVAL_S: setting(seconds, "300", "order-book snapshot cadence, all tokens"),
  PMCOLLECT_BOOKS_FAST_INTERVAL_S: setting(
    seconds,
    "60",
    "cadence for PMCOLLECT_BOOKS_FAST_TOKENS",
  ),
  PMCOLLECT_BOOKS_FAST_TOKENS: setting(list, "", "token ids snapshotted at the fast cadence"),
  PMCOLLECT_BOOKS_CHUNK: setting(count, "100", "token ids per POST /books request"),
  PMCOLLECT_RESOLUTIONS_INTERVAL_S: setting(seconds, "300", "resolution poll cadence"),
  PMCOLLECT_WS_TOKENS_PER_CONNECTION: setting(count, "200", "tokens per websocket connection"),
  PMCOLLECT_WS_PING_MS: setting(
    millis,
    "5000",
    "text PING interval per connection (venue idle limit 10 s)",
  ),
  PMCOLLECT_WS_SILENCE_MS: setting(millis, "60000", "data silence that forces a reconnect"),
  PMCOLLECT_WS_SNAPSHOT_DEADLINE_MS: setting(millis, "30000", "wait for a subscription snapshot"),
  PMCOLLECT_WS_CONNECT_STAGGER_MS: setting(millisOrOff, "250", "delay between connection opens"),
  PMCOLLECT_WS_MAX_FRAME_BYTES: setting(count, "8388608", "larger websocket frames are rejected"),
  PMCOLLECT_QUOTES_INTERVAL_MS: setting(millisOrOff, "1000", "quote rows per token (0 = off)"),
  PMCOLLECT_FLUSH_MS: setting(millis, "500", "trade queue flush interval"),
  PMCOLLECT_FLUSH_ROWS: setting(count, "5000", "trade queue flush size"),
  PMCOLLECT_QUEUE_MAX_ROWS: setting(count, "100000", "rows held in memory before spilling"),
  PMCOLLECT_STREAM_RECORD: setting(
    z.enum(["on", "off"], { message: "expected on or off" }),
    "on",
    "record every market-channel event into book_events",
  ),
  PMCOLLECT_STREAM_CHECKPOINT_EVERY: setting(
    count,
    "2000",
    "level changes between book checkpoints",
  ),
  PMCOLLECT_STREAM_PACK_AFTER_MS: setting(
    millisOrOff,
    "900000",
    "pack each 6-hour window of the stream's level rows this long after it ends (0 = never)",
  ),
  PMCOLLECT_UNIVERSE_TAGS: setting(list, "", "only markets with these Gamma tag ids"),
  PMCOLLECT_UNIVERSE_MIN_VOLUME: setting(nonNegative, "0", "only markets with volume ≥ this"),
  PMCOLLECT_UNIVERSE_MIN_LIQUIDITY: setting(nonNegative, "0", "only markets with liquidity ≥"),
  PMCOLLECT_UNIVERSE_MAX_MARKETS: setting(
    z.coerce.number({ message: "expected a whole number" }).int("must be a whole number").min(0),
    "0",
    "most-traded N active markets (0 = all; embedded default 300)",
  ),
  PMCOLLECT_GAMMA_URL: setting(httpUrl, "https://gamma-api.polymarket.com", "Gamma API base"),
  PMCOLLECT_CLOB_URL: setting(httpUrl, "https://clob.polymarket.com", "CLOB API base"),
  PMCOLLECT_DATA_API_URL: setting(httpUrl, "https://data-api.polymarket.com", "Data API base"),
  PMCOLLECT_WS_MARKET_URL: setting(
    wsUrl,
    "wss://ws-subscriptions-clob.polymarket.com/ws/market",
    "market websocket",
  ),
  PMCOLLECT_HTTP_TIMEOUT_MS: setting(millis, "15000", "per-request timeout"),
  PMCOLLECT_RATE_FRACTION: setting(
    z.coerce.number({ message: "expected a number" }).gt(0, "must be > 0").max(1, "must be ≤ 1"),
    "0.5",
    "share of each documented rate budget to use",
  ),
  PMCOLLECT_HEALTH_PORT: setting(
    z.coerce.number({ message: "expected a port" }).int().min(0).max(65535, "must be ≤ 65535"),
    "9464",
    "port for /healthz and /metrics on 127.0.0.1 (0 = off)",
  ),
  PMCOLLECT_SHUTDOWN_DEADLINE_S: setting(seconds, "20", "graceful shutdown deadline"),
  PMCOLLECT_DISK_PATH: setting(
    z.string().min(1).optional(),
    undefined,
    "file system the disk guard watches (unset: data dir or local database's)",
  ),
  PMCOLLECT_DISK_WARN_PCT: setting(percent, "15", "free disk % below which /healthz is degraded"),
  PMCOLLECT_DISK_SHED_PCT: setting(
    percent,
    "5",
    "free disk % below which quotes stop; below half of it, books slow 4×",
  ),
  PMCOLLECT_RELATIONS_REFRESH_S: setting(
    z.coerce.number({ message: "expected a number of seconds (0 = off)" }).min(
      0,
      "must be 0 or more",
    ),
    "3600",
    "relation registry refresh at least this often, and after catalog changes (0 = off)",
  ),
  PMCOLLECT_FORECAST_S: setting(
    z.coerce.number({ message: "expected a number of seconds (0 = off)" }).min(
      0,
      "must be 0 or more",
    ),
    "0",
    "forecast open markets into the forecasts table this often; score resolved (0 = off)",
  ),
  PMCOLLECT_FORECAST_RETAIN_DAYS: setting(
    z.coerce.number({ message: "expected a number of days" }).int().min(1, "must be 1 or more"),
    "30",
    "the forecasts task deletes forecasts older than this, keeping their live skill",
  ),
  PMCOLLECT_SCANNER: setting(
    z.enum(["on", "off"], { message: "expected on or off" }),
    "on",
    "the opportunity scanner task (needs the trades listener)",
  ),
  PMCOLLECT_SCANNER_MAX_BOOK_AGE_MS: setting(
    millis,
    "10000",
    "a leg whose connection is silent longer is stale: no opportunity",
  ),
  PMCOLLECT_SCANNER_MAX_SKEW_MS: setting(
    millisOrOff,
    "2000",
    "largest gap between the legs' connections' last data",
  ),
  PMCOLLECT_SCANNER_CONVERT_FEE_BIPS: setting(
    z.coerce.number({ message: "expected basis points" }).int().min(0).max(10_000).optional(),
    undefined,
    "NegRisk adapter fee in bips (unset: unknown, no conversion plans)",
  ),
  PMCOLLECT_SCANNER_CAPTURE: setting(
    z.string().min(1).optional(),
    undefined,
    "debug: append the scanner's book events as NDJSON to this file",
  ),
  PMCOLLECT_EXECUTOR: setting(
    z.enum(["off", "paper", "live"], { message: "expected off, paper or live" }),
    "off",
    "trade the scanner's episodes: paper broker (paper), or the venue (live, with run --live)",
  ),
  PMCOLLECT_EXECUTOR_CASH: setting(
    amount,
    "10000",
    "live paper: collateral deposited in the ledger at the first start",
  ),
  PMCOLLECT_EXECUTOR_LATENCY_MS: setting(
    millisOrOff,
    "100",
    "live paper: order and cancel latency to the paper venue",
  ),
  PMCOLLECT_WS_USER_URL: setting(
    wsUrl,
    "wss://ws-subscriptions-clob.polymarket.com/ws/user",
    "live: the user websocket (own orders and fills)",
  ),
  PMCOLLECT_KEY_FILE: setting(
    z.string().min(1).optional(),
    undefined,
    "live: the age-encrypted trading key (pmcollect key encrypt)",
  ),
  PMCOLLECT_KEY_IDENTITY: setting(
    z.string().min(1).optional(),
    undefined,
    "live: the age identity file that decrypts PMCOLLECT_KEY_FILE",
  ),
  PMCOLLECT_SIGNATURE_TYPE: setting(
    z.enum(["0", "1", "2"], { message: "expected 0 (EOA), 1 (proxy) or 2 (safe)" }).optional(),
    undefined,
    "live: how the key signs: 0 as itself, 1 or 2 for the PMCOLLECT_FUNDER wallet",
  ),
  PMCOLLECT_FUNDER: setting(
    z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected an address (0x + 40 hex digits)")
      .optional(),
    undefined,
    "live: the wallet holding the funds (signature types 1 and 2)",
  ),
  PMCOLLECT_API_CREDENTIALS_FILE: setting(
    z.string().min(1).optional(),
    undefined,
    "live: age-encrypted API credentials JSON (unset: derived from the key at start)",
  ),
  PMCOLLECT_SIGNER: setting(
    z.enum(["auto", "native", "noble"], { message: "expected auto, native or noble" }),
    "auto",
    "live: who signs orders: libsecp256k1 if it opens (auto), only it (native), or JS (noble)",
  ),
  PMCOLLECT_LIBSECP256K1: setting(
    z.string().min(1).optional(),
    undefined,
    "live: the libsecp256k1 to sign with (unset: the first of libsecp256k1.so.6 … .so.1, .so)",
  ),
  PMCOLLECT_INTENT_JOURNAL: setting(
    z.enum(["off", "on"], { message: "expected off or on" }),
    "on",
    "live and live paper: intents made durable in the data dir's intents.journal (off: database)",
  ),
  PMCOLLECT_EXECUTOR_MODEL: setting(
    z.enum(["off", "on"], { message: "expected off or on" }),
    "off",
    "live paper: also trade the forecasts task's forecasts (model-edge playbook)",
  ),
  PMCOLLECT_EXECUTOR_MODEL_MIN_EV: setting(
    amount,
    "0.03",
    "model edge: least EV a share after the taker fee worth buying",
  ),
  PMCOLLECT_EXECUTOR_KELLY: setting(
    amount.refine((x) => Number(x) <= 1, "must be ≤ 1"),
    "0.25",
    "model edge: fraction of full Kelly spent",
  ),
  PMCOLLECT_EXECUTOR_KELLY_CAP: setting(
    amount.refine((x) => Number(x) <= 1, "must be ≤ 1"),
    "0.05",
    "model edge: largest fraction of equity one order spends",
  ),
  PMCOLLECT_RISK_MAX_ORDER_NOTIONAL: setting(
    amount,
    "50",
    "risk: largest price × size of one order",
  ),
  PMCOLLECT_RISK_MAX_MARKET_NOTIONAL: setting(
    amount,
    "200",
    "risk: largest exposure in one market",
  ),
  PMCOLLECT_RISK_MAX_GROUP_NOTIONAL: setting(
    amount,
    "500",
    "risk: largest exposure in one neg-risk group",
  ),
  PMCOLLECT_RISK_MAX_TOTAL_NOTIONAL: setting(amount, "1000", "risk: largest exposure in total"),
  PMCOLLECT_RISK_MAX_OPEN_ORDERS: setting(count, "20", "risk: most orders open at once"),
  PMCOLLECT_RISK_MAX_ORDERS_PER_S: setting(count, "100", "risk: most orders sent in any second"),
  PMCOLLECT_RISK_MAX_DAILY_LOSS: setting(
    amount,
    "50",
    "risk: realised + marked loss in a UTC day that halts trading",
  ),
  PMCOLLECT_RISK_PRICE_BAND: setting(
    amount,
    "0.02",
    "risk: largest distance of an order's price from its book's",
  ),
  PMCOLLECT_RISK_MAX_BOOK_AGE_MS: setting(
    millis,
    "2000",
    "risk: oldest book an order may be planned on",
  ),
  PMCOLLECT_RISK_MIN_EDGE: setting(
    amount,
    "0.005",
    "risk: least profit per share after fees of an order that adds exposure",
  ),
  PMCOLLECT_KILL_FEED_SILENCE_MS: setting(
    millis.optional(),
    undefined,
    "kill switch: the scanner's feed silent this long halts trading (unset: the scanner's max book age)",
  ),
  PMCOLLECT_LOG_LEVEL: setting(
    z.enum(["debug", "info", "warn", "error"], { message: "expected debug, info, warn or error" }),
    "info",
    "lowest log level written",
  ),
} as const;

export type SettingKey = keyof typeof SETTINGS;

/** `PMCOLLECT_PRICES_INTERVAL_S` → `prices-interval-s`; `DATABASE_URL` → `database-url`. */
export function flagName(key: SettingKey): string {
  return key.replace(/^PMCOLLECT_/, "").toLowerCase().replaceAll("_", "-");
}
