import type { Metadata } from "next";
import { ImagesList } from "../../../../components/images/ImagesList";

export const metadata: Metadata = { title: "Images" };

export default function ImagesPage() {
  return <ImagesList />;
}
