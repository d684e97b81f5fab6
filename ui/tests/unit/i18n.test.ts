import { describe, expect, it } from "vitest";
import { dictionaries, translate } from "../../src/lib/i18n";

describe("i18n", () => {
  it("French has every English string", () => {
    const missing = Object.keys(dictionaries.en).filter((k) => !(k in dictionaries.fr));
    expect(missing).toEqual([]);
  });

  it("keeps the same placeholders in both languages", () => {
    const holes = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [key, text] of Object.entries(dictionaries.en)) {
      expect(holes(dictionaries.fr[key as keyof typeof dictionaries.en] ?? ""), key).toEqual(holes(text));
    }
  });

  it("fills placeholders and leaves unknown ones visible", () => {
    expect(translate("en", "history.count", { n: 3 })).toBe("3 files");
    expect(translate("fr", "job.confirmDelete", { name: "a.pdf", destination: "r2" })).toBe(
      "Supprimer a.pdf de r2 ? Chaque page de cours qui y renvoie affichera un lien cassé. C'est définitif.",
    );
    expect(translate("en", "history.count")).toBe("{n} files");
  });

  it("says one file, two files, and French counts zero as one", () => {
    expect(translate("en", "history.count", { n: 1 })).toBe("1 file");
    expect(translate("en", "history.count", { n: 0 })).toBe("0 files");
    expect(translate("fr", "history.count", { n: 0 })).toBe("0 fichier");
    expect(translate("fr", "history.count", { n: 2 })).toBe("2 fichiers");
  });

  it("gives every counted string both forms in both languages", () => {
    for (const lang of ["en", "fr"] as const) {
      for (const [key, text] of Object.entries(dictionaries[lang])) {
        if (text?.includes("|")) expect(text.split("|"), `${lang} ${key}`).toHaveLength(2);
      }
    }
  });
});
