import type { Metadata } from "next";
import { StackDetail } from "../../../../../components/stacks/StackDetail";

export const metadata: Metadata = { title: "Stack" };

export default function StackPage() {
  return <StackDetail />;
}
