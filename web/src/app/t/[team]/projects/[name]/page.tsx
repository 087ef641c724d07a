import type { Metadata } from "next";
import { ProjectDetail } from "../../../../../components/projects/ProjectDetail";

export const metadata: Metadata = { title: "Project" };

export default function ProjectPage() {
  return <ProjectDetail />;
}
