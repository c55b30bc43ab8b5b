import assert from "node:assert/strict";
import { migrate, MigrationError, migrationStatus, type SchemaMode } from "../db/migrate.ts";
import { MIGRATIONS } from "../migrations/bundle.ts";
import { silentLogger } from "../runtime/log.ts";
import {
  type Backend,
  BACKENDS,
  createTestDatabase,
  EXPECT_TIMESCALE,
  withDatabase,
} from "./_db.ts";
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

/** The mode `timescale: "auto"` must pick: TimescaleDB only on a server that has it. */
function expectedMode(backend: Backend): SchemaMode {
  return backend === "server" && EXPECT_TIMESCALE ? "timescale" : "plain";
}

for (const backend of BACKENDS) {
  Deno.test(`migrate() creates every table and view on ${backend}, and a re-run is a no-op`, () =>
    withDatabase(backend, async (db) => {
      const first = await migrate(db.sql, { log, timescale: "auto" });
      assert.equal(first.mode, expectedMode(backend));
      assert.deepEqual(first.applied, MIGRATIONS.map((m) => m.version));
      for (const table of TABLES) {
        const [row] = await db.sql`select to_regclass(${table}) is not null as ok`;
        assert.equal(row?.ok, true, `${table} exists`);
      }
      const second = await migrate(db.sql, { log, timescale: "auto" });
      assert.deepEqual(second.applied, []);
      const status = await migrationStatus(db.sql);
      assert.equal(status.mode, expectedMode(backend));
      assert.ok(status.migrations.every((m) => m.state === "applied"));
    }));

  Deno.test(`migrate() refuses a changed applied migration on ${backend}`, () =>
    withDatabase(backend, async (db) => {
      const { mode } = await migrate(db.sql, { log, timescale: "auto" });
      assert.equal(mode, expectedMode(backend));
      // Edit the variant that ran: the other one's checksum is never compared.
      const tampered = MIGRATIONS.map((m) =>
        m.version === 1 ? { ...m, sql: { ...m.sql, [mode]: m.sql[mode] + "\n-- edited" } } : m
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

Deno.test({
  name: "migrate() with PMCOLLECT_TIMESCALE=require fails clearly without TimescaleDB",
  // Needs a server without TimescaleDB by definition; `deno task test:timescale` has it.
  ignore: EXPECT_TIMESCALE,
  fn: () =>
    withDatabase("server", async (db) => {
      await assert.rejects(
        migrate(db.sql, { log, timescale: "require" }),
        /TimescaleDB is required/,
      );
    }),
});

Deno.test({
  name: "migrate() with PMCOLLECT_TIMESCALE=require makes hypertables in the test's own schema",
  // The counterpart, run only by `deno task test:timescale` (a server with TimescaleDB).
  ignore: !EXPECT_TIMESCALE,
  fn: () =>
    withDatabase("server", async (db) => {
      const { mode } = await migrate(db.sql, { log, timescale: "require" });
      assert.equal(mode, "timescale");
      const rows = await db.sql`
        select hypertable_name from timescaledb_information.hypertables
        where hypertable_schema = ${db.schema} order by hypertable_name`;
      assert.deepEqual(
        rows.map((r) => r.hypertable_name),
        [
          "book_event_rows",
          "book_snapshot_data",
          "episodes",
          "price_snapshot_data",
          "quote_data",
          "trades",
        ],
      );
    }),
});

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
