import { describe, expect, it } from "vitest";
import { draftOf, fieldErrors, planBody, type Plan } from "./forms";

const standard: Plan = {
  id: 2,
  key: "standard",
  name_ja: "スタンダード",
  name_en: "Standard",
  tier: "standard",
  allowed_plugins: null,
  staff_seats: 5,
  friends_limit: null,
  monthly_messages: 15000,
};

describe("plan form", () => {
  it("sends limits as numbers, empty as unlimited, plugins by tier or as chosen", () => {
    const draft = { ...draftOf(standard), monthly_messages: " 30000 ", staff_seats: "" };
    expect(planBody(draft, false)).toEqual({
      body: {
        name_ja: "スタンダード",
        name_en: "Standard",
        tier: "standard",
        allowed_plugins: null,
        monthly_messages: 30000,
        staff_seats: null,
        friends_limit: null,
      },
      errors: {},
    });
    const chosen = planBody({ ...draftOf(null), key: "lite", byTier: false, allowed_plugins: ["tags"] }, true);
    expect(chosen.body).toMatchObject({ key: "lite", tier: "start", allowed_plugins: ["tags"] });
  });

  it("refuses a limit that is not a whole number, on its field", () => {
    const { errors } = planBody({ ...draftOf(standard), monthly_messages: "-1", friends_limit: "1.5" }, false);
    expect(Object.keys(errors).sort()).toEqual(["$.friends_limit", "$.monthly_messages"]);
  });

  it("files the API's errors under their fields", () => {
    expect(
      fieldErrors([
        { path: "$.allowed_plugins[1]", message: "no plugin named 'x' is installed" },
        { path: "$.key", message: "already used" },
        { message: "platform admins only" },
      ]),
    ).toEqual({
      "$.allowed_plugins": ["no plugin named 'x' is installed"],
      "$.key": ["already used"],
      $: ["platform admins only"],
    });
  });
});
