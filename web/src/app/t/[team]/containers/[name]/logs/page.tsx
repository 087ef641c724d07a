import type { Metadata } from "next";
import { LogViewer } from "../../../../../../components/logs/LogViewer";

type Params = { params: Promise<{ team: string; name: string }> };

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  const { name } = await params;
  return { title: `Logs · ${decodeURIComponent(name)} · Berth` };
}

export default async function ContainerLogsPage({ params }: Params) {
  const { team, name } = await params;
  return <LogViewer team={decodeURIComponent(team)} container={decodeURIComponent(name)} />;
}
