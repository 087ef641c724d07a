import { describe, expect, it } from "vitest";
import { isFailedPrecondition } from "@berth/core";
import { formatCidr, intToIp, ipToInt, overlaps, parseCidr } from "./cidr.js";
import { allocateAddress, hostRoutes } from "./ipam.js";

describe("cidr", () => {
  it("parses, normalises and formats", () => {
    expect(formatCidr(parseCidr("10.30.7.9/24"))).toBe("10.30.7.0/24");
    expect(intToIp(ipToInt("172.17.0.1"))).toBe("172.17.0.1");
    expect(() => parseCidr("10.30.0.0")).toThrow(/CIDR/);
    expect(() => parseCidr("10.300.0.0/24")).toThrow(/IPv4/);
  });

  it("finds overlaps between different prefix lengths", () => {
    expect(overlaps(parseCidr("172.17.0.0/16"), parseCidr("172.17.5.0/24"))).toBe(true);
    expect(overlaps(parseCidr("172.17.0.0/16"), parseCidr("172.18.0.0/24"))).toBe(false);
  });
});

describe("ipam", () => {
  it("hands out the lowest free address, skipping the gateway and used ones", () => {
    const c = parseCidr("10.201.3.0/24");
    expect(allocateAddress(c, "10.201.3.1", [])).toBe("10.201.3.2");
    expect(allocateAddress(c, "10.201.3.1", ["10.201.3.2", "10.201.3.4"])).toBe("10.201.3.3");
  });

  it("reports an exhausted subnet as FailedPrecondition", () => {
    const c = parseCidr("10.201.3.0/30"); // .1 gateway, .2 the only host address
    let err: unknown;
    try {
      allocateAddress(c, "10.201.3.1", ["10.201.3.2"]);
    } catch (e) {
      err = e;
    }
    expect(isFailedPrecondition(err)).toBe(true);
  });

  it("reads this host's routes, including the loopback-free connected subnets", async () => {
    const routes = await hostRoutes();
    expect(routes.length).toBeGreaterThan(0);
    for (const r of routes) expect(r.prefix).toBeGreaterThan(0);
  });
});
