import type { Metadata } from "next";
import { ContainerStats } from "../../../../../../components/stats/ContainerStats";

type Params = { params: Promise<{ team: string; name: string }> };

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  const { name } = await params;
  return { title: `Stats · ${decodeURIComponent(name)} · Berth` };
}

export default async function ContainerStatsPage({ params }: Params) {
  const { name } = await params;
  return <ContainerStats container={decodeURIComponent(name)} />;
}
