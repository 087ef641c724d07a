import type { Metadata } from "next";
import { ImageDetail } from "../../../../../components/images/ImageDetail";

export const metadata: Metadata = { title: "Image" };

export default function ImagePage() {
  return <ImageDetail />;
}
