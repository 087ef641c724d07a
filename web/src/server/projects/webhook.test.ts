import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { verifyWebhook, webhookAction } from "./webhook.js";

const body = Buffer.from(JSON.stringify({ ref: "refs/heads/main" }));
const hex = (secret: string) => createHmac("sha256", secret).update(body).digest("hex");

describe("verifyWebhook", () => {
  it("accepts each forge's signature made with the secret, and refuses another secret's", () => {
    expect(verifyWebhook({ "x-hub-signature-256": `sha256=${hex("s3cret")}` }, body, "s3cret")).toEqual({ ok: true, forge: "github" });
    expect(verifyWebhook({ "x-gitea-signature": hex("s3cret"), "x-hub-signature-256": "sha256=0" }, body, "s3cret")).toEqual({ ok: true, forge: "gitea" });
    expect(verifyWebhook({ "x-gitlab-token": "s3cret" }, body, "s3cret")).toEqual({ ok: true, forge: "gitlab" });
    expect(verifyWebhook({ "x-hub-signature-256": `sha256=${hex("other")}` }, body, "s3cret").ok).toBe(false);
    expect(verifyWebhook({ "x-gitea-signature": hex("other") }, body, "s3cret").ok).toBe(false);
    expect(verifyWebhook({ "x-gitlab-token": "s3cre" }, body, "s3cret").ok).toBe(false);
    expect(verifyWebhook({}, body, "s3cret").ok).toBe(false);
  });

  it("refuses a signature of another body", () => {
    const sig = `sha256=${hex("s3cret")}`;
    expect(verifyWebhook({ "x-hub-signature-256": sig }, Buffer.from("{}"), "s3cret").ok).toBe(false);
  });
});

describe("webhookAction", () => {
  const pr = (head: string, action = "synchronize") => ({ action, number: 7, pull_request: { head: { repo: { full_name: head } }, base: { repo: { full_name: "acme/site" } } } });
  it("reads pushes as a sync, a fork's pull request as untrusted, a closed one as removal", () => {
    expect(webhookAction("github", { "x-github-event": "push" }, { ref: "refs/heads/x" })).toEqual({ kind: "sync" });
    expect(webhookAction("github", { "x-github-event": "ping" }, {})).toEqual({ kind: "ping" });
    expect(webhookAction("github", { "x-github-event": "pull_request" }, pr("acme/site"))).toEqual({ kind: "pull", ref: "refs/pull/7/head", branch: "pr-7", trusted: true });
    expect(webhookAction("gitea", { "x-gitea-event": "pull_request" }, pr("mallory/site"))).toEqual({ kind: "pull", ref: "refs/pull/7/head", branch: "pr-7", trusted: false });
    expect(webhookAction("github", { "x-github-event": "pull_request" }, pr("acme/site", "closed"))).toEqual({ kind: "pull-closed", branch: "pr-7" });
    expect(webhookAction("gitlab", { "x-gitlab-event": "Merge Request Hook" }, { object_attributes: { iid: 3, action: "open", source_project_id: 9, target_project_id: 1 } })).toEqual({ kind: "pull", ref: "refs/merge-requests/3/head", branch: "mr-3", trusted: false });
    expect(webhookAction("gitlab", { "x-gitlab-event": "Push Hook" }, {})).toEqual({ kind: "sync" });
  });
});
