import type { Metadata } from "next";
import { TerminalList } from "../../../../components/terminal/TerminalList";

export const metadata: Metadata = { title: "Terminals · Berth" };

export default async function TerminalsPage({ params }: { params: Promise<{ team: string }> }) {
  const { team } = await params;
  return <TerminalList team={decodeURIComponent(team)} />;
}
