// A watched folder as the window first adds it: everything routed by kind, new versions on
// change, no mirrored deletions, hidden and temporary files left out.

import type { FolderRow } from "./bindings";

export function newFolder(root: string, course: string | null): FolderRow {
  return {
    root,
    destination: null,
    prefix: null,
    template: null,
    onChange: "new-version",
    mirrorDeletions: false,
    include: [],
    exclude: [],
    defaultIgnores: true,
    course,
    syncedAt: null,
    syncedFiles: null,
  };
}
