import { describe, expect, it } from "vitest";
import { detectMirror } from "./bootstrap.js";

describe("detectMirror", () => {
  it("reads a deb822 .sources file and skips the security suite and other repositories", () => {
    const files = [
      { name: "google-cloud-sdk.list", text: "deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main\n" },
      {
        name: "debian.sources",
        text: [
          "Types: deb",
          "# http://snapshot.debian.org/archive/debian-security/20250520T000000Z",
          "URIs: http://deb.debian.org/debian-security",
          "Suites: bookworm-security",
          "Components: main",
          "",
          "Types: deb deb-src",
          "URIs: http://mirror.example.org/debian/",
          "Suites: bookworm bookworm-updates",
          "Components: main contrib",
          "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg",
        ].join("\n"),
      },
    ];
    expect(detectMirror(files)).toBe("http://mirror.example.org/debian");
  });

  it("reads one-line sources with options and comments, and skips disabled stanzas and deb-src", () => {
    expect(
      detectMirror([
        { name: "sources.list", text: "# deb http://old.example/debian bookworm main\ndeb-src http://src.example/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] https://m.example/debian trixie main non-free # comment\n" },
      ]),
    ).toBe("https://m.example/debian");
    expect(detectMirror([{ name: "x.sources", text: "Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\nComponents: main\nEnabled: no\n" }])).toBeUndefined();
  });

  it("ignores non-Debian suites, non-http URIs and files that are not apt sources", () => {
    expect(
      detectMirror([
        { name: "nodesource.sources", text: "Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\nComponents: main\n" },
        { name: "cd.list", text: "deb cdrom:[Debian]/ bookworm main\n" },
        { name: "debian.sources.disabled", text: "Types: deb\nURIs: http://a.example/debian\nSuites: bookworm\nComponents: main\n" },
      ]),
    ).toBeUndefined();
  });
});
