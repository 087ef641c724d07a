import type { ReactNode } from "react";

export function Card({ title, actions, children, className, ...rest }: { title?: ReactNode; actions?: ReactNode; children: ReactNode; className?: string; "data-testid"?: string }) {
  return (
    <section className={`card-panel ${className ?? ""}`} {...rest}>
      {(title || actions) && (
        <div className="card-head">
          {title && <h2 className="card-title">{title}</h2>}
          {actions && <div className="card-actions">{actions}</div>}
        </div>
      )}
      {children}
    </section>
  );
}

/** One figure with its label; `ratio` (0–1) draws a meter under it. */
export function Stat({ label, value, hint, ratio, ...rest }: { label: string; value: ReactNode; hint?: ReactNode; ratio?: number; "data-testid"?: string }) {
  const pct = ratio === undefined ? undefined : Math.max(0, Math.min(1, ratio)) * 100;
  return (
    <div className="stat" {...rest}>
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
      {pct !== undefined && (
        <div className="meter" role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(pct)}>
          <div className={pct > 90 ? "meter-fill bad" : pct > 70 ? "meter-fill warn" : "meter-fill"} style={{ width: `${pct}%` }} />
        </div>
      )}
      {hint && <div className="stat-hint">{hint}</div>}
    </div>
  );
}
