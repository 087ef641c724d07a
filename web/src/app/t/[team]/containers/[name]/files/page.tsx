import type { Metadata } from "next";
import { Suspense } from "react";
import { FileBrowser } from "../../../../../../components/containers/FileBrowser";

export const metadata: Metadata = { title: "Files" };

export default function FilesPage() {
  return (
    <Suspense>
      <FileBrowser />
    </Suspense>
  );
}
