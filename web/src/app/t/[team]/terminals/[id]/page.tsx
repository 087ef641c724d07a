import type { Metadata } from "next";
import { SessionPage } from "../../../../../components/terminal/SessionPage";

type Params = Promise<{ team: string; id: string }>;

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  const { id } = await params;
  return { title: `Terminal ${id} · Berth` };
}

export default async function TerminalSessionPage({ params }: { params: Params }) {
  const { team, id } = await params;
  return <SessionPage team={decodeURIComponent(team)} id={id} />;
}
