import { describe, expect, it } from "vitest";
import { parsePublish } from "./network.js";

describe("parsePublish (docker -p)", () => {
  it("reads every form Docker accepts", () => {
    expect(parsePublish("8080:80")).toEqual({ hostPort: 8080, containerPort: 80, protocol: "tcp" });
    expect(parsePublish("80")).toEqual({ hostPort: 0, containerPort: 80, protocol: "tcp" });
    expect(parsePublish("127.0.0.1:8080:80/udp")).toEqual({ hostIp: "127.0.0.1", hostPort: 8080, containerPort: 80, protocol: "udp" });
    expect(parsePublish("127.0.0.1::80")).toEqual({ hostIp: "127.0.0.1", hostPort: 0, containerPort: 80, protocol: "tcp" });
  });

  it("names what is wrong", () => {
    expect(() => parsePublish("8080:80/sctp")).toThrow(/unknown protocol "sctp"/);
    expect(() => parsePublish("x:80")).toThrow(/host port "x" is not a port number/);
    expect(() => parsePublish("8080:70000")).toThrow(/container port 70000 is out of range/);
    expect(() => parsePublish("a:b:c:d")).toThrow(/too many ':'/);
  });
});
