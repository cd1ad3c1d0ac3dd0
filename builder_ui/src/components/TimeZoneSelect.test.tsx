import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { TimeZoneSelect, zoneOffset } from "./TimeZoneSelect";

describe("time zone picker", () => {
  it("finds an IANA zone by part of its name and gives it with its offset", async () => {
    const onChange = vi.fn();
    render(<TimeZoneSelect id="tz" label="タイムゾーン" value="UTC" onChange={onChange} />);
    const box = screen.getByRole("combobox", { name: "タイムゾーン" });
    fireEvent.mouseDown(box);
    fireEvent.change(box, { target: { value: "tokyo" } });
    const option = await screen.findByText("Asia/Tokyo (UTC+09:00)", { selector: ".ant-select-item-option-content" });
    await waitFor(() =>
      expect([...document.querySelectorAll(".ant-select-item-option-content")].map((o) => o.textContent)).toEqual([
        "Asia/Tokyo (UTC+09:00)",
      ]),
    );
    fireEvent.click(option);
    expect(onChange).toHaveBeenCalledWith("Asia/Tokyo");
  });

  it("says each zone's offset from UTC at a given moment", () => {
    expect(zoneOffset("Asia/Tokyo")).toBe("UTC+09:00");
    expect(zoneOffset("UTC")).toBe("UTC+00:00");
    expect(zoneOffset("America/New_York", new Date(Date.UTC(2026, 0, 15)))).toBe("UTC-05:00");
    expect(zoneOffset("Mars/Olympus")).toBe("");
  });
});
