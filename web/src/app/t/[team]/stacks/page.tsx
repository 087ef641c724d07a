import type { Metadata } from "next";
import { StacksList } from "../../../../components/stacks/StacksList";

export const metadata: Metadata = { title: "Stacks" };

export default function StacksPage() {
  return <StacksList />;
}
