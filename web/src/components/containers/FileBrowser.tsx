"use client";
import Link from "next/link";
import { useState } from "react";
import { useSearchParams } from "next/navigation";
import { useQuery } from "@tanstack/react-query";
import { Download, File, Folder, FolderOpen, Link2 } from "lucide-react";
import { teamFetch, useTRPC } from "../../lib/query";
import { teamHref, useRole, useTeamName } from "../../lib/team";
import { formatAgo, formatSize } from "../../lib/format";
import { firstFile } from "../../lib/tar";
import { saveBytes } from "../../lib/download";
import { Card, EmptyState, ErrorBox, IconButton, Loading, Table } from "../ui";
import { useContainerName } from "./ContainerHeader";

const join = (dir: string, name: string) => (dir === "/" ? `/${name}` : `${dir}/${name}`);
const modeString = (m: number) => [6, 3, 0].map((s) => ((m >> s) & 4 ? "r" : "-") + ((m >> s) & 2 ? "w" : "-") + ((m >> s) & 1 ? "x" : "-")).join("");

/** `/t/[team]/containers/[name]/files`: browse the container's filesystem, download files (berth cp). */
export function FileBrowser() {
  const trpc = useTRPC();
  const team = useTeamName();
  const name = useContainerName();
  const { can, loading } = useRole();
  const params = useSearchParams();
  const dir = params.get("path") || "/";
  const allowed = can("container.cp");
  const list = useQuery({ ...trpc.container.listDir.queryOptions({ id: name, path: dir }), enabled: allowed });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const here = (p: string) => `${teamHref(team, `/containers/${encodeURIComponent(name)}/files`)}?path=${encodeURIComponent(p)}`;

  if (loading) return <Loading />;
  if (!allowed) {
    return (
      <Card>
        <EmptyState icon={<FolderOpen size={28} />} title="Files are for members">
          Reading a container&apos;s files is berth cp&apos;s power, which a viewer does not have. Ask a team admin for the member role.
        </EmptyState>
      </Card>
    );
  }

  async function download(path: string, isDir: boolean) {
    setError(null);
    setBusy(path);
    try {
      const res = await teamFetch(team, `/api/containers/archive?id=${encodeURIComponent(name)}&path=${encodeURIComponent(path)}`);
      const tar = new Uint8Array(await res.arrayBuffer());
      const base = path.split("/").pop() || "root";
      if (isDir) return saveBytes(tar, `${base}.tar`, "application/x-tar");
      const f = firstFile(tar);
      if (!f) throw new Error(`${path} is not a regular file`);
      saveBytes(f.data, base);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  }

  const parts = dir.split("/").filter(Boolean);
  return (
    <Card
      title={
        <nav aria-label="Directory" className="path-crumbs" data-testid="files-path">
          <Link href={here("/")}>/</Link>
          {parts.map((p, i) => (
            <span key={i}>
              <Link href={here(`/${parts.slice(0, i + 1).join("/")}`)}>{p}</Link>
              {i < parts.length - 1 && <span aria-hidden="true">/</span>}
            </span>
          ))}
        </nav>
      }
      actions={<IconButton label={`Download ${dir} as a tar`} icon={<Download size={14} />} onClick={() => void download(dir, true)} disabled={busy !== null} />}
    >
      {error != null && <ErrorBox error={error} />}
      {list.isError ? (
        <ErrorBox title={`Cannot list ${dir}`} error={list.error} onRetry={() => void list.refetch()} />
      ) : !list.data ? (
        <Loading />
      ) : list.data.entries.length === 0 ? (
        <EmptyState icon={<Folder size={28} />} title="This directory is empty" command={`berth cp ./file ${name}:${dir}`} />
      ) : (
        <Table caption={`Files in ${dir}`} data-testid="files-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col" className="num">Size</th>
              <th scope="col">Mode</th>
              <th scope="col">Modified</th>
              <th scope="col" className="num">
                <span className="sr-only">Download</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {dir !== "/" && (
              <tr>
                <td colSpan={5}>
                  <Link href={here(`/${parts.slice(0, -1).join("/")}`)} className="file-name">
                    <Folder size={14} aria-hidden="true" /> ..
                  </Link>
                </td>
              </tr>
            )}
            {[...list.data.entries]
              .sort((a, b) => Number(b.type === "dir") - Number(a.type === "dir") || a.name.localeCompare(b.name))
              .map((e) => {
                const p = join(dir, e.name);
                return (
                  <tr key={e.name} data-testid="file-row" data-name={e.name} data-type={e.type}>
                    <td>
                      {e.type === "dir" ? (
                        <Link href={here(p)} className="file-name">
                          <Folder size={14} aria-hidden="true" /> {e.name}
                        </Link>
                      ) : (
                        <span className="file-name">
                          {e.type === "link" ? <Link2 size={14} aria-hidden="true" /> : <File size={14} aria-hidden="true" />} {e.name}
                          {e.linkTarget !== undefined && <span className="muted"> → {e.linkTarget}</span>}
                        </span>
                      )}
                    </td>
                    <td className="num">{e.type === "file" ? formatSize(e.size) : ""}</td>
                    <td className="mono muted">{modeString(e.mode)}</td>
                    <td className="nowrap">{formatAgo(e.mtime)}</td>
                    <td className="actions">
                      {(e.type === "file" || e.type === "dir") && (
                        <IconButton label={e.type === "dir" ? `Download ${e.name} as a tar` : `Download ${e.name}`} icon={<Download size={14} />} onClick={() => void download(p, e.type === "dir")} disabled={busy !== null} data-testid="file-download" />
                      )}
                    </td>
                  </tr>
                );
              })}
          </tbody>
        </Table>
      )}
      {list.data?.truncated && <p className="muted">Only the first 5000 entries are shown.</p>}
    </Card>
  );
}
