"use client";
import { useEffect, useState } from "react";

export type ThemeChoice = "system" | "light" | "dark";
export const THEME_KEY = "berth-theme";

const DARK_QUERY = "(prefers-color-scheme: dark)";

/**
 * Runs before the first paint (inlined in the root layout), so nobody sees the wrong theme
 * flash: it sets <html data-theme> to "light" or "dark" from the saved choice, resolving
 * "system" (nothing saved) through the media query, and keeps it resolved when the system
 * switches or another tab changes the choice. The stylesheet then needs one dark palette.
 */
export const THEME_SCRIPT = `(function(){try{var k="${THEME_KEY}",m=matchMedia("${DARK_QUERY}"),d=document.documentElement;var a=function(){var t=null;try{t=localStorage.getItem(k)}catch(e){}d.dataset.theme=t==="light"||t==="dark"?t:m.matches?"dark":"light"};a();m.addEventListener("change",a);addEventListener("storage",function(e){if(e.key===k)a()})}catch(e){}})()`;

/** The theme a choice shows now ("system" follows the operating system's setting). */
export function resolveTheme(choice: ThemeChoice): "light" | "dark" {
  if (choice !== "system") return choice;
  return window.matchMedia(DARK_QUERY).matches ? "dark" : "light";
}

function savedChoice(): ThemeChoice {
  try {
    const t = localStorage.getItem(THEME_KEY);
    return t === "light" || t === "dark" ? t : "system";
  } catch {
    return "system";
  }
}

export function applyTheme(choice: ThemeChoice): void {
  try {
    if (choice === "system") localStorage.removeItem(THEME_KEY);
    else localStorage.setItem(THEME_KEY, choice);
  } catch {
    // Storage refused (private mode): the choice lasts for this page only.
  }
  document.documentElement.dataset.theme = resolveTheme(choice);
}

export function useTheme(): [ThemeChoice, (c: ThemeChoice) => void] {
  const [choice, setChoice] = useState<ThemeChoice>("system");
  useEffect(() => setChoice(savedChoice()), []);
  return [
    choice,
    (c) => {
      applyTheme(c);
      setChoice(c);
    },
  ];
}
