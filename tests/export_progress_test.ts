/**
 * A day still in progress is never exported as if it were complete (issue 27): the export
 * refuses a day before its end plus the settling margin (export/day_complete.ts) and writes
 * nothing; `pmcollect export --until` beyond today leaves today out; and a manifest read
 * before its day was over (as earlier versions wrote for --until beyond today) is refused by
 * retention, then completed by the next export, which drops the day only once it verifies.
 */
import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { join } from "node:path";
import { withDatabase } from "./_db.ts";
import type { Sql } from "../db/client.ts";
import { DayInProgressError } from "../export/day_complete.ts";
import { exportPartition } from "../export/export_partition.ts";
import { readManifest } from "../export/manifest.ts";
import { dayPartition } from "../export/partition.ts";
import { applyRetention } from "../export/retention.ts";
import { main } from "../main.ts";
import { runExportCommand } from "../cli/export_command.ts";
import { loadConfig } from "../runtime/config.ts";
import { silentLogger } from "../runtime/log.ts";

const DAY = "2026-11-30";
const signal = new AbortController().signal;

async function seed(sql: Sql, days: readonly string[]): Promise<void> {
  await sql.unsafe(`create table probe (ts timestamptz not null, price numeric)`);
  for (const day of days) {
    await sql.unsafe(
      `insert into probe select $1::timestamptz + make_interval(mins => g * 90), g * 0.01
       from generate_series(0, 9) g`,
      [`${day}T00:00:00Z`],
    );
  }
}

async function entries(path: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(path)) names.push(e.name);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return names.sort();
}

async function withOut(fn: (out: string) => Promise<void>): Promise<void> {
  const out = await Deno.makeTempDir({ prefix: "pmcollect_export_progress_" });
  try {
    await fn(out);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}

Deno.test("exportPartition() refuses a day until its end plus the settling margin, writing nothing", async () => {
  await withDatabase("server", async (db) => {
    await seed(db.sql, [DAY]);
    await withOut(async (out) => {
      const p = dayPartition("probe", "ts", DAY);
      for (const at of ["2026-11-30T23:00:00Z", "2026-12-01T00:05:00Z"]) {
        await rejects(
          exportPartition(db.sql, p, { out, program: "test", signal, now: () => new Date(at) }),
          (err) =>
            err instanceof DayInProgressError && err.day === DAY &&
            err.completeAt.toISOString() === "2026-12-01T00:10:00.000Z",
        );
        assertEquals(await entries(out), []);
      }
      const complete = new Date("2026-12-01T00:10:00Z");
      const m = await exportPartition(db.sql, p, {
        out,
        program: "test",
        signal,
        now: () => complete,
      });
      assertEquals([m.rows, m.snapshotAt], [10, complete.toISOString()]);
    });
  });
});

Deno.test("pmcollect export --until after today exports the days that are over, not today", async () => {
  await withDatabase("server", async (db) => {
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.parse(today) - 86_400_000).toISOString().slice(0, 10);
    const tomorrow = new Date(Date.parse(today) + 86_400_000).toISOString().slice(0, 10);
    await seed(db.sql, [yesterday]);
    // Today's rows so far: the day is not over.
    await db.sql`insert into probe values (now() - interval '1 second', 0.5)`;
    await withOut(async (out) => {
      const env = { DATABASE_URL: db.url!, PMCOLLECT_LOG_LEVEL: "error" };
      const args = ["export", "--out", out, "--tables", "probe", "--since", yesterday];
      assertEquals(await main([...args, "--until", tomorrow], env), 0);
      const exported = await entries(join(out, "probe"));
      const settled = Date.now() >= Date.parse(`${today}T00:10:00Z`);
      assertEquals(exported, settled ? [`date=${yesterday}`] : []);
    });
  });
});

Deno.test("a manifest read before its day was over is refused by retention, then completed and dropped by pmcollect export", async () => {
  await withDatabase("server", async (db) => {
    await seed(db.sql, ["2026-11-28", DAY]);
    await withOut(async (out) => {
      await exportPartition(db.sql, dayPartition("probe", "ts", "2026-11-28"), {
        out,
        program: "test",
        signal,
      });
      // As an earlier version wrote it for --until beyond today: read at noon of the day,
      // with every row the day has now (rows may still have come after it).
      const folder = join(out, "probe", "date=2026-11-28");
      const manifest = (await readManifest(folder))!;
      const noon = "2026-11-28T12:00:00.000Z";
      await Deno.writeTextFile(
        join(folder, "_manifest.json"),
        JSON.stringify({ ...manifest, snapshotAt: noon, exportedAt: noon }),
      );
      const options = { out, retainDays: 1, now: new Date("2026-12-01T08:00:00Z"), signal };
      const refused = await applyRetention(db.sql, "probe", { ...options, dryRun: false });
      assertEquals(refused[0]?.action, "skipped");
      assertEquals(refused[0]?.staleDays, ["2026-11-28"]);
      assertEquals(
        refused[0]?.reason,
        `exported while the day was in progress (at ${noon}): export the day again`,
      );
      const [kept] = await db.sql<{ n: number }[]>`select count(*)::int as n from probe`;
      assertEquals(kept!.n, 20);

      const env = { DATABASE_URL: db.url!, PMCOLLECT_LOG_LEVEL: "error" };
      assertEquals(
        await main(["export", "--out", out, "--tables", "probe", "--retain-days", "1"], env),
        0,
      );
      const completed = (await readManifest(folder))!;
      assertEquals(completed.rows, 10);
      assertEquals(Date.parse(completed.snapshotAt!) > Date.parse("2026-11-29T00:10:00Z"), true);
      const [left] = await db.sql<{ n: number }[]>`select count(*)::int as n from probe`;
      assertEquals(left!.n, 0);
    });
  });
});

Deno.test("pmcollect export says why it exported nothing: no rows yet, or only today's", async () => {
  await withDatabase("server", async (db) => {
    await seed(db.sql, []);
    await withOut(async (out) => {
      const run = async () => {
        const lines: string[] = [];
        const code = await runExportCommand(loadConfig({ DATABASE_URL: db.url! }), {
          log: silentLogger(),
          signal,
          write: (l) => lines.push(l),
          args: ["--out", out, "--tables", "probe"],
          program: "pmcollect test",
        });
        return { code, lines };
      };
      assertEquals(await run(), { code: 0, lines: ["probe: nothing to export (no rows yet)"] });
      await db.sql`insert into probe values (now(), 0.5)`;
      const today = new Date().toISOString().slice(0, 10);
      const { code, lines } = await run();
      assertEquals(code, 0);
      assertEquals(lines.length, 1);
      assertEquals(
        lines[0]!.startsWith(`probe: nothing to export (its rows start on ${today}; a day is`),
        true,
        lines[0],
      );
      assertEquals(await entries(join(out, "probe")), []);
    });
  });
});
