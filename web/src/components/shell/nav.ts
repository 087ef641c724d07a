import { Activity, Blocks, Boxes, Container, Gauge, GitBranch, Hammer, HardDrive, Home, KeyRound, Layers, Network, ScrollText, Server, Settings, SquareTerminal, Users, Warehouse } from "lucide-react";
import type { LucideIcon } from "lucide-react";
import type { TeamAction } from "../../server/policy/roles";

export interface NavItem {
  /** Path under /t/<team> (team pages) or from the site root (site pages). */
  path: string;
  label: string;
  icon: LucideIcon;
  /** Hidden unless the role allows it (the page would only answer "forbidden"). */
  needs?: TeamAction;
  siteAdmin?: boolean;
}

/** Every section of DASHBOARD.md's URL scheme, grouped as a user looks for them. */
export const TEAM_NAV: { group: string; items: NavItem[] }[] = [
  {
    group: "Workloads",
    items: [
      { path: "", label: "Overview", icon: Home },
      { path: "/containers", label: "Containers", icon: Container },
      { path: "/stacks", label: "Stacks", icon: Blocks },
      { path: "/terminals", label: "Terminals", icon: SquareTerminal },
      { path: "/stats", label: "Stats", icon: Gauge },
    ],
  },
  {
    group: "Build and ship",
    items: [
      { path: "/projects", label: "Projects", icon: GitBranch },
      { path: "/images", label: "Images", icon: Layers },
      { path: "/builds", label: "Builds", icon: Hammer },
      { path: "/registry", label: "Registry", icon: Warehouse },
    ],
  },
  {
    group: "Resources",
    items: [
      { path: "/networks", label: "Networks", icon: Network },
      { path: "/volumes", label: "Volumes", icon: HardDrive },
    ],
  },
  {
    group: "Activity",
    items: [
      { path: "/events", label: "Events", icon: Activity },
      { path: "/audit", label: "Audit log", icon: ScrollText, needs: "audit.read" },
      { path: "/settings", label: "Team settings", icon: Settings },
    ],
  },
];

export const SITE_NAV: NavItem[] = [
  { path: "/teams", label: "Teams", icon: Users },
  { path: "/tokens", label: "API tokens", icon: KeyRound },
  { path: "/hosts", label: "Hosts", icon: Server, siteAdmin: true },
];

export const BrandIcon = Boxes;
