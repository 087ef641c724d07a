import { expect, it } from "vitest";
import { isInvalidArgument } from "@berth/core";
import { applyChanges } from "./import.js";

it("applies Dockerfile-style changes like docker import --change", () => {
  expect(
    applyChanges({ Env: ["A=1"] }, ['CMD ["sh", "-c", "echo hi"]', "ENTRYPOINT /init --x", "ENV A=2 B=\"two words\"", "ENV C 3", "WORKDIR /app", "USER 1000", "LABEL k=v", "EXPOSE 80 53/udp"]),
  ).toEqual({
    Cmd: ["sh", "-c", "echo hi"],
    Entrypoint: ["/bin/sh", "-c", "/init --x"],
    Env: ["A=2", "B=two words", "C=3"],
    WorkingDir: "/app",
    User: "1000",
    Labels: { k: "v" },
    ExposedPorts: { "80/tcp": {}, "53/udp": {} },
  });
  expect(isInvalidArgument((() => { try { applyChanges({}, ["RUN rm -rf /"]); } catch (e) { return e; } })())).toBe(true);
});
