import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { inConsole } from "../../test/router";
import type { WorkspaceAccess } from "../../types";
import { MediaLibraryPage } from "./MediaLibraryPage";
import type { MediaItem } from "./types";

const access: WorkspaceAccess = {
  workspace: { id: 3, name: "縁カフェ", timezone: "Asia/Tokyo" },
  role: "owner",
  permissions: ["core.write"],
  enabled_plugins: [],
};

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status });

function item(id: number, name: string): MediaItem {
  return {
    id,
    kind: "image",
    name,
    content_type: "image/jpeg",
    size: 1000,
    width: 100,
    height: 100,
    url: `https://shop.example/media/k${id}.jpg`,
    preview_url: `https://shop.example/media/k${id}-preview.jpg`,
    view_url: `/media/k${id}-preview.jpg`,
    preview_note: null,
    source: "upload",
    created_at: "2026-11-27T01:00:00Z",
  };
}

afterEach(() => vi.restoreAllMocks());

function serve(library: MediaItem[], calls: [string, string][]) {
  vi.spyOn(globalThis, "fetch").mockImplementation(async (url, init) => {
    const method = init?.method ?? "GET";
    calls.push([method, String(url)]);
    if (method === "POST") {
      const file = (init!.body as FormData).get("file") as File;
      if (file.name === "notes.jpg") {
        const refusal = "画像(JPEG・PNG など)か MP4 動画を選んでください / choose an image (JPEG, PNG, …) or an MP4 video";
        return json({ error: "invalid", message: refusal, errors: [{ path: "$.file", message: refusal }] }, 422);
      }
      const made = item(9, file.name);
      library.unshift(made);
      return json(made, 201);
    }
    if (method === "DELETE") {
      library.splice(0, library.length, ...library.filter((m) => !String(url).endsWith(`/media/${m.id}`)));
      return new Response(null, { status: 204 });
    }
    return json({ items: library, next: null });
  });
}

function drop(file: File) {
  const input = document.querySelector('input[type="file"]') as HTMLInputElement;
  fireEvent.change(input, { target: { files: [file] } });
}

describe("media library page", () => {
  it("shows the library, uploads a photo and says plainly why a renamed text file is refused", async () => {
    const library = [item(1, "店内.jpg")];
    const calls: [string, string][] = [];
    serve(library, calls);
    render(<MediaLibraryPage access={access} />, inConsole);
    const grid = await screen.findByRole("list", { name: "画像と動画" });
    expect(within(grid).getByRole("img", { name: "店内.jpg" }).getAttribute("src")).toBe("/media/k1-preview.jpg");

    drop(new File(["jpeg"], "新メニュー.jpg", { type: "image/jpeg" }));
    await within(grid).findByRole("img", { name: "新メニュー.jpg" });
    expect(calls).toContainEqual(["POST", "/api/workspaces/3/media"]);

    drop(new File(["just text"], "notes.jpg", { type: "image/jpeg" }));
    const refusal = await screen.findByText(/アップロードできませんでした/);
    expect(refusal.textContent).toContain("notes.jpg: 画像(JPEG・PNG など)か MP4 動画を選んでください");
    expect(refusal.textContent).not.toContain("$.file");
  });

  it("deletes after confirming, saying what stops showing it", async () => {
    const library = [item(1, "店内.jpg")];
    const calls: [string, string][] = [];
    serve(library, calls);
    render(<MediaLibraryPage access={access} />, inConsole);
    await screen.findByRole("img", { name: "店内.jpg" });
    fireEvent.click(screen.getByRole("button", { name: "削除" }));
    expect(await screen.findByText("「店内.jpg」を削除しますか？")).toBeTruthy();
    expect(screen.getByText(/画像が表示されなくなります/)).toBeTruthy();
    const buttons = screen.getAllByRole("button", { name: "削除" });
    fireEvent.click(buttons[buttons.length - 1]);
    await waitFor(() => expect(calls).toContainEqual(["DELETE", "/api/workspaces/3/media/1"]));
    await screen.findByText("まだ画像や動画はありません");
  });

  it("lets read-only staff look but not change", async () => {
    serve([item(1, "店内.jpg")], []);
    render(<MediaLibraryPage access={{ ...access, permissions: [] }} />, inConsole);
    await screen.findByRole("img", { name: "店内.jpg" });
    expect(screen.queryByRole("button", { name: "削除" })).toBeNull();
    expect(document.querySelector('input[type="file"]')).toBeNull();
  });
});
