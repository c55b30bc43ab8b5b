import assert from "node:assert/strict";
import { flagName, type SettingKey, SETTINGS } from "../runtime/_settings.ts";

const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));

Deno.test("README documents every setting with its flag and default", () => {
  for (const [key, setting] of Object.entries(SETTINGS)) {
    const row = readme.split("\n").find((line) => new RegExp(`^\\| \`${key}\` +\\|`).test(line));
    assert.ok(row, `README has a row for ${key}`);
    assert.ok(row.includes(`\`--${flagName(key as SettingKey)}\``), `${key} row names its flag`);
    if (setting.default !== undefined && setting.default !== "") {
      assert.ok(row.includes(`\`${setting.default}\``), `${key} row shows default`);
    }
  }
});

Deno.test("README keeps the two commands that run the collector and the tests", async () => {
  assert.match(readme, /^deno task start$/m);
  assert.match(readme, /^deno task test$/m);
  const tasks = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)))
    .tasks as Record<string, string>;
  for (const task of ["start", "test", "bench", "check", "compile", "dev"]) {
    assert.ok(tasks[task], `deno.json has task ${task}`);
  }
});
