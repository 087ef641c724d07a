import type { ReactNode } from "react";
import { TRPCProvider } from "../../../lib/query";
import { Shell } from "../../../components/shell/Shell";

/**
 * Every team page: its own data provider (keyed by team, sending it in x-berth-team) inside the
 * shell. The team is part of the URL, so a link pasted in chat opens the same team's view.
 */
export default async function TeamLayout({ children, params }: { children: ReactNode; params: Promise<{ team: string }> }) {
  const team = decodeURIComponent((await params).team);
  return (
    <TRPCProvider key={team} team={team}>
      <Shell team={team}>{children}</Shell>
    </TRPCProvider>
  );
}
