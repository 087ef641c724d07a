import type { ReactNode } from "react";
import { ContainerHeader } from "../../../../../components/containers/ContainerHeader";

/** A container's pages (overview, logs, stats, terminal, files) share its header and tab bar. */
export default function ContainerLayout({ children }: { children: ReactNode }) {
  return (
    <>
      <ContainerHeader />
      {children}
    </>
  );
}
