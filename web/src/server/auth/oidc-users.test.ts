import { describe, expect, it } from "vitest";
import { nameFromClaim } from "./oidc-users.js";

describe("nameFromClaim", () => {
  it("makes a registry-namespace user name from a preferred user name or an email", () => {
    expect(nameFromClaim("Jane.Doe@example.com")).toBe("jane.doe");
    expect(nameFromClaim("jdoe")).toBe("jdoe");
    expect(nameFromClaim("Émile Zola")).toBe("mile-zola");
    expect(nameFromClaim("__x..y__")).toBe("x-y");
    expect(nameFromClaim("@@@")).toBe("user");
    expect(nameFromClaim("a".repeat(100))).toHaveLength(56);
  });
});
