"use client";
import { useState } from "react";
import { Check, Copy } from "lucide-react";
import { IconButton } from "./Button";

/** Copies through the Clipboard API, or a hidden textarea where it is missing (plain http on a LAN address). */
export async function copyText(text: string): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
  const ta = document.createElement("textarea");
  ta.value = text;
  ta.setAttribute("readonly", "");
  ta.style.position = "fixed";
  ta.style.opacity = "0";
  document.body.appendChild(ta);
  ta.select();
  document.execCommand("copy");
  ta.remove();
}

/** A command or file to copy: monospace, with a copy button. */
export function CodeBlock({ code, inline, label = "Copy", codeLabel = inline ? "Command" : "Code" }: { code: string; inline?: boolean; label?: string; codeLabel?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await copyText(code);
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <div className={inline ? "code code-inline" : "code"} data-testid="code-block">
      {/* Focusable so a keyboard user can scroll a long command or file (axe: scrollable-region-focusable). */}
      <pre tabIndex={0} role="region" aria-label={codeLabel}>
        <code>{code}</code>
      </pre>
      <IconButton label={copied ? "Copied" : label} icon={copied ? <Check size={14} /> : <Copy size={14} />} onClick={() => void copy()} />
    </div>
  );
}
