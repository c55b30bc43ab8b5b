/**
 * `deno task test:timescale` (scripts/test_timescale.ts) without a Docker engine must say so and
 * exit 3, never pass; its image must be the one deploy/docker-compose.yml runs. The Docker path
 * itself needs an engine and is not exercised here.
 */
import assert from "node:assert/strict";
import {
  DATABASE_SUITE,
  EXIT_NO_DOCKER,
  imageVersion,
  TIMESCALE_IMAGE,
} from "../scripts/test_timescale.ts";

const ROOT = new URL("../", import.meta.url);

async function hasDockerCli(): Promise<boolean> {
  try {
    return (await new Deno.Command("docker", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .output()).success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "test:timescale without a Docker engine exits 3 and says the suite did not run",
  // DOCKER_HOST points the real docker CLI at a socket that does not exist, so this holds on a
  // machine with an engine too. Without the CLI the script asks testcontainers, which would
  // also try the default socket, so there the premise cannot be forced.
  ignore: !(await hasDockerCli()),
  fn: async () => {
    const socket = `/nonexistent/pmcollect-${crypto.randomUUID()}/docker.sock`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["task", "test:timescale"],
      cwd: ROOT,
      env: { DOCKER_HOST: `unix://${socket}`, NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, EXIT_NO_DOCKER, stderr);
    assert.match(
      stderr,
      new RegExp(
        `^TimescaleDB suite NOT run: no Docker engine \\(docker version failed: .*${socket}.*\\)$`,
        "m",
      ),
    );
    assert.match(stderr, /^This is not a pass\./m);
    assert.doesNotMatch(stdout + stderr, /passed|starting timescale/);
  },
});

Deno.test("test:timescale runs the image tag that deploy/docker-compose.yml pins", async () => {
  const compose = await Deno.readTextFile(new URL("deploy/docker-compose.yml", ROOT));
  const images = [...compose.matchAll(/^\s*image:\s*(timescale\/\S+)\s*$/gm)].map((m) => m[1]);
  assert.deepEqual(images, [TIMESCALE_IMAGE]);
  assert.match(imageVersion(images[0]!), /^\d+\.\d+\.\d+$/);
});

Deno.test("test:timescale's suite lists files that exist and use the test database", async () => {
  for (const file of DATABASE_SUITE) {
    const text = await Deno.readTextFile(new URL(file, ROOT));
    assert.match(text, /from "(\.\.\/tests|\.)\/_db\.ts"/, `${file} uses tests/_db.ts`);
  }
});
