import type { Metadata } from "next";
import { ContainerTerminal } from "../../../../../../components/terminal/ContainerTerminal";

type Params = Promise<{ team: string; name: string }>;

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  const { name } = await params;
  return { title: `Terminal · ${decodeURIComponent(name)} · Berth` };
}

export default async function ContainerTerminalPage({ params }: { params: Params }) {
  const { team, name } = await params;
  return <ContainerTerminal team={decodeURIComponent(team)} name={decodeURIComponent(name)} />;
}
