import { describe, expect, it } from "vitest";
import { renderTemplate, TemplateError } from "./go-template-eval.js";

const c = {
  Id: "abc",
  Name: "/web",
  State: { Status: "running", Running: true, Pid: 42 },
  Config: { Cmd: ["sh", "-c", "x"], Labels: { b: "2", a: "1" }, Env: null },
  NetworkSettings: { Networks: { bridge: { IPAddress: "10.0.0.2" }, app: { IPAddress: "10.1.0.2" } } },
};

describe("renderTemplate (docker inspect -f)", () => {
  it("follows field chains and prints values as Go does", () => {
    expect(renderTemplate("{{.State.Status}} {{.State.Pid}} {{.State.Running}}", c)).toBe("running 42 true");
    expect(renderTemplate("{{.Config.Cmd}} {{.Config.Labels}} {{.Config.Env}} {{.Nope}}", c)).toBe("[sh -c x] map[a:1 b:2] <nil> <no value>");
  });
  it("has json, index, range, if/else, with, variables and pipelines", () => {
    expect(renderTemplate("{{json .State}}", c)).toBe('{"Status":"running","Running":true,"Pid":42}');
    expect(renderTemplate('{{index .Config.Labels "a"}}', c)).toBe("1");
    expect(renderTemplate("{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", c)).toBe("10.1.0.2 10.0.0.2 ");
    expect(renderTemplate("{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}", c)).toBe("a=1;b=2;");
    expect(renderTemplate("{{if .State.Running}}up{{else}}down{{end}}", c)).toBe("up");
    expect(renderTemplate('{{if eq .State.Status "exited"}}x{{else if .State.Running}}y{{else}}z{{end}}', c)).toBe("y");
    expect(renderTemplate("{{with .State}}{{.Pid}}{{end}}", c)).toBe("42");
    expect(renderTemplate("{{.Name | upper}} {{len .Config.Cmd}} {{join .Config.Cmd \",\"}}", c)).toBe("/WEB 3 sh,-c,x");
    expect(renderTemplate("{{$.Id}}{{range .Config.Cmd}}-{{$.Id}}{{end}}", c)).toBe("abc-abc-abc-abc");
    expect(renderTemplate('{{printf "%s:%d" .Id .State.Pid}}', c)).toBe("abc:42");
    expect(renderTemplate("a {{- .Id -}} b", c)).toBe("aabcb");
  });
  it("refuses what Go refuses, with Go's words", () => {
    expect(() => renderTemplate("{{nosuch .Id}}", c)).toThrow(TemplateError);
    expect(() => renderTemplate("{{.Nope.Deeper}}", c)).toThrow(/nil pointer evaluating/);
    expect(() => renderTemplate("{{if .Id}}", c)).toThrow(/no \{\{end\}\}/);
    expect(() => renderTemplate("{{.Id", c)).toThrow(/unclosed/);
  });
});
