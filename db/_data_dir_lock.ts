/**
 * One process per data directory: an exclusive `flock` on `<dataDir>/pmcollect.lock`, held
 * for the life of the embedded database. PGlite has no locking of its own; two daemons on one
 * directory both started, both reported healthy, and corrupted it (duplicate primary keys), and
 * `status` beside a running daemon read stale pages and then aborted PGlite. A second process
 * now stops at once with a message naming the directory and the process holding it (the lock
 * file holds that process's pid, command and start time). The kernel drops the lock when the
 * holder exits, even on SIGKILL, so a stale file never blocks a start.
 *
 * The holder serves the database to other local processes: once it listens it adds the
 * loopback address and a password to the file (mode 0600, so only the directory's owner can
 * join), and `readDataDirHolder` gives them to `status`, `export` and the other commands.
 *
 * @example
 * ```ts ignore
 * import { lockDataDir } from "./_data_dir_lock.ts";
 * const lock = await lockDataDir("./data"); // throws DataDirLockedError when in use
 * lock.release();
 * ```
 */

/** Another process holds the data directory. */
export class DataDirLockedError extends Error {
  readonly dataDir: string;
  readonly holder: string;
  constructor(dataDir: string, holder: string) {
    super(
      `Cannot open the embedded database in ${dataDir}: it is in use by ${holder}. ` +
        "Stop that process first (one process per data directory), or run both against a " +
        "server with DATABASE_URL",
    );
    this.name = "DataDirLockedError";
    this.dataDir = dataDir;
    this.holder = holder;
  }
}

/** Where the holder serves the database, as published in the lock file. */
export interface ServedAddress {
  readonly host: string;
  readonly port: number;
  readonly password: string;
}

/** What the lock file says about the process holding the directory. */
export interface DataDirHolder {
  readonly pid: number;
  readonly command: string;
  readonly startedAt: string;
  /** Absent until the holder serves (or for a holder that does not). */
  readonly address?: ServedAddress;
}

/** A held lock; `release` is idempotent. */
export interface DataDirLock {
  readonly path: string;
  /** Adds the address other processes join at to the lock file. */
  publish(address: ServedAddress): Promise<void>;
  release(): void;
}

/**
 * Takes the exclusive lock on `dataDir` without waiting.
 * @throws {DataDirLockedError} when another process (or another open in this one) holds it.
 */
export async function lockDataDir(
  dataDir: string,
  options: { command?: string } = {},
): Promise<DataDirLock> {
  const path = `${dataDir}/pmcollect.lock`;
  let file: Deno.FsFile;
  try {
    await Deno.mkdir(dataDir, { recursive: true });
    file = await Deno.open(path, { read: true, write: true, create: true, mode: 0o600 });
  } catch (err) {
    throw new Error(
      `Cannot open the embedded database in ${dataDir}: cannot create ${path} ` +
        `(${(err as Error).name}: ${(err as Error).message}); is the directory writable?`,
      { cause: err },
    );
  }
  if (!(await file.tryLock(true))) {
    const holder = await Deno.readTextFile(path).catch(() => "");
    file.close();
    throw new DataDirLockedError(dataDir, describeHolder(holder));
  }
  // A file made by an older version may be world-readable: it is about to hold a password.
  if (Deno.build.os !== "windows") await Deno.chmod(path, 0o600).catch(() => {});
  const holder: DataDirHolder = {
    pid: Deno.pid,
    command: options.command ?? "pmcollect",
    startedAt: new Date().toISOString(),
  };
  const write = async (note: DataDirHolder) => {
    const bytes = new TextEncoder().encode(JSON.stringify(note) + "\n");
    await file.truncate(0);
    await file.seek(0, Deno.SeekMode.Start);
    let at = 0;
    while (at < bytes.length) at += await file.write(bytes.subarray(at));
  };
  await write(holder);
  let held = true;
  return {
    path,
    publish: (address) => held ? write({ ...holder, address }) : Promise.resolve(),
    release: () => {
      if (!held) return;
      held = false;
      file.close(); // closing the descriptor drops the flock
    },
  };
}

/**
 * The holder of `dataDir` as its lock file describes it, or null when there is no readable
 * description. Says nothing about whether the lock is held: call after `lockDataDir` refused.
 */
export async function readDataDirHolder(dataDir: string): Promise<DataDirHolder | null> {
  const text = await Deno.readTextFile(`${dataDir}/pmcollect.lock`).catch(() => "");
  try {
    const v = JSON.parse(text) as Partial<DataDirHolder> & { address?: Partial<ServedAddress> };
    if (typeof v.pid !== "number") return null;
    const a = v.address;
    const address = a !== undefined && typeof a.host === "string" &&
        typeof a.port === "number" && typeof a.password === "string"
      ? { host: a.host, port: a.port, password: a.password }
      : undefined;
    return {
      pid: v.pid,
      command: String(v.command ?? "pmcollect"),
      startedAt: String(v.startedAt ?? ""),
      ...(address === undefined ? {} : { address }),
    };
  } catch {
    return null; // written by nothing we know, or being rewritten
  }
}

function describeHolder(text: string): string {
  try {
    const v = JSON.parse(text) as { pid?: unknown; command?: unknown; startedAt?: unknown };
    if (typeof v.pid === "number") {
      const since = typeof v.startedAt === "string" ? `, since ${v.startedAt}` : "";
      return `process ${v.pid} (${String(v.command ?? "pmcollect")}${since})`;
    }
  } catch { /* written by nothing we know */ }
  return "another process";
}
