import { Suspense } from "react";
import type { Metadata } from "next";
import { Pipeline } from "../../../../../../components/pipeline/Pipeline";

export const metadata: Metadata = { title: "Pipeline" };

export default function PipelinePage() {
  // The chosen environment lives in the query string (shareable); reading it needs a Suspense boundary.
  return (
    <Suspense>
      <Pipeline />
    </Suspense>
  );
}
