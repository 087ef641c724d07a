"use client";
/** The current team (from the URL) and what the signed-in user's role there allows. */
import { useParams } from "next/navigation";
import { useQuery } from "@tanstack/react-query";
import { ROLE_ACTIONS, type Role, type TeamAction } from "../server/policy/roles";
import { useTRPC } from "./query";

/** The `[team]` of a /t/[team]/… URL. */
export function useTeamName(): string {
  const params = useParams<{ team?: string }>();
  return params.team ? decodeURIComponent(params.team) : "";
}

/** `/t/<team>` + path, for links inside the current team. */
export function useTeamHref(): (path?: string) => string {
  const team = useTeamName();
  return (path = "") => teamHref(team, path);
}

export function teamHref(team: string, path = ""): string {
  const p = path && !path.startsWith("/") ? `/${path}` : path;
  return `/t/${encodeURIComponent(team)}${p}`;
}

export interface TeamRole {
  team: string;
  role: Role | null;
  siteAdmin: boolean;
  /** Whether the role allows `action`; the server checks again, this only hides what would be refused. */
  can: (action: TeamAction) => boolean;
  loading: boolean;
}

/** The caller's role in the URL's team (trpc.team.current, sent with the team header). */
export function useRole(): TeamRole {
  const trpc = useTRPC();
  const team = useTeamName();
  const q = useQuery(trpc.team.current.queryOptions(undefined, { staleTime: 60_000 }));
  const role = (q.data?.role ?? null) as Role | null;
  return {
    team,
    role,
    siteAdmin: q.data?.siteAdmin ?? false,
    can: (action) => (role ? ROLE_ACTIONS[role].has(action) : false),
    loading: q.isPending,
  };
}

/** Remembered so `/` opens the team the user was last in. */
export const LAST_TEAM_KEY = "berth-last-team";
