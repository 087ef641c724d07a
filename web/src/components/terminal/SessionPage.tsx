"use client";
import { TerminalView } from "./TerminalView";
import { paths } from "./client";
import styles from "./terminal.module.css";

/** `/t/[team]/terminals/[id]`: the shareable address of one session. */
export function SessionPage({ team, id }: { team: string; id: string }) {
  return (
    <div className={styles.page}>
      <nav className={styles.crumbs} aria-label="Breadcrumbs">
        <a href={paths.terminals(team)}>Terminals</a>
        <span aria-hidden="true">/</span>
        <span>{id}</span>
      </nav>
      <h1>Terminal session {id}</h1>
      <TerminalView team={team} join={id} />
    </div>
  );
}
