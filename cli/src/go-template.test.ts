import { describe, expect, it } from "vitest";
import { formatRows } from "./go-template.js";

const rows = [
  { ID: "abc", Names: "web", Status: "Up 1 second", Label: (k: string) => ({ app: "x" })[k] ?? "" },
  { ID: "defghi", Names: "db", Status: "Exited (0) 1 second ago", Label: () => "" },
];
const headers = { ID: "CONTAINER ID", Names: "NAMES", Status: "STATUS" };

describe("formatRows", () => {
  it("renders fields, escapes and labels per row", () => {
    expect(formatRows("{{.ID}}\\t{{.Names}} {{.Label \"app\"}}", rows, headers)).toBe("abc\tweb x\ndefghi\tdb \n");
  });
  it("json . and json alone print each row as JSON, functions left out", () => {
    expect(formatRows("json", rows.slice(0, 1), headers)).toBe('{"ID":"abc","Names":"web","Status":"Up 1 second"}\n');
    expect(formatRows("{{json .Names}}", rows.slice(0, 1), headers)).toBe('"web"\n');
  });
  it("table: a header from the field names, columns aligned as docker's tabwriter", () => {
    expect(formatRows("table {{.ID}}\\t{{.Names}}", rows, headers)).toBe("CONTAINER ID   NAMES\nabc            web\ndefghi         db\n");
  });
  it("upper and lower", () => {
    expect(formatRows("{{upper .Names}}-{{lower .Status}}", rows.slice(0, 1), headers)).toBe("WEB-up 1 second\n");
  });
  it("refuses unknown functions and fields like Go's template", () => {
    expect(() => formatRows("{{nope .ID}}", rows, headers)).toThrow('function "nope" not defined');
    expect(() => formatRows("{{.Nope}}", rows, headers)).toThrow("can't evaluate field Nope");
    expect(() => formatRows("{{.ID", rows, headers)).toThrow(/unclosed action/);
  });
});
