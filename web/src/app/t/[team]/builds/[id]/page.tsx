import type { Metadata } from "next";
import { BuildDetail } from "../../../../../components/builds/BuildDetail";

export const metadata: Metadata = { title: "Build" };

export default function BuildPage() {
  return <BuildDetail />;
}
