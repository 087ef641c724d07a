import type { Metadata } from "next";
import { RegistryView } from "./RegistryView";

export const metadata: Metadata = { title: "Registry" };

export default function RegistryPage() {
  return <RegistryView />;
}
