import type { Metadata } from "next";
import { NetworksView } from "./NetworksView";

export const metadata: Metadata = { title: "Networks" };

export default function NetworksPage() {
  return <NetworksView />;
}
