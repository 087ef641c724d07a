import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { needsCertificate } from "./acme-renew.js";

let dir = "";
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-acme-renew-"));
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "90", "-subj", "/CN=a.example.com", "-keyout", path.join(dir, "a.key"), "-out", path.join(dir, "a.crt")], { stdio: "ignore" });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("when a certificate is renewed", () => {
  it("a missing or unreadable file needs one", async () => {
    expect(await needsCertificate(path.join(dir, "none.crt"))).toBe(true);
    fs.writeFileSync(path.join(dir, "bad.crt"), "not a certificate");
    expect(await needsCertificate(path.join(dir, "bad.crt"))).toBe(true);
  });

  it("a 90-day certificate is kept until 30 days before its end", async () => {
    const day = 24 * 3600_000;
    const now = Date.now();
    expect(await needsCertificate(path.join(dir, "a.crt"), now)).toBe(false);
    expect(await needsCertificate(path.join(dir, "a.crt"), now + 59 * day)).toBe(false);
    expect(await needsCertificate(path.join(dir, "a.crt"), now + 61 * day)).toBe(true);
  });
});
