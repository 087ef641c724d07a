import type { Metadata } from "next";
import { Suspense } from "react";
import { BuildsList } from "../../../../components/builds/BuildsList";

export const metadata: Metadata = { title: "Builds" };

export default function BuildsPage() {
  return (
    <Suspense>
      <BuildsList />
    </Suspense>
  );
}
