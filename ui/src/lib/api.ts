// The window's only door to Rust: one typed function per command. Types come from
// bindings.ts (generated from the shell's DTOs); nothing here is typed twice.

import { Channel, invoke } from "@tauri-apps/api/core";
import type {
  AccountKindForm,
  CaptionRow,
  LiveLessonRow,
  NewLiveRow,
  NewRequestRow,
  RequestRow,
  VideoEditRow,
  DownloadRow,
  AccountRow,
  BucketView,
  DesktopPrefs,
  EnvironmentRow,
  ImportPreview,
  KeyPreview,
  ImportRequest,
  CheckRow,
  CoursePreview,
  CourseRow,
  DeletionRow,
  FolderRow,
  IntakeReport,
  JobFacetsRow,
  JobPageRow,
  JobQueryRow,
  JobTallyRow,
  IpcError,
  JobRow,
  LinkText,
  CopiedLinks,
  NewAccount,
  Overview,
  SettingsForm,
  SettingsSaved,
  UiEvent,
} from "./bindings";

import type { LinkFormat } from "./jobs";
export type { LinkFormat };

/** Every failure from Rust is an IpcError; anything else (a bug, a lost IPC) is wrapped as one. */
export function asIpcError(e: unknown): IpcError {
  if (e && typeof e === "object" && "message" in e && "code" in e) return e as IpcError;
  return { code: "internal", message: String(e) };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw asIpcError(e);
  }
}

