import assert from "node:assert/strict";
import { databaseUrlProblem } from "./_database_url.ts";
import { ConfigError, loadConfig } from "./config.ts";

const PASSWORD = "Zq7#planted/secret";

Deno.test("databaseUrlProblem() accepts ordinary server and socket URLs", () => {
  assert.equal(databaseUrlProblem("postgres://app:s3cret@db.internal:5432/polymarket"), null);
  assert.equal(databaseUrlProblem("postgresql://app@127.0.0.1/test?sslmode=disable"), null);
  assert.equal(databaseUrlProblem("postgres://app:p%23ss@db/x"), null);
  assert.equal(databaseUrlProblem("postgres:///pm?host=/var/run/postgresql"), null);
  assert.equal(databaseUrlProblem("postgres://h1,h2:5432/db"), null);
});

Deno.test("loadConfig() refuses DATABASE_URLs the driver cannot parse, without quoting them", () => {
  const cases: [string, RegExp][] = [
    [`postgres://app:${PASSWORD}@db:5432/pm`, /percent-encode/],
    ["postgres://app:Zq7planted@db:port/pm", /not a valid URL.*port as a number/],
    ["postgres://app:Zq7planted@[::1/pm", /not a valid URL/],
    ["postgres://app:Zq7planted%zz@db/pm", /'%' not followed by two hex digits/],
    ["postgres://", /names no host/],
    ["postgres://app:Zq7planted@db:5432", /names no database/],
    ["mysql://app:Zq7planted@db/pm", /expected a postgres:\/\//],
  ];
  for (const [url, why] of cases) {
    let message = "";
    try {
      loadConfig({ DATABASE_URL: url });
    } catch (err) {
      assert.ok(err instanceof ConfigError, url);
      message = err.message;
    }
    assert.match(message, /^DATABASE_URL: /, url);
    assert.match(message, why, url);
    assert.equal(message.includes("Zq7"), false, `no secret in: ${message}`);
  }
});
