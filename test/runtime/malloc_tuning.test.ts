import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { MALLOC_TUNABLES, OPT_OUT, TUNED_MARK, currentPlatform, needsReexec, reexecCommand, tunedEnv } from "../../src/node/malloc_tuning.js";

const glibcLinux = { os: "linux", glibc: "2.36" };
const ALL = MALLOC_TUNABLES.map(([k, v]) => `${k}=${v}`).join(":");

describe("malloc tuning re-exec decision", () => {
  it.each([
    ["plain glibc Linux", {}, glibcLinux, true],
    ["already re-executed", { [TUNED_MARK]: "1" }, glibcLinux, false],
    ["user opted out", { [OPT_OUT]: "1" }, glibcLinux, false],
    ["opt-out set to 0 does not opt out", { [OPT_OUT]: "0" }, glibcLinux, true],
    ["user already set all three", { GLIBC_TUNABLES: ALL }, glibcLinux, false],
    ["user set only one", { GLIBC_TUNABLES: "glibc.malloc.trim_threshold=0" }, glibcLinux, true],
    ["musl", {}, { os: "linux", glibc: undefined }, false],
    ["macOS", {}, { os: "darwin", glibc: undefined }, false],
  ] as const)("%s", (_, env, platform, want) => {
    expect(needsReexec(env, platform)).toBe(want);
  });

  it("tunedEnv merges with the user's GLIBC_TUNABLES, theirs winning, and marks the child", () => {
    expect(tunedEnv({ PATH: "/bin", X: undefined })).toEqual({ PATH: "/bin", GLIBC_TUNABLES: ALL, [TUNED_MARK]: "1" });
    const e = tunedEnv({ GLIBC_TUNABLES: "glibc.malloc.trim_threshold=0:glibc.cpu.x86_shstk=off" });
    expect(e.GLIBC_TUNABLES).toBe("glibc.malloc.trim_threshold=0:glibc.cpu.x86_shstk=off:glibc.malloc.mmap_threshold=4294967296");
    expect(needsReexec(e, glibcLinux)).toBe(false);
  });

  it("reexecCommand repeats node flags, script and arguments", () => {
    expect(reexecCommand({ execPath: "/usr/bin/node", execArgv: ["--enable-source-maps"], argv: ["/usr/bin/node", "/x/bin/nnx-gen.js", "run", "m.yaml"] }))
      .toEqual({ command: "/usr/bin/node", args: ["--enable-source-maps", "/x/bin/nnx-gen.js", "run", "m.yaml"] });
  });

  it("this machine is glibc Linux, and a child started with tunedEnv runs with the tunables", () => {
    const p = currentPlatform();
    if (p.os !== "linux" || p.glibc === undefined) return;
    const r = spawnSync(process.execPath, ["-e", "process.stdout.write(process.env.GLIBC_TUNABLES ?? '')"], { env: tunedEnv(process.env), encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("glibc.malloc.mmap_threshold=4294967296");
  });
});
