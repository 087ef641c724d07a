import type { HTMLAttributes, ReactNode, TableHTMLAttributes } from "react";

/** A data table in a scrolling frame (wide tables scroll inside, not the page). */
export function Table({ children, className, caption, ...rest }: TableHTMLAttributes<HTMLTableElement> & { caption?: string; "data-testid"?: string }) {
  return (
    // Focusable so a keyboard user can scroll a wide table (axe: scrollable-region-focusable).
    <div className="table-frame" tabIndex={0} role="region" aria-label={caption ?? "Table"}>
      <table className={`table ${className ?? ""}`} {...rest}>
        {caption && <caption className="sr-only">{caption}</caption>}
        {children}
      </table>
    </div>
  );
}

/** A label/value list (inspect output): a <dl> in two columns. */
export function KeyValues({ items, ...rest }: { items: [ReactNode, ReactNode][] } & HTMLAttributes<HTMLDListElement>) {
  return (
    <dl className="kv" {...rest}>
      {items.map(([k, v], i) => (
        <div className="kv-row" key={i}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
