import { describe, expect, it } from "vitest";
import { hashPassword, randomSecret, sha256Hex, verifyPassword } from "./crypto.js";

describe("passwords", () => {
  it("verifies the right password and refuses others", async () => {
    const stored = await hashPassword("correct horse battery");
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPassword("correct horse battery", stored)).toBe(true);
    expect(await verifyPassword("correct horse batterY", stored)).toBe(false);
    expect(await verifyPassword("", stored)).toBe(false);
  });
  it("salts: one password hashes differently each time", async () => {
    expect(await hashPassword("same-password")).not.toBe(await hashPassword("same-password"));
  });
  it("refuses accounts without a password and malformed hashes", async () => {
    expect(await verifyPassword("anything", null)).toBe(false);
    expect(await verifyPassword("anything", "plain$text")).toBe(false);
  });
});

describe("secrets", () => {
  it("are prefixed, 32 random bytes, base64url", () => {
    const t = randomSecret("berth_");
    expect(t).toMatch(/^berth_[A-Za-z0-9_-]{43}$/);
    expect(randomSecret("berth_")).not.toBe(t);
    expect(sha256Hex(t)).toMatch(/^[0-9a-f]{64}$/);
  });
});
