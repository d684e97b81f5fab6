import { describe, expect, it } from "vitest";
import { formatBytes, formatEta, formatSpeed, percent, SpeedMeter } from "../../src/lib/format";

describe("formatBytes", () => {
  it.each([
    [0, "0 B"],
    [999, "999 B"],
    [1000, "1.0 KB"],
    [1536, "1.5 KB"],
    [10_000, "10 KB"],
    [5_242_880, "5.2 MB"],
    [1_073_741_824, "1.1 GB"],
    [12_000_000_000_000, "12 TB"],
    [-1, "–"],
    [Number.NaN, "–"],
  ])("%d bytes read as %s", (bytes, want) => {
    expect(formatBytes(bytes)).toBe(want);
  });

  it("uses the language's decimal separator", () => {
    expect(formatBytes(1536, "fr")).toBe("1,5 KB");
  });
});

describe("speed and ETA", () => {
  it.each([
    [0, 1000, ""],
    [500, 1000, "1 s"],
    [59_000, 1000, "59 s"],
    [60_000, 1000, "1 min 00 s"],
    [754_000, 1000, "12 min 34 s"],
    [3_600_000, 1000, "1 h 00 min"],
    [3_600_000 * 72, 1000, "3 days"],
    [1000, 0, ""],
  ])("%d bytes left at %d B/s take %s", (remaining, rate, want) => {
    expect(formatEta(remaining, rate)).toBe(want);
  });

  it("shows no speed until there is one", () => {
    expect(formatSpeed(0)).toBe("");
    expect(formatSpeed(2_500_000)).toBe("2.5 MB/s");
  });
});

describe("percent", () => {
  it.each([
    [0, 100, 0],
    [50, 100, 50],
    [99.9, 100, 99],
    [100, 100, 100],
    [150, 100, 100],
    [0, 0, 100],
  ])("%d of %d is %d%%", (done, total, want) => {
    expect(percent(done, total)).toBe(want);
  });
});

describe("SpeedMeter", () => {
  it("averages over its window and forgets older samples", () => {
    const m = new SpeedMeter(2000);
    expect(m.rate()).toBe(0);
    m.add(0, 0);
    m.add(100, 1000);
    expect(m.rate()).toBe(0); // too close together to say
    m.add(1000, 10_000);
    expect(m.rate()).toBe(10_000);
    m.add(4000, 10_000); // stalled: samples older than 2 s drop out
    expect(m.rate()).toBe(0);
  });

  it("starts over when the bytes go back (an upload restarted)", () => {
    const m = new SpeedMeter();
    m.add(0, 0);
    m.add(1000, 5000);
    m.add(1500, 0);
    expect(m.rate()).toBe(0);
  });
});
