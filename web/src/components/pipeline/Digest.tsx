"use client";
import { useState } from "react";
import { Check, Copy } from "lucide-react";
import { copyText, IconButton } from "../ui";
import { shortDigest } from "./format";

/** An image digest: 12 hex digits to compare by eye, the full digest on hover and on the copy button. */
export function Digest({ digest, service }: { digest: string; service?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await copyText(digest);
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <span className="pipeline-digest" data-testid="digest" data-digest={digest} data-service={service}>
      <code title={digest}>{shortDigest(digest)}</code>
      <IconButton label={copied ? "Copied" : `Copy the full digest${service ? ` of ${service}` : ""}`} icon={copied ? <Check size={13} /> : <Copy size={13} />} onClick={() => void copy()} data-testid="digest-copy" />
    </span>
  );
}

/** Every service of a release with its digest. */
export function ImageList({ images }: { images: Record<string, string> }) {
  const services = Object.keys(images).sort();
  if (services.length === 0) return <span className="muted">no images</span>;
  return (
    <ul className="pipeline-images" aria-label="Images">
      {services.map((s) => (
        <li key={s}>
          <span className="pipeline-service">{s}</span>
          <Digest digest={images[s]!} service={s} />
        </li>
      ))}
    </ul>
  );
}
