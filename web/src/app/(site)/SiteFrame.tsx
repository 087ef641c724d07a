"use client";
import { useEffect, useState, type ReactNode } from "react";
import { useQuery } from "@tanstack/react-query";
import { TRPCProvider, useTRPC } from "../../lib/query";
import { LAST_TEAM_KEY } from "../../lib/team";
import { Shell } from "../../components/shell/Shell";

/**
 * The shell around the account pages: they belong to no team, but the side navigation and team
 * switcher show the team the user was last in (else their personal team), so the way back is one click.
 */
export function SiteFrame({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const [last, setLast] = useState<string | null | undefined>(undefined);
  useEffect(() => {
    try {
      setLast(localStorage.getItem(LAST_TEAM_KEY));
    } catch {
      setLast(null);
    }
  }, []);
  const teams = useQuery(trpc.team.list.queryOptions(undefined, { retry: false }));
  // Signed out: the shell sends the user to the sign-in form (it checks auth.status itself).
  const personal = teams.data?.find((t) => t.personal)?.name ?? teams.data?.[0]?.name;
  const team = last && teams.data?.some((t) => t.name === last) ? last : personal;
  if (last === undefined || (teams.isPending && !teams.isError)) return <main className="center muted">Loading…</main>;
  return (
    <TRPCProvider key={team ?? ""} team={team}>
      <Shell team={team ?? ""}>{children}</Shell>
    </TRPCProvider>
  );
}
