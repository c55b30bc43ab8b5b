/**
 * Writes dist/build.json (commit and build time) before `deno compile`, which bundles it so
 * that `pmcollect --version` names the commit it was built from. Run by the compile tasks.
 */
const git = await new Deno.Command("git", { args: ["rev-parse", "--short=12", "HEAD"] }).output();
const commit = git.success ? new TextDecoder().decode(git.stdout).trim() : "unknown";
const dirty = (await new Deno.Command("git", { args: ["status", "--porcelain"] }).output())
  .stdout.length > 0;
await Deno.mkdir(new URL("../dist/", import.meta.url), { recursive: true });
await Deno.writeTextFile(
  new URL("../dist/build.json", import.meta.url),
  JSON.stringify({
    commit: dirty ? `${commit}-dirty` : commit,
    builtAt: new Date().toISOString(),
  }) +
    "\n",
);
