import type { ImageSummary } from "../lib/trpc";
import { formatAgo, formatSize, shortId } from "../lib/format";

export function ImagesTable({ images }: { images: ImageSummary[] | null }) {
  return (
    <table data-testid="images-table">
      <thead>
        <tr>
          <th>Tags</th>
          <th>Image id</th>
          <th className="num">Size</th>
          <th>Created</th>
        </tr>
      </thead>
      <tbody>
        {images === null && (
          <tr>
            <td colSpan={4} className="muted">
              Loading…
            </td>
          </tr>
        )}
        {images?.length === 0 && (
          <tr>
            <td colSpan={4} className="muted">
              No images yet.
            </td>
          </tr>
        )}
        {images?.map((img) => (
          <tr key={img.id} data-testid="image-row">
            <td>{img.tags.length ? img.tags.join(", ") : <span className="muted">&lt;none&gt;</span>}</td>
            <td className="mono" title={img.id}>
              {shortId(img.id)}
            </td>
            <td className="num">{formatSize(img.size)}</td>
            <td title={img.createdAt}>{formatAgo(img.createdAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
