import type { Metadata } from "next";
import { Replay } from "../../../../../../components/terminal/Replay";

type Params = Promise<{ team: string; id: string }>;

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  const { id } = await params;
  return { title: `Replay ${id} · Berth` };
}

export default async function ReplayPage({ params }: { params: Promise<{ team: string; id: string }> }) {
  const { team, id } = await params;
  return <Replay team={decodeURIComponent(team)} id={id} />;
}
