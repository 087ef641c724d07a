"use client";
import { useState } from "react";
import { useRouter } from "next/navigation";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Globe, Lock, Pencil, Tag, Trash2 } from "lucide-react";
import { useTRPC } from "../../../../../lib/query";
import { useRole, useTeamHref } from "../../../../../lib/team";
import { formatAgo, shortId } from "../../../../../lib/format";
import { Badge, Button, CodeBlock, ConfirmDialog, Dialog, EmptyState, ErrorBox, Field, Loading, PageHeader, Table } from "../../../../../components/ui";
import { pullCommand, registryHost } from "../pull";
import "../../../../admin-pages.css";

/** `/t/[team]/registry/NAMESPACE/NAME`: a repository's tags with their pull commands; visibility and deletes for those allowed. */
export function RepoView({ name }: { name: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const href = useTeamHref();
  const { can } = useRole();
  const repo = useQuery(trpc.repo.byName.queryOptions({ name }));
  const refresh = () => void qc.invalidateQueries(trpc.repo.pathFilter());
  const set = useMutation(trpc.repo.set.mutationOptions({ onSuccess: refresh }));
  const removeTag = useMutation(trpc.repo.removeTag.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.repo.remove.mutationOptions());
  const [tagToDelete, setTagToDelete] = useState<string | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [editing, setEditing] = useState(false);
  const crumbs = [{ href: href("/registry"), label: "Registry" }];

  if (repo.isError) {
    return (
      <>
        <PageHeader title={name} crumbs={crumbs} />
        <ErrorBox title={`Could not open repository ${name}`} error={repo.error} onRetry={() => void repo.refetch()} />
      </>
    );
  }
  if (repo.isPending) {
    return (
      <>
        <PageHeader title={name} crumbs={crumbs} />
        <Loading />
      </>
    );
  }
  const r = repo.data;
  // The registry's own rule (owner, team role, admin) and the team role both must allow it.
  const mayChange = can("repo.manage") && r.access.includes("push");
  const mayDelete = can("repo.manage") && r.access.includes("delete");

  return (
    <>
      <PageHeader
        title={r.name}
        crumbs={crumbs}
        badge={<Badge tone={r.public ? "info" : "neutral"} data-testid="repo-visibility">{r.public ? "public" : "private"}</Badge>}
        subtitle={r.description || (r.owner ? `Pushed first by ${r.owner}.` : undefined)}
        actions={
          <>
            {mayChange && (
              <Button icon={<Pencil size={15} />} onClick={() => setEditing(true)} data-testid="repo-edit-description">
                Edit description
              </Button>
            )}
            {mayChange && (
              <Button icon={r.public ? <Lock size={15} /> : <Globe size={15} />} busy={set.isPending} onClick={() => set.mutate({ name: r.name, public: !r.public })} data-testid="repo-toggle-visibility">
                {r.public ? "Make private" : "Make public"}
              </Button>
            )}
            {mayDelete && (
              <Button variant="danger" icon={<Trash2 size={15} />} onClick={() => setDeleting(true)} data-testid="repo-delete">
                Delete repository
              </Button>
            )}
          </>
        }
      />
      {set.isError && <ErrorBox title="Could not change the visibility" error={set.error} />}
      <p className="muted">
        {r.public ? "Anyone may pull it, without signing in, and find it in search." : "Only its team, its owner and the site admin see it; to everyone else it does not exist."}
      </p>
      {r.tags.length === 0 ? (
        <EmptyState icon={<Tag size={28} />} title="No tags" command={`berth push ${registryHost()}/${r.name}:latest`}>
          Push an image to this repository to give it a tag.
        </EmptyState>
      ) : (
        <Table caption={`Tags of ${r.name}`} data-testid="tags-table">
          <thead>
            <tr>
              <th>Tag</th>
              <th>Digest</th>
              <th>Updated</th>
              <th>Pull</th>
              {mayDelete && <th><span className="sr-only">Actions</span></th>}
            </tr>
          </thead>
          <tbody>
            {r.tags.map((t) => (
              <tr key={t.name} data-testid="tag-row" data-name={t.name}>
                <td className="mono">{t.name}</td>
                <td className="mono" title={t.digest}>{shortId(t.digest)}</td>
                <td className="nowrap" title={t.updatedAt}>{formatAgo(t.updatedAt)}</td>
                <td>
                  <CodeBlock code={pullCommand(r.name, t.name)} inline label={`Copy the pull command of ${t.name}`} />
                </td>
                {mayDelete && (
                  <td className="actions">
                    <Button size="sm" variant="ghost" icon={<Trash2 size={14} />} onClick={() => setTagToDelete(t.name)} aria-label={`Delete tag ${t.name}`}>
                      Delete
                    </Button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      {editing && <DescriptionDialog name={r.name} current={r.description} onClose={() => setEditing(false)} onSaved={refresh} />}
      <ConfirmDialog
        open={tagToDelete !== null}
        onOpenChange={(o) => !o && setTagToDelete(null)}
        title="Delete tag"
        description={`${r.name}:${tagToDelete ?? ""} will no longer pull. The image stays while another tag or a digest names it.`}
        confirmLabel="Delete tag"
        danger
        onConfirm={() => removeTag.mutateAsync({ name: r.name, tag: tagToDelete! })}
      />
      <ConfirmDialog
        open={deleting}
        onOpenChange={setDeleting}
        title="Delete repository"
        description={`${r.name} and all its ${r.tags.length} tag(s) will be deleted. Pulls of it fail from then on.`}
        confirmLabel="Delete repository"
        danger
        onConfirm={async () => {
          await remove.mutateAsync({ name: r.name });
          await qc.invalidateQueries(trpc.repo.pathFilter());
          router.push(href("/registry"));
        }}
      />
    </>
  );
}

/** `berth repo set NAME --description TEXT`: what search shows under the name. */
function DescriptionDialog({ name, current, onClose, onSaved }: { name: string; current: string; onClose: () => void; onSaved: () => void }) {
  const trpc = useTRPC();
  const [text, setText] = useState(current);
  const set = useMutation(trpc.repo.set.mutationOptions());
  return (
    <Dialog open onOpenChange={(o) => !o && onClose()} title={`Description of ${name}`} description="Shown in the registry list and found by search.">
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          set.mutate(
            { name, description: text.trim() },
            {
              onSuccess: () => {
                onSaved();
                onClose();
              },
            },
          );
        }}
      >
        <Field label="Description" value={text} onChange={(e) => setText(e.target.value)} maxLength={4096} autoComplete="off" data-testid="repo-description" />
        {set.isError && <ErrorBox error={set.error} />}
        <div className="dialog-actions">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={set.isPending} data-testid="repo-description-save">
            Save
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
