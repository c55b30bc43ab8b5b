import assert from "node:assert/strict";
import { readBuildCommit, readCheckoutCommit, VERSION, versionText } from "./build_info.ts";
import { helpText } from "./help.ts";

const SHA = "0123456789abcdef0123456789abcdef01234567";

Deno.test("readBuildCommit() prefers PMCOLLECT_BUILD_COMMIT and --version prints it", () => {
  const build = readBuildCommit({ PMCOLLECT_BUILD_COMMIT: "abc123" });
  assert.deepEqual(build, { commit: "abc123", from: "env" });
  assert.equal(versionText(build), `pmcollect ${VERSION} (abc123)`);
  assert.equal(versionText(undefined), `pmcollect ${VERSION} (commit unknown)`);
});

Deno.test("VERSION is a semantic version and the overview's first line states it", () => {
  assert.match(VERSION, /^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$/);
  assert.ok(helpText().startsWith(`pmcollect ${VERSION}:`), helpText().split("\n")[0]);
});

Deno.test("readBuildCommit() from source reads this checkout's HEAD, as git names it", async () => {
  const out = await new Deno.Command("git", {
    args: ["rev-parse", "--short=12", "HEAD"],
    cwd: new URL("../", import.meta.url),
    stdout: "piped",
    stderr: "null",
  }).output().catch(() => null);
  if (out === null || !out.success) return; // a copy without git: nothing to compare with
  const head = new TextDecoder().decode(out.stdout).trim();
  assert.deepEqual(readBuildCommit({}, { standalone: false }), { commit: head, from: "source" });
  assert.equal(versionText(readBuildCommit({})), `pmcollect ${VERSION} (${head}, source)`);
});

Deno.test("readCheckoutCommit() follows a branch ref, packed refs, a detached HEAD and a worktree", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const root = new URL(`file://${dir}/`);
    const git = `${dir}/.git`;
    Deno.mkdirSync(`${git}/refs/heads`, { recursive: true });
    Deno.writeTextFileSync(`${git}/HEAD`, "ref: refs/heads/main\n");
    assert.equal(readCheckoutCommit(root), undefined, "an unborn branch has no commit");
    Deno.writeTextFileSync(`${git}/packed-refs`, `# pack-refs\n${SHA} refs/heads/main\n`);
    assert.equal(readCheckoutCommit(root), SHA.slice(0, 12), "packed");
    const loose = "fedcba9876543210fedcba9876543210fedcba98";
    Deno.writeTextFileSync(`${git}/refs/heads/main`, `${loose}\n`);
    assert.equal(readCheckoutCommit(root), loose.slice(0, 12), "a loose ref wins over packed");
    Deno.writeTextFileSync(`${git}/HEAD`, `${SHA}\n`);
    assert.equal(readCheckoutCommit(root), SHA.slice(0, 12), "detached");

    // A worktree: .git is a file naming its git dir, whose commondir holds the refs.
    const tree = `${dir}/tree`;
    Deno.mkdirSync(`${git}/worktrees/tree`, { recursive: true });
    Deno.mkdirSync(tree);
    Deno.writeTextFileSync(`${tree}/.git`, `gitdir: ${git}/worktrees/tree\n`);
    Deno.writeTextFileSync(`${git}/worktrees/tree/HEAD`, "ref: refs/heads/main\n");
    Deno.writeTextFileSync(`${git}/worktrees/tree/commondir`, "../..\n");
    assert.equal(readCheckoutCommit(new URL(`file://${tree}/`)), loose.slice(0, 12));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("readBuildCommit() in a compiled binary reads the bundled stamp, not .git", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const root = new URL(`file://${dir}/`);
    Deno.mkdirSync(`${dir}/.git`);
    Deno.writeTextFileSync(`${dir}/.git/HEAD`, `${SHA}\n`);
    assert.equal(readBuildCommit({}, { standalone: true, root }), undefined, "no stamp");
    Deno.mkdirSync(`${dir}/dist`);
    Deno.writeTextFileSync(`${dir}/dist/build.json`, JSON.stringify({ commit: "abc123-dirty" }));
    const build = readBuildCommit({}, { standalone: true, root });
    assert.deepEqual(build, { commit: "abc123-dirty", from: "stamp" });
    assert.equal(versionText(build), `pmcollect ${VERSION} (abc123-dirty)`);
    // Run from source, a stamp left by an earlier compile is ignored: .git says the truth.
    assert.deepEqual(readBuildCommit({}, { standalone: false, root }), {
      commit: SHA.slice(0, 12),
      from: "source",
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
