import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadSecretKey, mask, open, seal } from "./index.js";

const homes: string[] = [];
const home = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "berth-secrets-"));
  homes.push(d);
  return d;
};
afterEach(() => {
  for (const d of homes.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe("config secrets at rest", () => {
  it("makes one key readable by root only, and processes racing to make it agree", async () => {
    const h = home();
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadSecretKey(h)));
    expect(new Set(keys.map((k) => k.id)).size).toBe(1);
    expect(fs.statSync(path.join(h, "secrets.key")).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(h)).toEqual(["secrets.key"]);
  });

  it("seals and opens a value; the sealed form holds no plaintext and differs each time", async () => {
    const key = await loadSecretKey(home());
    const a = seal(key, "env:e1:DATABASE_URL", "postgres://u:hunter2@db/x");
    const b = seal(key, "env:e1:DATABASE_URL", "postgres://u:hunter2@db/x");
    expect(a).not.toBe(b);
    expect(a).not.toContain("hunter2");
    expect(open(key, "env:e1:DATABASE_URL", a)).toBe("postgres://u:hunter2@db/x");
  });

  it("refuses a value moved to another variable, a changed value, and one sealed with another key", async () => {
    const key = await loadSecretKey(home());
    const other = await loadSecretKey(home());
    const sealed = seal(key, "env:e1:TOKEN", "s3cret");
    expect(() => open(key, "env:e2:TOKEN", sealed)).toThrow(/does not open/);
    const at = sealed.length - 2;
    const flipped = sealed.slice(0, at) + (sealed[at] === "A" ? "B" : "A") + sealed.slice(at + 1);
    expect(() => open(key, "env:e1:TOKEN", flipped)).toThrow(/does not open/);
    expect(() => open(other, "env:e1:TOKEN", sealed)).toThrow(new RegExp(`sealed with key ${key.id}`));
    expect(() => open(key, "env:e1:TOKEN", "plain")).toThrow(/not a sealed value/);
  });

  it("refuses a key file others can read, or of the wrong size, saying how to fix it", async () => {
    const h = home();
    await loadSecretKey(h);
    fs.chmodSync(path.join(h, "secrets.key"), 0o644);
    await expect(loadSecretKey(h)).rejects.toThrow(/chmod 600/);
    fs.writeFileSync(path.join(h, "secrets.key"), "short", { mode: 0o600 });
    fs.chmodSync(path.join(h, "secrets.key"), 0o600);
    await expect(loadSecretKey(h)).rejects.toThrow(/not a 32-byte key/);
  });

  it("masks a value without telling its length", () => {
    expect(mask("a")).toBe(mask("a much longer secret value"));
    expect(mask("")).toBe("");
  });
});
