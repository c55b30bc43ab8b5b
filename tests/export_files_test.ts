/**
 * The export's folders and files follow the umask (issue 27: day folders were 0700, the mode
 * of Deno.makeTempDir): under umask 022 folders are 0755 and files 0644, under 027 0750 and
 * 0640. The umask is set for this process only while a test runs.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import process from "node:process";
import { join } from "node:path";
import { withDatabase } from "./_db.ts";
import { exportPartition } from "../export/export_partition.ts";
import { dayPartition } from "../export/partition.ts";

async function modes(out: string): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  const walk = async (dir: string, rel: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      const name = rel === "" ? entry.name : `${rel}/${entry.name}`;
      found[name] = ((await Deno.stat(path)).mode! & 0o777).toString(8);
      if (entry.isDirectory) await walk(path, name);
    }
  };
  await walk(out, "");
  return found;
}

for (const [umask, folder, file] of [[0o022, "755", "644"], [0o027, "750", "640"]] as const) {
  Deno.test(`exportPartition() under umask ${umask.toString(8).padStart(3, "0")} makes folders ${folder} and files ${file}`, async () => {
    await withDatabase("server", async (db) => {
      await db.sql.unsafe(`create table probe (ts timestamptz not null, price numeric);
        insert into probe select '2026-11-30'::timestamptz + make_interval(mins => g), g * 0.01
        from generate_series(1, 3) g`);
      const out = await Deno.makeTempDir({ prefix: "pmcollect_export_modes_" });
      const previous = process.umask(umask);
      try {
        const signal = new AbortController().signal;
        const p = dayPartition("probe", "ts", "2026-11-30");
        // Twice: the second export replaces the day's folder.
        for (let i = 0; i < 2; i++) {
          await exportPartition(db.sql, p, {
            out,
            program: "test",
            signal,
            partRows: 2,
            batchRows: 1,
          });
          assertEquals(await modes(out), {
            "probe": folder,
            "probe/date=2026-11-30": folder,
            "probe/date=2026-11-30/_manifest.json": file,
            "probe/date=2026-11-30/part-00000.parquet": file,
            "probe/date=2026-11-30/part-00001.parquet": file,
          });
        }
      } finally {
        process.umask(previous);
        await Deno.remove(out, { recursive: true });
      }
    });
  });
}
