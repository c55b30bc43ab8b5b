import assert from "node:assert/strict";
import { migrate, MigrationError, migrationStatus } from "../db/migrate.ts";
import { MIGRATIONS } from "../migrations/bundle.ts";
import { silentLogger } from "../runtime/log.ts";
import { BACKENDS, createTestDatabase, withDatabase } from "./_db.ts";
import postgres from "postgres";

const log = silentLogger();
const TABLES = [
  "events",
  "markets",
  "tokens",
  "price_snapshots",
  "book_snapshots",
  "trades",
  "quotes",
  "resolutions",
  "collector_runs",
  "gaps",
  "rejects",
  "price_ohlc_1h",
  "price_ohlc_1d",
  "trade_volume_1h",
];

for (const backend of BACKENDS) {
  Deno.test(`migrate() creates every table and view on ${backend}, and a re-run is a no-op`, () =>
    withDatabase(backend, async (db) => {
      const first = await migrate(db.sql, { log, timescale: "auto" });
      assert.equal(first.mode, "plain");
      assert.deepEqual(first.applied, MIGRATIONS.map((m) => m.version));
      for (const table of TABLES) {
        const [row] = await db.sql`select to_regclass(${table}) is not null as ok`;
        assert.equal(row?.ok, true, `${table} exists`);
      }
      const second = await migrate(db.sql, { log, timescale: "auto" });
      assert.deepEqual(second.applied, []);
      const status = await migrationStatus(db.sql);
      assert.equal(status.mode, "plain");
      assert.ok(status.migrations.every((m) => m.state === "applied"));
    }));

  Deno.test(`migrate() refuses a changed applied migration on ${backend}`, () =>
    withDatabase(backend, async (db) => {
      await migrate(db.sql, { log, timescale: "auto" });
      const tampered = MIGRATIONS.map((m) =>
        m.version === 1
          ? { ...m, sql: { plain: m.sql.plain + "\n-- edited", timescale: m.sql.timescale } }
          : m
      );
      await assert.rejects(
        migrate(db.sql, { log, timescale: "auto", migrations: tampered }),
        (err: unknown) =>
          err instanceof MigrationError && /changed after it was applied/.test(err.message),
      );
    }));
}

Deno.test("migrationStatus() lists pending migrations before the first run", () =>
  withDatabase("server", async (db) => {
    const status = await migrationStatus(db.sql);
    assert.equal(status.mode, null);
    assert.deepEqual(status.migrations.map((m) => m.state), MIGRATIONS.map(() => "pending"));
    assert.match(status.migrations[0]?.checksum ?? "", /^[0-9a-f]{64}$/);
  }));

Deno.test("migrate() refuses a database with a migration this program does not know", () =>
  withDatabase("server", async (db) => {
    await migrate(db.sql, { log, timescale: "auto" });
    await db.sql`insert into schema_migrations (version, name, checksum, mode)
                 values (999, 'future', 'x', 'plain')`;
    await assert.rejects(migrate(db.sql, { log, timescale: "auto" }), /does not know/);
  }));

Deno.test("migrate() with PMCOLLECT_TIMESCALE=require fails clearly without TimescaleDB", () =>
  withDatabase("server", async (db) => {
    await assert.rejects(migrate(db.sql, { log, timescale: "require" }), /TimescaleDB is required/);
  }));

Deno.test("two processes migrating at once apply each migration exactly once", async () => {
  const db = await createTestDatabase("server");
  const pools = [0, 1, 2].map(() => postgres(db.url!, { max: 2, onnotice: () => {} }));
  try {
    const results = await Promise.all(pools.map((sql) => migrate(sql, { log, timescale: "off" })));
    const applied = results.flatMap((r) => r.applied).sort();
    assert.deepEqual(applied, MIGRATIONS.map((m) => m.version).sort());
    const rows = await db.sql`select version from schema_migrations order by version`;
    assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version));
  } finally {
    await Promise.all(pools.map((sql) => sql.end()));
    await db.dispose();
  }
});

Deno.test("the migration bundle lists exactly the files in migrations/", async () => {
  const dir = new URL("../migrations/", import.meta.url);
  const onDisk: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.endsWith(".sql")) onDisk.push(entry.name);
  }
  assert.deepEqual(MIGRATIONS.flatMap((m) => m.files).sort(), onDisk.sort());
  for (const m of MIGRATIONS) {
    for (const file of m.files) {
      const text = await Deno.readTextFile(new URL(file, dir));
      const mode = file.includes(".timescale.") ? "timescale" : "plain";
      assert.equal(m.sql[mode], text, `${file} is bundled verbatim`);
    }
  }
});
