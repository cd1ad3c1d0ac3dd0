import { beforeEach, describe, expect, it } from "vitest";
import i18n from "./i18n";
import { ApiError, errorText } from "./api";
import { IN_NODE, problemPlace, problemText } from "./problems";

describe("problems said in words", () => {
  beforeEach(async () => {
    await i18n.changeLanguage("ja");
  });

  it("names the field and its position instead of the JSON path", () => {
    expect(problemPlace("$.messages[1].text")).toBe("メッセージ 2件目 › テキスト");
    expect(problemText({ path: "$.segment.all[0].config.tag_ids", message: "タグ 99 はありません" })).toBe(
      "絞り込み条件 › すべての条件 1件目 › 設定 › タグ: タグ 99 はありません",
    );
    expect(errorText(new ApiError(422, "invalid", "x", [{ path: "$.name", message: "必須です" }]))).toBe("名前: 必須です");
  });

  it("leaves out what it has no words for, and never shows the path itself", () => {
    expect(problemText({ path: "$.zq_internal[3].xy", message: "不正な値です" })).toBe("不正な値です");
    expect(problemText({ path: "query:cursor", message: "不正なカーソル" })).toBe("不正なカーソル");
    expect(problemText({ message: "だめ" })).toBe("だめ");
    const shown = errorText(new ApiError(422, "invalid", "x", [{ path: "$.a.b[0]", message: "m" }]));
    expect(shown).not.toContain("$");
  });

  it("says a node's problem beside the node without the node's own part", () => {
    expect(problemText({ path: "$.nodes[4].config.messages[0].altText", message: "必須" }, IN_NODE)).toBe(
      "メッセージ 1件目 › 代替テキスト: 必須",
    );
  });

  it("speaks English when the console does", async () => {
    await i18n.changeLanguage("en");
    expect(problemPlace("$.messages[1].text")).toBe("Messages no. 2 › Text");
  });
});
