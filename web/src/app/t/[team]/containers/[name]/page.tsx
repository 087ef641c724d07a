import type { Metadata } from "next";
import { ContainerDetail } from "../../../../../components/containers/ContainerDetail";

export const metadata: Metadata = { title: "Container" };

export default function ContainerPage() {
  return <ContainerDetail />;
}
