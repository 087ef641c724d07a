"use client";
import { useParams } from "next/navigation";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../lib/query";
import { teamHref, useTeamName } from "../../lib/team";
import { formatAgo, formatCmd, formatSize, shortId } from "../../lib/format";
import { Card, ErrorBox, KeyValues, Loading, PageHeader, Table } from "../ui";
import { ImageActions } from "./ImageActions";

interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: string;
  Architecture: string;
  Os: string;
  Size: number;
  Author: string;
  Config: { Env?: string[] | null; Cmd?: string[] | null; Entrypoint?: string[] | null; WorkingDir?: string; User?: string; ExposedPorts?: Record<string, unknown> | null; Volumes?: Record<string, unknown> | null; Labels?: Record<string, string> | null };
  RootFS: { Layers: string[] };
}

/** The image reference from `/images/[...ref]`. */
export function useImageRef(): string {
  const p = useParams<{ ref: string[] }>();
  return (p.ref ?? []).map(decodeURIComponent).join("/");
}

/** `/t/[team]/images/[...ref]`: tags, config, layers and history of one image. */
export function ImageDetail() {
  const trpc = useTRPC();
  const team = useTeamName();
  const ref = useImageRef();
  const inspect = useQuery(trpc.image.inspect.queryOptions({ refs: [ref] }));
  const history = useQuery(trpc.image.history.queryOptions({ ref }));
  const img = inspect.data?.[0] as ImageInspect | undefined;
  return (
    <>
      <PageHeader crumbs={[{ href: teamHref(team, "/images"), label: "Images" }]} title={ref} subtitle={img && <span className="mono">{shortId(img.Id)}</span>} actions={<ImageActions imageRef={ref} afterRemove="list" />} />
      {inspect.isError ? (
        <ErrorBox title={`Cannot inspect ${ref}`} error={inspect.error} onRetry={() => void inspect.refetch()} />
      ) : !img ? (
        <Loading />
      ) : (
        <div className="detail-grid" data-testid="image-detail">
          <Card title="Image">
            <KeyValues
              items={[
                ["Id", <span className="mono" key="id">{img.Id}</span>],
                ["Tags", img.RepoTags.join(", ") || "none"],
                ["Digests", <span className="mono wrap" key="d">{img.RepoDigests.join(", ") || "none"}</span>],
                ["Created", img.Created.startsWith("0001") ? "unknown" : formatAgo(img.Created)],
                ["Platform", `${img.Os}/${img.Architecture}`],
                ["Size", formatSize(img.Size)],
                ...(img.Author ? [["Author", img.Author] as [string, string]] : []),
              ]}
            />
          </Card>
          <Card title="Run configuration">
            <KeyValues
              items={[
                ["Entrypoint", <span className="mono" key="ep">{img.Config.Entrypoint?.length ? formatCmd(img.Config.Entrypoint) : "none"}</span>],
                ["Command", <span className="mono" key="cmd">{img.Config.Cmd?.length ? formatCmd(img.Config.Cmd) : "none"}</span>],
                ["Working dir", img.Config.WorkingDir || "/"],
                ["User", img.Config.User || "root"],
                ["Exposed ports", Object.keys(img.Config.ExposedPorts ?? {}).join(", ") || "none"],
                ["Volumes", Object.keys(img.Config.Volumes ?? {}).join(", ") || "none"],
                ["Environment", <span className="mono wrap" key="env">{(img.Config.Env ?? []).join("\n") || "none"}</span>],
              ]}
            />
          </Card>
          <Card title={`Layers (${img.RootFS.Layers.length})`} className="span-2" data-testid="image-layers">
            <ol className="layers">
              {img.RootFS.Layers.map((l) => (
                <li key={l} className="mono">
                  {l}
                </li>
              ))}
            </ol>
          </Card>
          <Card title="History" className="span-2" data-testid="image-history">
            {history.isError ? (
              <ErrorBox error={history.error} />
            ) : !history.data ? (
              <Loading />
            ) : (
              <Table caption="Image history, newest first">
                <thead>
                  <tr>
                    <th scope="col">Created</th>
                    <th scope="col">Created by</th>
                    <th scope="col" className="num">
                      Size
                    </th>
                    <th scope="col">Comment</th>
                  </tr>
                </thead>
                <tbody>
                  {history.data.map((h, i) => (
                    <tr key={i}>
                      <td className="nowrap">{h.created ? formatAgo(h.created) : "unknown"}</td>
                      <td className="mono wrap">{h.createdBy || <span className="muted">unknown</span>}</td>
                      <td className="num">{formatSize(h.size)}</td>
                      <td>{h.comment}</td>
                    </tr>
                  ))}
                </tbody>
              </Table>
            )}
          </Card>
        </div>
      )}
    </>
  );
}
