import { execFileSync } from "node:child_process";
import fs from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "@berth/core";
import { CertStore, certCandidates } from "./certs.js";

let dir = "";
let server: tls.Server;
const store = () => new CertStore(dir, createLogger("test", "silent"), 0);

/** A self-signed certificate for `names` (the first is the CN), written as <file>.crt and <file>.key. */
function makeCert(file: string, names: string[]): void {
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", `/CN=${names[0]}`, "-addext", `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}`, "-keyout", path.join(dir, `${file}.key`), "-out", path.join(dir, `${file}.crt`)], { stdio: "ignore" });
}

/** The certificate's subject CN the server presents for `servername` (null: the handshake failed). */
function presented(servername: string): Promise<string | null> {
  return new Promise((resolve) => {
    const s = tls.connect({ port: (server.address() as AddressInfo).port, host: "127.0.0.1", servername, rejectUnauthorized: false }, () => {
      const cn = s.getPeerCertificate().subject?.CN ?? "";
      s.destroy();
      resolve(Array.isArray(cn) ? cn[0]! : cn);
    });
    s.on("error", () => resolve(null));
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-certs-"));
  makeCert("app.example.com", ["app.example.com"]);
  makeCert("_wildcard.example.com", ["*.example.com"]);
  const certs = store();
  server = tls.createServer({ SNICallback: certs.sniCallback }, (s) => s.end());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("TLS certificates from files, by SNI", () => {
  it("tries the exact name, then the wildcard of its parent; refuses odd names", () => {
    expect(certCandidates("App.Example.com.")).toEqual(["app.example.com", "_wildcard.example.com"]);
    expect(certCandidates("localhost")).toEqual(["localhost"]);
    expect(certCandidates("../etc/passwd")).toEqual([]);
    expect(certCandidates("a/b.example.com")).toEqual([]);
  });

  it("presents the exact certificate, else the parent's wildcard; no file: no handshake", async () => {
    expect(await presented("app.example.com")).toBe("app.example.com");
    expect(await presented("env--production--shop--acme.example.com")).toBe("*.example.com");
    expect(await presented("a.b.example.com")).toBe(null);
    expect(await presented("other.test")).toBe(null);
  });

  it("picks up a replaced certificate with no restart", async () => {
    makeCert("app.example.com", ["renewed.example.com", "app.example.com"]);
    expect(await presented("app.example.com")).toBe("renewed.example.com");
  });

  it("says which files are broken", async () => {
    fs.writeFileSync(path.join(dir, "broken.example.com.crt"), "not a certificate");
    fs.copyFileSync(path.join(dir, "app.example.com.key"), path.join(dir, "broken.example.com.key"));
    await expect(store().contextFor("broken.example.com")).rejects.toThrow(/broken\.example\.com\.crt .* is not a usable certificate and key/);
    await expect(store().contextFor("none.test")).rejects.toThrow(/no TLS certificate for none\.test: put none\.test\.crt and none\.test\.key/);
  });
});
