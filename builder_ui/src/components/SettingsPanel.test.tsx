import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { inConsole } from "../test/router";
import { SettingsPanel } from "./SettingsPanel";

const types = new Map();

describe("scenario settings", () => {
  it("follows the workspace's quiet hours until the scenario sets its own", () => {
    const onChange = vi.fn();
    const { rerender } = render(<SettingsPanel settings={{ quiet_hours: null }} types={types} onChange={onChange} />, inConsole);
    const follow = screen.getByRole("checkbox", { name: "ワークスペースの設定に従う" });
    expect((follow as HTMLInputElement).checked).toBe(true);
    expect(screen.queryByLabelText("開始")).toBeNull();
    expect(screen.getByText(/返信は時間帯に関係なくすぐ送ります/)).toBeTruthy();

    fireEvent.click(follow);
    const own = onChange.mock.calls[0][0].quiet_hours;
    expect(own).toEqual({ enabled: true, start: "22:00", end: "08:00" });

    rerender(<SettingsPanel settings={{ quiet_hours: own }} types={types} onChange={onChange} />);
    // Typed into the time picker and taken with Enter (or when the field is left).
    const start = screen.getByLabelText("開始");
    fireEvent.focus(start);
    fireEvent.change(start, { target: { value: "21:00" } });
    fireEvent.keyDown(start, { key: "Enter", code: "Enter" });
    expect(onChange.mock.calls[1][0].quiet_hours).toEqual({ enabled: true, start: "21:00", end: "08:00" });
  });

  it("shows re-entry on for a message-started scenario that does not say otherwise", () => {
    const onChange = vi.fn();
    const reentry = () => (screen.getByRole("checkbox", { name: "最後まで進んだ友だちが再び開始できる" }) as HTMLInputElement).checked;
    const { rerender } = render(<SettingsPanel settings={{}} types={types} messageStarted onChange={onChange} />, inConsole);
    expect(reentry()).toBe(true);
    rerender(<SettingsPanel settings={{}} types={types} onChange={onChange} />);
    expect(reentry()).toBe(false);
    rerender(<SettingsPanel settings={{ reentry: false }} types={types} messageStarted onChange={onChange} />);
    expect(reentry()).toBe(false);
  });
});
