/**
 * The stream recorder writes by COPY only where the server takes it: PGlite can sit behind a
 * URL (`deno task demo` serves it to the daemon), and COPY through its socket hangs.
 */
import assert from "node:assert/strict";
import { serverTakesCopy } from "../db/_copy.ts";
import { withDatabase } from "./_db.ts";

Deno.test("serverTakesCopy() is true on the PostgreSQL server", () =>
  withDatabase("server", async (db) => {
    assert.equal(await serverTakesCopy(db.sql), true);
  }));

Deno.test("serverTakesCopy() is false on PGlite, whatever URL reaches it", () =>
  withDatabase("embedded", async (db) => {
    assert.equal(await serverTakesCopy(db.sql), false);
  }));
