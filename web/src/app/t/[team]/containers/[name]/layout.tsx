import { Suspense, type ReactNode } from "react";
import { ContainerHeader } from "../../../../../components/containers/ContainerHeader";

/** A container's pages (overview, logs, stats, terminal, files) share its header and tab bar. */
export default function ContainerLayout({ children }: { children: ReactNode }) {
  return (
    <>
      {/* Separate boundaries: the header and the page hydrate as two pieces (see the shell). */}
      <Suspense>
        <ContainerHeader />
      </Suspense>
      <Suspense>{children}</Suspense>
    </>
  );
}
