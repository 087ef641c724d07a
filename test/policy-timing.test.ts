import { describe, expect, it } from "vitest";
import { useInstance } from "./harness.js";

/**
 * Every tRPC and HTTP answer says what the policy cost the server (`Server-Timing: policy;dur=…`,
 * plus `audit;dur=…` when a change is audited): what bench/policy-cost.mjs reads.
 */
const b = useInstance();
const timing = (res: Response) => res.headers.get("server-timing") ?? "";
const auth = () => ({ authorization: `Bearer ${b.token}` });

describe("Server-Timing", () => {
  it("is on a tRPC query, and a mutation adds the audit write", async () => {
    const q = await fetch(`${b.url}/api/trpc/container.list?input=${encodeURIComponent("{}")}`, { headers: auth() });
    expect(q.status).toBe(200);
    expect(timing(q)).toMatch(/^auth;dur=\d+\.\d{3}, policy;dur=\d+\.\d{3}$/);
    const m = await fetch(`${b.url}/api/trpc/container.stop`, { method: "POST", headers: { ...auth(), "content-type": "application/json" }, body: JSON.stringify({ id: "nosuch" }) });
    expect(m.status).toBe(404);
    expect(timing(m)).toMatch(/^auth;dur=\d+\.\d{3}, policy;dur=\d+\.\d{3}, audit;dur=\d+\.\d{3}$/);
  });

  it("is on the streaming HTTP routes, refused or not", async () => {
    const run = await fetch(`${b.url}/api/v1/containers/run`, { method: "POST", headers: { ...auth(), "content-type": "application/json" }, body: JSON.stringify({ image: "busybox", cmd: ["true"], autoRemove: true }) });
    expect(run.status).toBe(200);
    expect(timing(run)).toMatch(/policy;dur=\d+\.\d{3}/);
    await run.text();
    const refused = await fetch(`${b.url}/api/images/save?name=busybox`, { headers: { ...auth(), "x-berth-team": "nosuch" } });
    expect(refused.status).toBe(404);
    expect(timing(refused)).toMatch(/policy;dur=\d+\.\d{3}/);
  });

  it("is absent when no policy was asked (health)", async () => {
    expect(timing(await fetch(`${b.url}/api/health`))).toBe("");
  });
});
