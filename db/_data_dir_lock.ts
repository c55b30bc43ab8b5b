/**
 * One process per data directory: an exclusive `flock` on `<dataDir>/pmcollect.lock`, held
 * for the life of the embedded database. PGlite has no locking of its own; two daemons on one
 * directory both started, both reported healthy, and corrupted it (duplicate primary keys), and
 * `status` beside a running daemon read stale pages and then aborted PGlite. A second process
 * now stops at once with a message naming the directory and the process holding it (the lock
 * file holds that process's pid, command and start time). The kernel drops the lock when the
 * holder exits, even on SIGKILL, so a stale file never blocks a start.
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

/** A held lock; `release` is idempotent. */
export interface DataDirLock {
  readonly path: string;
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
    file = await Deno.open(path, { read: true, write: true, create: true });
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
  const note = JSON.stringify({
    pid: Deno.pid,
    command: options.command ?? "pmcollect",
    startedAt: new Date().toISOString(),
  });
  await file.truncate(0);
  await file.write(new TextEncoder().encode(note + "\n"));
  let held = true;
  return {
    path,
    release: () => {
      if (!held) return;
      held = false;
      file.close(); // closing the descriptor drops the flock
    },
  };
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
