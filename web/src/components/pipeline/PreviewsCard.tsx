"use client";
import Link from "next/link";
import { ExternalLink, GitBranch } from "lucide-react";
import { StatusDot } from "../ui";
import { branchDot } from "../projects/remote";
import type { BranchSummary } from "../../server/routers/_app";

/** The pipeline's first stage: every branch's preview (their own page is the project's Branches tab). */
export function PreviewsCard({ branches, branchesHref }: { branches: BranchSummary[]; branchesHref: string }) {
  const shown = branches.filter((b) => b.state !== "removed");
  return (
    <section className="pipeline-stage" aria-labelledby="stage-previews" data-testid="stage-previews">
      <header className="pipeline-stage-head">
        <h2 id="stage-previews">Previews</h2>
        <span className="badge">{shown.length === 1 ? "1 branch" : `${shown.length} branches`}</span>
      </header>
      {shown.length === 0 ? (
        <p className="muted" data-testid="previews-empty">
          Push a branch to the project: each one is built and deployed as a preview.
        </p>
      ) : (
        <ul className="pipeline-previews">
          {shown.map((b) => (
            <li key={b.name} data-testid="preview" data-branch={b.name}>
              <span className="pipeline-branch">
                <GitBranch size={13} aria-hidden="true" />
                <strong>{b.name}</strong>
              </span>
              <StatusDot state={branchDot(b.state)} label={b.state} />
              {b.url && b.state === "live" && (
                <a href={b.url} target="_blank" rel="noreferrer" className="pipeline-link" aria-label={`Open the preview of ${b.name}`}>
                  <ExternalLink size={13} aria-hidden="true" />
                </a>
              )}
            </li>
          ))}
        </ul>
      )}
      <Link prefetch={false} href={branchesHref} className="small">
        All branches and their logs
      </Link>
    </section>
  );
}
