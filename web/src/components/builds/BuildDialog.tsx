"use client";
import { useState, type FormEvent } from "react";
import { useRouter } from "next/navigation";
import { teamFetch } from "../../lib/query";
import { teamHref, useTeamName } from "../../lib/team";
import { writeTar, type TarFile } from "../../lib/tar";
import { Button, Dialog, ErrorBox, Field } from "../ui";

/** A file from <input webkitdirectory>: its path inside the chosen directory. */
type DirFile = File & { webkitRelativePath?: string };

/**
 * "New build": a Dockerfile alone, or a whole directory (the context), with tags, build
 * args and --no-cache, as `berth build` takes them. The context is packed as a tar here and
 * posted to /api/builds; once the server names the build, its page opens with the live output.
 */
export function BuildDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (o: boolean) => void }) {
  const team = useTeamName();
  const router = useRouter();
  const [source, setSource] = useState<"file" | "dir">("file");
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
        </fieldset>
        <div className="field">
          <label htmlFor="build-files">{source === "file" ? "Dockerfile" : "Directory"}</label>
          {source === "file" ? (
            <input id="build-files" type="file" data-testid="build-file" onChange={(e) => setFiles(Array.from(e.target.files ?? []))} />
          ) : (
            <input id="build-files" type="file" data-testid="build-dir" {...{ webkitdirectory: "", directory: "" }} multiple onChange={(e) => setFiles(Array.from(e.target.files ?? []))} />
          )}
          <p className="hint">{files.length > 0 ? `${files.length} file${files.length > 1 ? "s" : ""} chosen` : source === "file" ? "No file chosen" : "No directory chosen; .dockerignore is honoured"}</p>
        </div>
        <div className="form-row">
          <Field label="Tags" hint="name:tag, comma-separated" value={tags} onChange={(e) => setTags(e.target.value)} spellCheck={false} className="mono" data-testid="build-tags" placeholder="app:latest" />
          {source === "dir" ? <Field label="Dockerfile path" value={dockerfile} onChange={(e) => setDockerfile(e.target.value)} spellCheck={false} className="mono" /> : <span />}
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