export const api = {
  overview: () => call<Overview>("overview"),
  /** One page of a list's jobs, newest first, with how many its filters match. */
  jobPage: (query: JobQueryRow, offset: number, limit: number) => call<JobPageRow>("job_page", { query, offset, limit }),
  /** Every job id a list's filters match (copy all, export). */
  jobIds: (query: JobQueryRow) => call<number[]>("job_ids", { query }),
  jobTally: () => call<JobTallyRow>("job_tally"),
  jobFacets: () => call<JobFacetsRow>("job_facets"),
  subscribe(onEvent: (e: UiEvent) => void): Promise<void> {
    const channel = new Channel<UiEvent>();
    channel.onmessage = onEvent;
    return call<void>("subscribe", { channel });
  },
  addPaths: (paths: string[], destination: string | null = null, everything = false, course: string | null = null) =>
    call<IntakeReport>("add_paths", { paths, destination, everything, course }),
  pick: (folders: boolean) => call<string[]>("pick", { folders }),
  pause: (ids: number[]) => call<number>("pause", { ids }),
  pauseAll: () => call<number>("pause_all"),
  retry: (ids: number[]) => call<number>("retry", { ids }),
  resumeAll: () => call<number>("resume_all"),
  cancel: (ids: number[]) => call<number>("cancel", { ids }),
  deleteRemote: (ids: number[]) => call<number>("delete_remote", { ids }),
  link: (id: number, format: LinkFormat, expiresSecs: number | null = null) => call<LinkText>("link", { id, format, expiresSecs }),
  copyLink: (id: number, format: LinkFormat, expiresSecs: number | null = null) =>
    call<LinkText>("copy_link", { id, format, expiresSecs }),
  /** Each done job's link on its own line, in `preferred` where it fits the job, else the job's default. */
  copyLinks: (ids: number[], preferred: LinkFormat) => call<CopiedLinks>("copy_links", { ids, preferred }),
  openLink: (id: number) => call<void>("open_link", { id }),
  exportManifest: (ids: number[], format: "csv" | "json") => call<string | null>("export_manifest", { ids, format }),
  accounts: () => call<AccountRow[]>("accounts"),
  addAccount: (account: NewAccount) => call<void>("add_account", { account }),
  removeAccount: (name: string) => call<boolean>("remove_account", { name }),
  setDefaultAccount: (name: string) => call<void>("set_default_account", { name }),
  testAccount: (name: string) => call<CheckRow[]>("test_account", { name }),
  accountKinds: () => call<AccountKindForm[]>("account_kinds"),
  environmentAccounts: () => call<EnvironmentRow[]>("environment_accounts"),
  bucketSettings: (account: string | null, origins: string[]) => call<BucketView>("bucket_settings", { account, origins }),
  bucketApplyCors: (account: string | null, origins: string[]) => call<string>("bucket_apply_cors", { account, origins }),
  bucketApplyLifecycle: (account: string | null, days: number) => call<number | null>("bucket_apply_lifecycle", { account, days }),
  previewKeys: (template: string, prefix: string | null = null) => call<KeyPreview>("preview_keys", { template, prefix }),
  pickImportFile: () => call<string | null>("pick_import_file"),
  importPreview: (request: ImportRequest) => call<ImportPreview>("import_preview", { request }),
  importAccounts: (request: ImportRequest) => call<string[]>("import_accounts", { request }),
  fullTestAccount: (name: string) => call<CheckRow[]>("full_test_account", { name }),
  testSetup: (full: boolean) => call<CheckRow[]>("test_setup", { full }),
  liveLessons: () => call<LiveLessonRow[]>("live_lessons"),
  createLiveLesson: (lesson: NewLiveRow) => call<LiveLessonRow>("create_live_lesson", { lesson }),
  liveLesson: (id: string) => call<LiveLessonRow>("live_lesson", { id }),
  /** The stream key goes from Rust to the clipboard; it never reaches the page. */
  copyLiveKey: (id: string) => call<void>("copy_live_key", { id }),
  deleteLiveLesson: (id: string) => call<void>("delete_live_lesson", { id }),
  renameLiveLesson: (id: string, name: string) => call<LiveLessonRow>("rename_live_lesson", { id, name }),
  requests: () => call<RequestRow[]>("requests"),
  createRequest: (request: NewRequestRow) => call<RequestRow>("create_request", { request }),
  requestArrivals: (id: string) => call<JobRow[]>("request_arrivals", { id }),
  closeRequest: (id: string) => call<RequestRow>("close_request", { id }),
  openRequestPage: (id: string) => call<void>("open_request_page", { id }),
  saveRequestPage: (id: string) => call<string | null>("save_request_page", { id }),
  copyText: (text: string) => call<void>("copy_text", { text }),
  /** A live lesson's recording: its watch link (signed when needed) on the clipboard. */
  copyRecordingLink: (id: string) => call<string>("copy_recording_link", { id }),
  /** Change uploaded videos: these jobs, and with `course` every uploaded video of it. */
  editVideos: (ids: number[], course: string | null, edit: VideoEditRow) => call<number>("edit_videos", { ids, course, edit }),
  /** Make (`on`) or remove a video's MP4 download; returns it after the change. */
  videoDownload: (id: number, on: boolean) => call<DownloadRow | null>("video_download", { id, on }),
  captions: (id: number) => call<CaptionRow[]>("captions", { id }),
  /** Choose a caption file in the native dialog and add it; null when cancelled. */
  addCaption: (id: number, language: string | null) => call<CaptionRow | null>("add_caption", { id, language }),
  generateCaptions: (id: number, language: string) => call<CaptionRow>("generate_captions", { id, language }),
  deleteCaption: (id: number, language: string) => call<void>("delete_caption", { id, language }),
  courses: () => call<CourseRow[]>("courses"),
  /** Add a course, or change the one called `previous` (a rename reaches its files and folders). */
  saveCourse: (course: CourseRow, previous: string | null = null) => call<CourseRow>("save_course", { course, previous }),
  removeCourse: (name: string) => call<void>("remove_course", { name }),
  previewCourse: (course: CourseRow) => call<CoursePreview>("preview_course", { course }),
  folders: () => call<FolderRow[]>("folders"),
  addFolder: (folder: FolderRow) => call<void>("add_folder", { folder }),
  removeFolder: (root: string) => call<boolean>("remove_folder", { root }),
  folderDeletions: (root: string) => call<DeletionRow[]>("folder_deletions", { root }),
  confirmDeletions: (root: string) => call<number>("confirm_deletions", { root }),
  keepDeletions: (root: string) => call<number>("keep_deletions", { root }),
  settings: () => call<SettingsForm>("settings"),
  saveSettings: (form: SettingsForm) => call<SettingsSaved>("save_settings", { form }),
  savePrefs: (prefs: DesktopPrefs) => call<void>("save_prefs", { prefs }),
};

/**
 * Files dropped on the window arrive as paths from Tauri's drag-and-drop event (the bytes never
 * pass through the webview). Returns a function that stops listening.
 */
export async function onFilesDropped(
  onDrop: (paths: string[]) => void,
  onHover: (over: boolean) => void,
): Promise<() => void> {
  try {
    const { getCurrentWebview } = await import("@tauri-apps/api/webview");
    return await getCurrentWebview().onDragDropEvent((event) => {
      const p = event.payload;
      if (p.type === "over" || p.type === "enter") onHover(true);
      else if (p.type === "leave") onHover(false);
      else if (p.type === "drop") {
        onHover(false);
        if (p.paths.length) onDrop(p.paths);
      }
    });
  } catch {
    // Outside Tauri (a browser with mocked IPC) there is no native drop: nothing to listen to.
    return () => {};
  }
}
