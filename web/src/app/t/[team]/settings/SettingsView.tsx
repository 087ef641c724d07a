"use client";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../../../lib/query";
import { useRole } from "../../../../lib/team";
import { Badge, ErrorBox, Loading, PageHeader } from "../../../../components/ui";
import { Members } from "./Members";
import { Invitations } from "./Invitations";
import { QuotaCard } from "./QuotaCard";
import { FreezeCard } from "./FreezeCard";
import { DangerZone } from "./DangerZone";
import "../../../admin-pages.css";

/** `/t/[team]/settings`: members and roles, invitations, quotas, the idle freeze; the owner's hand-over and delete. */
export function SettingsView() {
  const trpc = useTRPC();
  const role = useRole();
  const current = useQuery(trpc.team.current.queryOptions(undefined, { staleTime: 60_000 }));
  if (current.isError) return <ErrorBox title={`Cannot open team ${role.team}`} error={current.error} onRetry={() => void current.refetch()} />;
  if (current.isPending || role.loading) return <Loading />;
  const t = current.data;
  return (
    <>
      <PageHeader
        title="Team settings"
        badge={t.personal ? <Badge>personal</Badge> : undefined}
        subtitle={
          <>
            Team <strong>{t.name}</strong>: you are {role.role ? <strong data-testid="my-role">{role.role}</strong> : "not a member"}
            {role.siteAdmin ? " (and the site admin)" : ""}.
          </>
        }
      />
      {t.personal && <p className="muted">This is your personal team: only you are in it. To work with others, create a team on the Teams page and invite them there.</p>}
      <div className="stack">
        <Members personal={t.personal} />
        {!t.personal && role.can("team.invite") && <Invitations />}
        <QuotaCard />
        <FreezeCard />
        {!t.personal && (role.can("team.delete") || role.can("team.transfer")) && <DangerZone />}
      </div>
    </>
  );
}
