/**
 * `berth image bootstrap debian:bookworm` against a real Berth and the host's Debian mirror
 * (read from its apt sources): debootstrap's progress streams to the CLI, the result runs as a
 * one-layer image, and a second bootstrap reuses it. Needs the mirror reachable; takes about
 * as long as one debootstrap --variant=minbase (a minute or two).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInstance, type Instance } from "./harness.js";

let b: Instance;
beforeAll(async () => {
  b = await startInstance();
});
afterAll(async () => {
  await b?.stop();
});

describe("image bootstrap", () => {
  it("makes debian:bookworm once with debootstrap, and it runs", async () => {
    const first = await b.berth(["image", "bootstrap", "debian:bookworm"], { timeoutMs: 900_000 });
    expect(first.code, `${first.stdout}\n${first.stderr}`).toBe(0);
    expect(first.stdout).toMatch(/^Bootstrapping debian:bookworm from https?:\/\//m);
    expect(first.stdout).toMatch(/^I: Base system installed successfully\./m);
    const id = /^debian:bookworm: (sha256:[0-9a-f]{64})$/m.exec(first.stdout)?.[1];
    expect(id).toBeDefined();

    const [img] = JSON.parse((await b.berth(["image", "inspect", "debian:bookworm"])).stdout);
    expect(img.Id).toBe(id);
    expect(img.RootFS.Layers).toHaveLength(1);
    expect(img.Config.Cmd).toEqual(["bash"]);

    const r = await b.berth(["run", "--rm", "debian:bookworm", "sh", "-c", "cat /etc/debian_version; . /etc/os-release; echo $VERSION_CODENAME; dpkg -s bash | grep '^Status'"], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^12\.\d+\nbookworm\nStatus: install ok installed\n$/);

    const again = await b.berth(["image", "bootstrap", "debian:bookworm"], { timeoutMs: 30_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(`debian:bookworm already made (berth rmi debian:bookworm to remake it)\ndebian:bookworm: ${id}\n`);
  }, 1_000_000);

  it("refuses what it cannot make", async () => {
    const r = await b.berth(["image", "bootstrap", "ubuntu:jammy"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/debian:<suite>/);
    const s = await b.berth(["image", "bootstrap", "debian:no-such-suite"]);
    expect(s.code).not.toBe(0);
    expect(s.stderr).toMatch(/does not know the suite/);
  });
});
