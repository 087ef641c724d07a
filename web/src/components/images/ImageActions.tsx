"use client";
import { useState } from "react";
import { useRouter } from "next/navigation";
import { useQueryClient } from "@tanstack/react-query";
import { Play, Tag, Trash2, Upload } from "lucide-react";
import { useTRPC, useTRPCClient } from "../../lib/query";
import { teamHref, useRole, useTeamName } from "../../lib/team";
import { Button, ConfirmDialog, IconButton } from "../ui";
import { RunDialog } from "../containers/RunDialog";
import { TagDialog } from "./TagDialog";
import { TransferDialog } from "./TransferDialog";

/** An image's buttons, as the CLI's run, tag, push and rmi; each shown only to a role that may. */
export function ImageActions({ imageRef, compact, afterRemove }: { imageRef: string; compact?: boolean; afterRemove?: "list" }) {
  const { can } = useRole();
  const trpc = useTRPC();
  const client = useTRPCClient();
  const qc = useQueryClient();
  const router = useRouter();
  const team = useTeamName();
  const [open, setOpen] = useState<"run" | "tag" | "push" | "rm" | null>(null);
  const close = (o: boolean) => !o && setOpen(null);
  const btn = (key: "run" | "tag" | "push" | "rm", label: string, icon: React.ReactNode, primary = false) =>
    compact ? (
      <IconButton key={key} label={`${label} ${imageRef}`} icon={icon} onClick={() => setOpen(key)} data-testid={`image-${key}`} />
    ) : (
      <Button key={key} icon={icon} variant={key === "rm" ? "danger" : primary ? "primary" : "secondary"} onClick={() => setOpen(key)} data-testid={`image-${key}`}>
        {label}
      </Button>
    );
  return (
    <>
      <span className="btn-row">
        {can("container.run") && btn("run", "Run", <Play size={14} />, true)}
        {can("image.manage") && btn("tag", "Tag", <Tag size={14} />)}
        {can("image.push") && btn("push", "Push", <Upload size={14} />)}
        {can("image.manage") && btn("rm", "Delete", <Trash2 size={14} />)}
      </span>
      {open === "run" && <RunDialog open onOpenChange={close} image={imageRef} />}
      {open === "tag" && <TagDialog open onOpenChange={close} source={imageRef} />}
      {open === "push" && <TransferDialog mode="push" open onOpenChange={close} source={imageRef} />}
      <ConfirmDialog
        open={open === "rm"}
        onOpenChange={close}
        title={`Delete ${imageRef}?`}
        description="Removes this tag (berth rmi); the image goes when no tag or container uses it."
        confirmLabel="Delete"
        danger
        onConfirm={async () => {
          await client.image.remove.mutate({ ref: imageRef });
          await qc.invalidateQueries({ queryKey: trpc.image.pathKey() });
          if (afterRemove === "list") router.push(teamHref(team, "/images"));
        }}
      />
    </>
  );
}
