"use client";
import { useState, type FormEvent } from "react";
import { useRouter } from "next/navigation";
import { useMutation, useQuery } from "@tanstack/react-query";
import { teamFetch, useTRPC } from "../../lib/query";
import { teamHref, useTeamName } from "../../lib/team";
import { writeTar, type TarFile } from "../../lib/tar";
import { Button, Dialog, ErrorBox, Field } from "../ui";

/** A file from <input webkitdirectory>: its path inside the chosen directory. */
type DirFile = File & { webkitRelativePath?: string };

/**
 * "New build": a Dockerfile alone, a whole directory (the context), or a branch of one of the
 * team's projects, with tags, build args and --no-cache, as `berth build` takes them. A file or
 * directory is packed as a tar here and posted to /api/builds; a project's branch is built from
 * its last pushed commit on the server. Once the server names the build, its page opens.
 */
export function BuildDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (o: boolean) => void }) {
  const team = useTeamName();
  const router = useRouter();
  const trpc = useTRPC();
  const [source, setSource] = useState<"file" | "dir" | "project">("file");
  const [project, setProject] = useState("");
  const [branch, setBranch] = useState("");
  const projects = useQuery(trpc.project.list.queryOptions(undefined, { enabled: open && source === "project" }));
  const branches = useQuery(trpc.project.branches.queryOptions({ name: project }, { enabled: open && source === "project" && !!project }));
  const fromProject = useMutation(trpc.build.fromProject.mutationOptions());
  const [files, setFiles] = useState<DirFile[]>([]);
  const [tags, setTags] = useState("");
  const [dockerfile, setDockerfile] = useState("Dockerfile");
  const [args, setArgs] = useState("");
  const [noCache, setNoCache] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function context(): Promise<TarFile[]> {
    if (files.length === 0) throw new Error(source === "file" ? "Choose a Dockerfile to build." : "Choose the directory to build (its Dockerfile and the files it copies).");
    if (source === "file") return [{ path: "Dockerfile", data: new Uint8Array(await files[0]!.arrayBuffer()) }];
    // The chosen directory's own name is the first path part: the context is what is inside it.
    return Promise.all(files.map(async (f) => ({ path: (f.webkitRelativePath || f.name).split("/").slice(1).join("/") || f.name, data: new Uint8Array(await f.arrayBuffer()) })));
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      if (source === "project") {
        if (!project || !branch) throw new Error("Choose the project and the branch to build.");
        const made = await fromProject.mutateAsync({
          project,
          branch,
          tags: tags.split(/[,\s]+/).filter(Boolean),
          dockerfile: dockerfile.trim() || "Dockerfile",
          buildArgs: Object.fromEntries(
            args
              .split("\n")
              .map((l) => l.trim())
              .filter(Boolean)
              .map((l) => [l.slice(0, Math.max(0, l.indexOf("="))) || l, l.includes("=") ? l.slice(l.indexOf("=") + 1) : ""]),
          ),
          noCache,
        });
        onOpenChange(false);
        router.push(teamHref(team, `/builds/${made.id}`));
        return;
      }
      const tar = writeTar(await context());
      const q = new URLSearchParams();
      for (const t of tags.split(/[,\s]+/).filter(Boolean)) q.append("t", t);
      if (source === "dir" && dockerfile.trim() && dockerfile.trim() !== "Dockerfile") q.set("f", dockerfile.trim());
      for (const a of args.split("\n").map((l) => l.trim()).filter(Boolean)) q.append("build-arg", a);
      if (noCache) q.set("no-cache", "1");
      const ctl = new AbortController();
      const res = await teamFetch(team, `/api/builds?${q.toString()}`, { method: "POST", headers: { "content-type": "application/x-tar" }, body: tar as BodyInit, signal: ctl.signal });
      const id = res.headers.get("x-build-id");
      // The build goes on without this response: its page follows the output over the socket.
      ctl.abort();
      if (!id) throw new Error("the server did not name the build (no x-build-id header)");
      onOpenChange(false);
      router.push(teamHref(team, `/builds/${id}`));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog open={open} onOpenChange={onOpenChange} title="New build" description="Builds an image from a Dockerfile, as berth build does." wide data-testid="build-dialog">
      <form className="form" onSubmit={(e) => void submit(e)}>
        <fieldset className="segmented">
          <legend className="sr-only">What to upload</legend>
          <label className="check">
            <input type="radio" name="source" checked={source === "file"} onChange={() => (setSource("file"), setFiles([]))} /> A Dockerfile
          </label>
          <label className="check">
            <input type="radio" name="source" checked={source === "dir"} onChange={() => (setSource("dir"), setFiles([]))} /> A directory (the build context)
          </label>
          <label className="check">
            <input type="radio" name="source" checked={source === "project"} onChange={() => (setSource("project"), setFiles([]))} data-testid="build-source-project" /> A project&apos;s branch
          </label>
        </fieldset>
        {source === "project" ? (
          <div className="form-row">
            <div className="field">
              <label htmlFor="build-project">Project</label>
              <select id="build-project" value={project} onChange={(e) => (setProject(e.target.value), setBranch(""))} data-testid="build-project">
                <option value="">{projects.data?.length === 0 ? "No projects yet: berth project create NAME" : "Choose a project"}</option>
                {(projects.data ?? []).map((p) => (
                  <option key={p.name} value={p.name}>
                    {p.name}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="build-branch">Branch</label>
              <select id="build-branch" value={branch} onChange={(e) => setBranch(e.target.value)} disabled={!project} data-testid="build-branch">
                <option value="">{project && branches.data?.length === 0 ? "No branch pushed yet" : "Choose a branch"}</option>
                {(branches.data ?? []).map((b) => (
                  <option key={b.name} value={b.name}>
                    {b.name} ({b.sha.slice(0, 7)})
                  </option>
                ))}
              </select>
              <p className="hint">Its last pushed commit, exactly as pushed.</p>
            </div>
          </div>
        ) : (
          <div className="field">
            <label htmlFor="build-files">{source === "file" ? "Dockerfile" : "Directory"}</label>
            {source === "file" ? (
              <input id="build-files" type="file" data-testid="build-file" onChange={(e) => setFiles(Array.from(e.target.files ?? []))} />
            ) : (
              <input id="build-files" type="file" data-testid="build-dir" {...{ webkitdirectory: "", directory: "" }} multiple onChange={(e) => setFiles(Array.from(e.target.files ?? []))} />
            )}
            <p className="hint">{source === "file" ? "Built with an empty context: COPY and ADD of local files need a directory." : files.length > 0 ? `${files.length} file${files.length > 1 ? "s" : ""} chosen; .dockerignore is honoured` : "Its Dockerfile and the files it copies; .dockerignore is honoured"}</p>
          </div>
        )}
        <div className="form-row">
          <Field label="Tags" hint="name:tag, comma-separated" value={tags} onChange={(e) => setTags(e.target.value)} spellCheck={false} className="mono" data-testid="build-tags" placeholder="app:latest" />
          {source !== "file" ? <Field label="Dockerfile path" value={dockerfile} onChange={(e) => setDockerfile(e.target.value)} spellCheck={false} className="mono" /> : <span />}
        </div>
        <div className="field">
          <label htmlFor="build-args">Build arguments</label>
          <textarea id="build-args" className="mono" rows={2} value={args} onChange={(e) => setArgs(e.target.value)} placeholder="KEY=value, one a line" spellCheck={false} />
        </div>
        <label className="check">
          <input type="checkbox" checked={noCache} onChange={(e) => setNoCache(e.target.checked)} /> Do not use the build cache (--no-cache)
        </label>
        {error != null && <ErrorBox error={error} />}
        <div className="dialog-actions">
          <Button onClick={() => onOpenChange(false)}>Cancel</Button>
          <Button type="submit" variant="primary" busy={busy} data-testid="build-submit">
            Build
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
