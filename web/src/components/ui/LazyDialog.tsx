"use client";
import dynamic from "next/dynamic";
import type { DialogProps } from "./Dialog";

// Radix's dialog (focus trap, scroll lock, portal) loads when a dialog first opens, not with the page.
const DialogImpl = dynamic(() => import("./Dialog").then((m) => m.Dialog), { ssr: false });

/** A modal dialog; nothing is rendered (or loaded) while it is closed. */
export function Dialog(props: DialogProps) {
  return props.open ? <DialogImpl {...props} /> : null;
}
