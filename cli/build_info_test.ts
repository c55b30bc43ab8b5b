import assert from "node:assert/strict";
import { readBuildCommit } from "./build_info.ts";
import { versionText } from "./help.ts";

Deno.test("readBuildCommit() prefers PMCOLLECT_BUILD_COMMIT and --version prints it", () => {
  assert.equal(readBuildCommit({ PMCOLLECT_BUILD_COMMIT: "abc123" }), "abc123");
  assert.equal(
    versionText(readBuildCommit({ PMCOLLECT_BUILD_COMMIT: "abc123" })),
    "pmcollect 0.1.0 (abc123)",
  );
  const fallback = readBuildCommit({});
  assert.ok(fallback === undefined || /^[0-9a-f]{7,40}(-dirty)?$/.test(fallback), String(fallback));
});
