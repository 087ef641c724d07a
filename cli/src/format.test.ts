import { describe, expect, it } from "vitest";
import type { ContainerSummary, ImageSummary } from "./api.js";
import { containerStatus, ellipsis, goQuote, humanDuration, humanSize, idList, imagesTable, psTable, splitTag, table } from "./format.js";

const S = 1000, M = 60 * S, H = 60 * M, D = 24 * H;

describe("humanDuration (go-units)", () => {
  it.each([
    [0, "Less than a second"],
    [999, "Less than a second"],
    [1 * S, "1 second"],
    [3 * S, "3 seconds"],
    [59 * S, "59 seconds"],
    [60 * S, "About a minute"],
    [119 * S, "About a minute"],
    [2 * M, "2 minutes"],
    [59 * M, "59 minutes"],
    [60 * M, "About an hour"],
    [89 * M, "About an hour"],
    [90 * M, "2 hours"],
    [47 * H, "47 hours"],
    [48 * H, "2 days"],
    [13 * D, "13 days"],
    [14 * D, "2 weeks"],
    [59 * D, "8 weeks"],
    [60 * D, "2 months"],
    [729 * D, "24 months"],
    [730 * D, "2 years"],
  ])("%d ms → %s", (ms, want) => expect(humanDuration(ms)).toBe(want));
});

describe("humanSize (docker: decimal units, 3 significant digits)", () => {
  it.each([
    [0, "0B"],
    [123, "123B"],
    [999, "999B"],
    [1000, "1kB"],
    [12_345, "12.3kB"],
    [1_200_000, "1.2MB"],
    [4_261_550, "4.26MB"],
    [999_999, "1MB"],
    [77_800_000, "77.8MB"],
    [1_500_000_000, "1.5GB"],
  ])("%d → %s", (n, want) => expect(humanSize(n)).toBe(want));
});

describe("command column", () => {
  it("truncates to 20 characters with an ellipsis, then quotes like Go", () => {
    expect(ellipsis("sh -c 'exit 3'", 20)).toBe("sh -c 'exit 3'");
    expect(ellipsis("12345678901234567890", 20)).toBe("12345678901234567890");
    expect(ellipsis("123456789012345678901", 20)).toBe("1234567890123456789…");
    expect(goQuote('echo "hi"\n')).toBe('"echo \\"hi\\"\\n"');
    expect(goQuote("a\\b\x01…")).toBe('"a\\\\b\\x01…"');
  });
});

describe("table (tabwriter: minwidth 10, padding 3)", () => {
  it("pads every column but the last", () => {
    expect(table(["A", "LONG HEADER", "Z"], [["x", "y", "last"]])).toBe(
      "A         LONG HEADER   Z\n" + "x         y             last\n",
    );
  });
  it("counts characters, not UTF-16 units or bytes", () => {
    const out = table(["C", "D"], [["1234567890123…", "x"]]);
    expect(out.split("\n")[1]).toBe("1234567890123…   x");
  });
});

const now = Date.parse("2025-01-01T12:00:00Z");
const t = (msAgo: number) => new Date(now - msAgo).toISOString();
const container = (over: Partial<ContainerSummary>): ContainerSummary => ({
  id: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
  name: "brave_turing",
  image: "busybox",
  imageId: "sha256:aa",
  cmd: ["sh"],
  state: "created",
  exitCode: null,
  error: null,
  createdAt: t(10 * S),
  startedAt: null,
  finishedAt: null,
  publishes: false,
  ...over,
});

describe("ps", () => {
  it("prints docker's status strings", () => {
    expect(containerStatus(container({}), now)).toBe("Created");
    expect(containerStatus(container({ state: "running", startedAt: t(3 * S) }), now)).toBe("Up 3 seconds");
    expect(containerStatus(container({ state: "exited", exitCode: 0, finishedAt: t(5 * S) }), now)).toBe("Exited (0) 5 seconds ago");
    expect(containerStatus(container({ state: "exited", exitCode: 3, finishedAt: t(2 * H) }), now)).toBe("Exited (3) 2 hours ago");
  });

  it("lays out the table newest first with 12-char ids and quoted commands", () => {
    const out = psTable(
      [
        container({ id: "aaaaaaaaaaaaaaaaaaaa", name: "old", state: "exited", exitCode: 3, cmd: ["sh", "-c", "exit 3"], createdAt: t(M), startedAt: t(M), finishedAt: t(50 * S) }),
        container({ id: "bbbbbbbbbbbbbbbbbbbb", name: "web", state: "running", cmd: ["sleep", "1000000000000000000"], createdAt: t(4 * S), startedAt: t(3 * S) }),
      ],
      now,
    );
    expect(out).toBe(
      [
        'CONTAINER ID   IMAGE     COMMAND                  CREATED              STATUS                      PORTS     NAMES',
        'bbbbbbbbbbbb   busybox   "sleep 1000000000000…"   4 seconds ago        Up 3 seconds                          web',
        'aaaaaaaaaaaa   busybox   "sh -c exit 3"           About a minute ago   Exited (3) 50 seconds ago             old',
        '',
      ].join("\n"),
    );
  });

  it("-q prints ids only", () => {
    expect(idList([container({ id: "aaaaaaaaaaaaaaaaaaaa", createdAt: t(M) }), container({ id: "bbbbbbbbbbbbbbbb", createdAt: t(S) })])).toBe(
      "bbbbbbbbbbbb\naaaaaaaaaaaa\n",
    );
  });
});

describe("images", () => {
  it("splits repository and tag at the last colon after the last slash", () => {
    expect(splitTag("busybox:latest")).toEqual(["busybox", "latest"]);
    expect(splitTag("localhost:5000/team/app:1.2")).toEqual(["localhost:5000/team/app", "1.2"]);
    expect(splitTag("localhost:5000/app")).toEqual(["localhost:5000/app", "<none>"]);
  });

  it("prints one row per tag, <none> for untagged images", () => {
    const imgs: ImageSummary[] = [
      { id: "sha256:" + "f".repeat(64), tags: ["busybox:latest", "busybox:1.36"], size: 1_234_567, createdAt: t(2 * D) },
      { id: "sha256:" + "e".repeat(64), tags: [], size: 999, createdAt: t(3 * D) },
    ];
    expect(imagesTable(imgs, now)).toBe(
      [
        "REPOSITORY   TAG       IMAGE ID       CREATED      SIZE",
        "busybox      latest    ffffffffffff   2 days ago   1.23MB",
        "busybox      1.36      ffffffffffff   2 days ago   1.23MB",
        "<none>       <none>    eeeeeeeeeeee   3 days ago   999B",
        "",
      ].join("\n"),
    );
    expect(idList(imgs)).toBe("ffffffffffff\neeeeeeeeeeee\n");
  });
});
