"use client";
import Link from "next/link";
import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { Download, Hammer, Layers } from "lucide-react";
import { useTRPC } from "../../lib/query";
import { teamHref, useRole, useTeamName } from "../../lib/team";
import { formatAgo, formatSize, shortId } from "../../lib/format";
import { Button, ButtonLink, Card, EmptyState, ErrorBox, Loading, PageHeader, Table } from "../ui";
import { useLiveRefresh } from "../shell/live";
import { ImageActions } from "./ImageActions";
import { TransferDialog } from "./TransferDialog";

export const imageHref = (team: string, ref: string) => teamHref(team, `/images/${ref.split("/").map(encodeURIComponent).join("/")}`);

/** `/t/[team]/images`: the team's images (and the shared bases) with their tags and sizes. */
export function ImagesList() {
  const trpc = useTRPC();
  const team = useTeamName();
  const { can } = useRole();
  const [pullOpen, setPullOpen] = useState(false);
  const list = useQuery(trpc.image.list.queryOptions());
  useLiveRefresh(() => void list.refetch(), (e) => e.type.startsWith("image."));
  const rows = (list.data ?? []).flatMap((img) => (img.tags.length ? img.tags.map((t) => ({ img, ref: t })) : [{ img, ref: "" }]));
  const total = (list.data ?? []).reduce((n, i) => n + i.size, 0);
  return (
    <>
      <PageHeader
        title="Images"
        subtitle={list.data ? `${list.data.length} images, ${formatSize(total)}` : undefined}
        actions={
          <>
            {can("image.build") && (
              <ButtonLink href={teamHref(team, "/builds?new=1")} icon={<Hammer size={14} />}>
                Build
              </ButtonLink>
            )}
            {can("image.pull") && (
              <Button variant="primary" icon={<Download size={14} />} onClick={() => setPullOpen(true)} data-testid="pull-open">
                Pull
              </Button>
            )}
          </>
        }
      />
      <Card>
        {list.isError ? (
          <ErrorBox title="Cannot list images" error={list.error} onRetry={() => void list.refetch()} />
        ) : !list.data ? (
          <Loading />
        ) : rows.length === 0 ? (
          <EmptyState icon={<Layers size={32} />} title="No images yet" command="berth pull 127.0.0.1:3000/team/app:latest" action={can("image.pull") && <Button onClick={() => setPullOpen(true)}>Pull an image</Button>}>
            Pull one, build one from a Dockerfile, or load one with berth load.
          </EmptyState>
        ) : (
          <Table caption="Images" data-testid="images-table">
            <thead>
              <tr>
                <th scope="col">Tag</th>
                <th scope="col">Image id</th>
                <th scope="col" className="num">Size</th>
                <th scope="col">Created</th>
                <th scope="col" className="num">
                  Actions
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map(({ img, ref }) => (
                <tr key={`${img.id}-${ref}`} data-testid="image-row" data-ref={ref}>
                  <td>{ref ? <Link href={imageHref(team, ref)}>{ref}</Link> : <Link href={imageHref(team, img.id)} className="muted">&lt;none&gt;</Link>}</td>
                  <td className="mono muted">{shortId(img.id)}</td>
                  <td className="num">{formatSize(img.size)}</td>
                  <td className="nowrap">{formatAgo(img.createdAt)}</td>
                  <td className="actions">
                    <ImageActions imageRef={ref || img.id} compact />
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </Card>
      {pullOpen && <TransferDialog mode="pull" open onOpenChange={setPullOpen} />}
    </>
  );
}
