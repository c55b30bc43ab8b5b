/**
 * `numberReader` against DuckDB's own text of each value: integers, doubles, NULLs, and 128-bit
 * decimals on both of its paths (whole millionths, read from the bytes; anything else, through
 * the text).
 */
import assert from "node:assert/strict";
import { numberReader, openDuckDb } from "./_duckdb.ts";

Deno.test("numberReader() reads each numeric column as Number() reads its text", async () => {
  const duck = await openDuckDb();
  try {
    const columns = [
      "case when i % 7 = 0 then null else i - 2500 end::integer",
      "case when i % 5 = 0 then null else (i - 2500) / 3 end::double",
      // Whole millionths (the fast path), then values that are not (the text path).
      "((i * 7919) % 1000000 / 1000000)::decimal(38,18)",
      "case when i % 3 = 0 then null else 0.1234567 + i end::decimal(38,18)",
      "(i * 1e12 + 0.5)::decimal(38,18)",
    ];
    const query = `select ${columns.map((c, n) => `${c} as c${n}, (${c})::varchar as t${n}`)}
      from range(5000) r(i)`;
    let rows = 0;
    for await (const chunk of duck.chunks(query)) {
      for (let c = 0; c < columns.length; c++) {
        const read = numberReader(chunk.getColumnVector(2 * c));
        const text = chunk.getColumnVector(2 * c + 1);
        for (let row = 0; row < chunk.rowCount; row++) {
          const t = text.getItem(row);
          assert.equal(read(row), t === null ? null : Number(t), `column ${c}, row ${row}`);
        }
      }
      rows += chunk.rowCount;
    }
    assert.equal(rows, 5000);
  } finally {
    duck.close();
  }
});
