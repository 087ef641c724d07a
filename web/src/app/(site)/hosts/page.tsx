import type { Metadata } from "next";
import { HostsView } from "./HostsView";

export const metadata: Metadata = { title: "Hosts" };

export default function HostsPage() {
  return <HostsView />;
}
