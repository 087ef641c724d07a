import type { ReactNode } from "react";
import { SiteFrame } from "./SiteFrame";

/** `/teams`, `/tokens`, `/hosts`: the account's pages, in the same shell as the team pages. */
export default function SiteLayout({ children }: { children: ReactNode }) {
  return <SiteFrame>{children}</SiteFrame>;
}
