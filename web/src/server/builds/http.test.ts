import { expect, it } from "vitest";
import { isInvalidArgument } from "@berth/core";
import { buildOptions } from "./http.js";

const u = (q: string) => new URL(`http://berth/api/builds?${q}`);

it("turns the query into build options, tags normalised", () => {
  expect(buildOptions(u("t=app&t=reg.example:5000/team/app:v2&f=sub/Dockerfile.dev&target=prod&build-arg=A=1&build-arg=B=x%3Dy&no-cache=1&network=none"))).toEqual({
    tags: ["app:latest", "reg.example:5000/team/app:v2"],
    dockerfile: "sub/Dockerfile.dev",
    target: "prod",
    buildArgs: { A: "1", B: "x=y" },
    noCache: true,
    network: "none",
  });
  expect(buildOptions(u(""))).toEqual({ tags: [], dockerfile: "Dockerfile", buildArgs: {}, noCache: false, network: "default" });
});

it("refuses a Dockerfile outside the context, a bad build arg or tag", () => {
  for (const q of ["f=../Dockerfile", "f=/etc/passwd", "build-arg=NOEQUALS", "t=Bad:Tag:x", "network=mynet"]) {
    let err: unknown;
    try {
      buildOptions(u(q));
    } catch (e) {
      err = e;
    }
    expect(isInvalidArgument(err), q).toBe(true);
  }
});
