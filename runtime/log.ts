/**
 * One JSON line per event. This is the only module that writes to the console.
 *
 * @example
 * ```ts
 * import { createLogger } from "./log.ts";
 * const log = createLogger({ task: "prices" });
 * log.info("cycle_done", { rows: 186000, durationMs: 812 });
 * ```
 */

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A logger whose lines carry `fields` in addition to this one's. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** Lowest level written; default "info". */
  level?: LogLevel;
  /** Where lines go; default stdout via console.log. Tests pass a collector. */
  write?: (line: string) => void;
  /** Clock for the `ts` field; default Date.now. */
  now?: () => number;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
/** The keys every line owns; fields of the same name are written as `<key>Field`. */
const RESERVED = ["ts", "level", "event"] as const;

/** Creates a JSON-lines logger with `base` fields on every line. */
export function createLogger(base: LogFields = {}, options: LoggerOptions = {}): Logger {
  const min = RANK[options.level ?? "info"];
  // deno-lint-ignore no-console
  const write = options.write ?? ((line: string) => console.log(line));
  const now = options.now ?? Date.now;
  const emit = (level: LogLevel, event: string, fields?: LogFields) => {
    if (RANK[level] < min) return;
    const ts = new Date(now()).toISOString();
    const extra: LogFields = { ...base, ...fields };
    const line: LogFields = { ts, level, event, ...extra };
    // A field named like the line's own keys (a task report's disk `level`) must not change
    // the line's level, time or event: readers filter on them. Its value is kept renamed.
    for (const key of RESERVED) if (Object.hasOwn(extra, key)) line[`${key}Field`] = extra[key];
    Object.assign(line, { ts, level, event });
    write(JSON.stringify(line, replacer));
  };
  return {
    debug: (e, f) => emit("debug", e, f),
    info: (e, f) => emit("info", e, f),
    warn: (e, f) => emit("warn", e, f),
    error: (e, f) => emit("error", e, f),
    child: (fields) => createLogger({ ...base, ...fields }, options),
  };
}

/** Errors become `{name, message, cause}`; bigint becomes text. */
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return {
      name: value.name,
      message: value.message,
      ...(value.cause !== undefined ? { cause: describeCause(value.cause) } : {}),
    };
  }
  if (typeof value === "bigint") return value.toString();
  return value;
}

function describeCause(cause: unknown): unknown {
  return cause instanceof Error ? { name: cause.name, message: cause.message } : String(cause);
}

/** A logger that discards everything (for tests that do not inspect logs). */
export function silentLogger(): Logger {
  return createLogger({}, { write: () => {} });
}

/**
 * Writes plain text (command output such as `--help` or `migrate --status`, or a one-line
 * usage/config error) to stdout or stderr, outside the JSON log stream.
 */
export function printText(stream: "stdout" | "stderr", text: string): void {
  // deno-lint-ignore no-console
  (stream === "stdout" ? console.log : console.error)(text);
}
