"use client";
import { GitBranch, Workflow } from "lucide-react";
import { Tabs } from "../ui";
import { useTeamHref } from "../../lib/team";

/** A project's two views: its branches (previews) and its pipeline (environments and releases). */
export function ProjectTabs({ name }: { name: string }) {
  const href = useTeamHref();
  const base = href(`/projects/${encodeURIComponent(name)}`);
  return (
    <Tabs
      label={`Project ${name}`}
      items={[
        { href: base, label: "Branches", icon: <GitBranch size={14} />, exact: true },
        { href: `${base}/pipeline`, label: "Pipeline", icon: <Workflow size={14} /> },
      ]}
    />
  );
}
