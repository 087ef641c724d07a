import type { Metadata } from "next";
import { AllStats, type StatsSort } from "../../../../components/stats/AllStats";

export const metadata: Metadata = { title: "Stats · Berth" };

type Props = { params: Promise<{ team: string }>; searchParams: Promise<{ sort?: string }> };

export default async function TeamStatsPage({ params, searchParams }: Props) {
  const { team } = await params;
  const { sort } = await searchParams;
  const initial: StatsSort = sort === "memory" || sort === "name" ? sort : "cpu";
  return <AllStats team={decodeURIComponent(team)} initialSort={initial} />;
}
