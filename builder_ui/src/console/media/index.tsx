import type { SectionProps } from "../sections";
import { MediaLibraryPage } from "./MediaLibraryPage";

// /w/{id}/media: the media library.
function MediaSection({ access }: SectionProps) {
  return <MediaLibraryPage access={access} />;
}

/** Loaded when the area is first opened (console/sections.ts). */
export default MediaSection;
