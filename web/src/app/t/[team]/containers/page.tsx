import type { Metadata } from "next";
import { Suspense } from "react";
import { ContainersList } from "../../../../components/containers/ContainersList";

export const metadata: Metadata = { title: "Containers" };

export default function ContainersPage() {
  // The filters live in the query string (shareable); reading it needs a Suspense boundary.
  return (
    <Suspense>
      <ContainersList />
    </Suspense>
  );
}
