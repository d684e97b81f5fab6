// The languages Stream makes captions in from a video's speech (English, and since 2025-01-30
// cs, nl, fr, de, it, ja, ko, pl, pt, ru, es: developers.cloudflare.com changelog), each by its
// own name, as the window offers them.

export const CAPTION_LANGUAGES: ReadonlyArray<readonly [string, string]> = [
  ["en", "English"],
  ["fr", "Français"],
  ["de", "Deutsch"],
  ["es", "Español"],
  ["it", "Italiano"],
  ["nl", "Nederlands"],
  ["pt", "Português"],
  ["pl", "Polski"],
  ["cs", "Čeština"],
  ["ru", "Русский"],
  ["ja", "日本語"],
  ["ko", "한국어"],
];
