/**
 * Migration 0024 (issue 26): new packs' `data` is compressed with lz4 where the server has it,
 * the server's default elsewhere (the embedded PGlite), `pack_compression` says which, and a
 * pack reads back byte for byte either way.
 */
import assert from "node:assert/strict";
import { migrate } from "../db/migrate.ts";
import type { Queryable } from "../db/client.ts";
import { silentLogger } from "../runtime/log.ts";
import { BACKENDS, serverTimescale, withDatabase } from "./_db.ts";

/** Whether this server can compress a column with lz4, found without the migration. */
async function lz4Available(sql: Queryable): Promise<boolean> {
  try {
    await sql.unsafe(`create temporary table lz4_probe (b bytea compression lz4)`);
    await sql.unsafe(`drop table lz4_probe`);
    return true;
  } catch (error) {
    assert.match(String((error as Error).message), /lz4/);
    return false;
  }
}

for (const backend of BACKENDS) {
  Deno.test(`migration 0024 stores new packs with lz4 where the server has it on ${backend}`, () =>
    withDatabase(backend, async (db) => {
      await migrate(db.sql, { log: silentLogger(), timescale: serverTimescale(db) });
      const lz4 = await lz4Available(db.sql);
      // The server this suite runs on in CI (Debian's PostgreSQL) is built with lz4.
      if (backend === "server") assert.equal(lz4, true);
      const [compression] = await db.sql.unsafe<{ method: string }[]>(
        `select method from pack_compression`,
      );
      assert.equal(compression!.method, lz4 ? "lz4" : "default");

      // 6,000 bytes of varints that repeat: compressible by either method.
      const data = new Uint8Array(6_000).map((_, i) => (i * 7) % 120);
      await db.sql.unsafe(
        `insert into book_event_packs
           (token_key, session, conn, first_seq, last_seq, first_at, last_at, n, data)
         values (1, 1, 0, 1, 2, now(), now(), 2, $1)`,
        [data],
      );
      const [row] = await db.sql.unsafe<{ data: Uint8Array; how: string | null }[]>(
        `select data, pg_column_compression(data) as how from book_event_packs`,
      );
      assert.deepEqual(new Uint8Array(row!.data), data);
      assert.equal(row!.how, lz4 ? "lz4" : "pglz");
    }));
}
