import type { ReactNode } from "react";
import Link from "next/link";

export interface Crumb {
  href: string;
  label: string;
}

/** The page's title (the one <h1>), where it sits, and its actions on the right. */
export function PageHeader({ title, crumbs, subtitle, actions, badge }: { title: ReactNode; crumbs?: Crumb[]; subtitle?: ReactNode; actions?: ReactNode; badge?: ReactNode }) {
  return (
    <header className="page-header">
      <div className="page-header-text">
        {crumbs && crumbs.length > 0 && (
          <nav aria-label="Breadcrumb" className="crumbs">
            {crumbs.map((c) => (
              <span key={c.href}>
                <Link href={c.href}>{c.label}</Link>
                <span aria-hidden="true" className="crumb-sep">/</span>
              </span>
            ))}
          </nav>
        )}
        <div className="page-title-row">
          <h1 className="page-title">{title}</h1>
          {badge}
        </div>
        {subtitle && <p className="page-subtitle">{subtitle}</p>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </header>
  );
}
