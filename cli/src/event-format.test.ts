import { expect, it } from "vitest";
import { eventLine, formatEvent } from "./event-format.js";

const ev = {
  Type: "container",
  Action: "start",
  Actor: { ID: "abc", Attributes: { name: "foo", image: "busybox" } },
  time: 1795222923,
  timeNano: 1795222923123456800,
};

it("prints Docker's event line, attributes sorted", () => {
  expect(eventLine(ev)).toMatch(/^2026-11-21T01:02:03\.\d{9}Z container start abc \(image=busybox, name=foo\)$/);
  expect(eventLine({ ...ev, Actor: { ID: "abc", Attributes: {} } })).toMatch(/Z container start abc$/);
});

it("fills the usual --format templates", () => {
  expect(JSON.parse(formatEvent("{{json .}}", ev))).toEqual(ev);
  expect(formatEvent("{{.Type}} {{.Action}} {{.Actor.Attributes.name}}", ev)).toBe("container start foo");
  expect(formatEvent("{{json .Actor.Attributes}}", ev)).toBe('{"name":"foo","image":"busybox"}');
  expect(formatEvent("{{.Nope}}", ev)).toBe("<no value>");
});
