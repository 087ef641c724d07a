import type { Metadata } from "next";
import { VolumesView } from "./VolumesView";

export const metadata: Metadata = { title: "Volumes" };

export default function VolumesPage() {
  return <VolumesView />;
}
