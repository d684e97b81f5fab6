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
      "Supprimer a.pdf de r2 ? Les liens cesseront de fonctionner.",
    );
    expect(translate("en", "history.count")).toBe("{n} files");
  });
});
