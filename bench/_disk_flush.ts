/**
 * The disk's own flush, the floor under any durable write (issue 30's decision latency): an
 * 8 kB write, then `fdatasync`, timed `rounds` times in a file of its own, on the filesystem of
 * the PostgreSQL server's data directory when the server is local and says where that is (a
 * superuser's `show data_directory`), else in the system's temp folder. A commit with
 * `synchronous_commit = on` waits for the same kind of flush of the WAL, so its tail cannot be
 * below this one's; a decision that commits its intent first cannot be either.
 *
 * @example
 * ```ts ignore
 * import { diskFlush } from "./_disk_flush.ts";
 * const { p99, where } = await diskFlush({ near: "/var/lib/postgresql/15/main" });
 * ```
 */
import { dirname, join } from "node:path";

export interface DiskFlush {
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly rounds: number;
  /** Where the file was, in words for the report. */
  readonly where: string;
}

const BLOCK = 8192;
/** The probe rewrites the same 64 blocks (512 kB), as the WAL rewrites its current segment. */
const BLOCKS = 64;

/**
 * Times `rounds` write + fdatasync pairs (default 1,000). `near`: a directory whose filesystem
 * to probe (a temp folder is made beside it when its parent is writable).
 */
export async function diskFlush(
  options: { readonly near?: string | null; readonly rounds?: number } = {},
): Promise<DiskFlush> {
  const rounds = options.rounds ?? 1_000;
  const { dir, where } = await probeFolder(options.near ?? null);
  const path = join(dir, "flush_probe.bin");
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  const times: number[] = [];
  try {
    const block = new Uint8Array(BLOCK).fill(0x5a);
    for (let i = 0; i < rounds; i++) {
      await file.seek((i % BLOCKS) * BLOCK, Deno.SeekMode.Start);
      await file.write(block);
      const started = performance.now();
      await file.syncData();
      times.push(performance.now() - started);
    }
  } finally {
    file.close();
    await Deno.remove(dir, { recursive: true });
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  return { p50: at(0.5), p99: at(0.99), p999: at(0.999), max: times.at(-1)!, rounds, where };
}

async function probeFolder(near: string | null): Promise<{ dir: string; where: string }> {
  if (near !== null) {
    try {
      const dir = await Deno.makeTempDir({ dir: dirname(near), prefix: "pmcollect_flush_" });
      return { dir, where: `beside PostgreSQL's data directory (${near})` };
    } catch {
      // Not writable from here: the temp folder says less, but still something.
    }
  }
  const dir = await Deno.makeTempDir({ prefix: "pmcollect_flush_" });
  return { dir, where: `in ${dirname(dir)} (PostgreSQL's data directory not reachable)` };
}
