import type { Metadata } from "next";
import { RepoView } from "./RepoView";

export async function generateMetadata({ params }: { params: Promise<{ repo: string[] }> }): Promise<Metadata> {
  const { repo } = await params;
  return { title: `${repo.map(decodeURIComponent).join("/")} · Registry` };
}

export default async function RepoPage({ params }: { params: Promise<{ repo: string[] }> }) {
  const { repo } = await params;
  return <RepoView name={repo.map(decodeURIComponent).join("/")} />;
}
