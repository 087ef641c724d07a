"use client";
import { useCallback, useRef, useState } from "react";
import { useSearchParams } from "next/navigation";

/**
 * Filters a page keeps in its URL (shareable), with the page's own state as the truth: each
 * change is applied at once and mirrored to the address bar from the latest values. Building the
 * next URL from the rendered search params instead loses a change made before the previous
 * navigation committed (typing into a filter right after picking another one reverted it).
 */
export function useUrlFilters<K extends string>(keys: readonly K[], defaults: Partial<Record<K, string>> = {}): [Record<K, string>, (key: K, value: string) => void] {
  const params = useSearchParams();
  const [values, setValues] = useState(() => Object.fromEntries(keys.map((k) => [k, params.get(k) ?? defaults[k] ?? ""])) as Record<K, string>);
  const latest = useRef(values);
  const set = useCallback(
    (key: K, value: string) => {
      const next = { ...latest.current, [key]: value };
      latest.current = next;
      setValues(next);
      const url = new URL(window.location.href);
      for (const k of Object.keys(next) as K[]) {
        const v = next[k];
        if (v && v !== defaults[k]) url.searchParams.set(k, v);
        else url.searchParams.delete(k);
      }
      // Next.js keeps useSearchParams in step with the History API.
      window.history.replaceState(window.history.state, "", `${url.pathname}${url.search}${url.hash}`);
    },
    // Stable: defaults is a literal at each call site (its values matter, not its identity).
    [],
  );
  return [values, set];
}
