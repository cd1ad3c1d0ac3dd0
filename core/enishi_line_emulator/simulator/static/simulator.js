// LINE simulator: act as simulated LINE users of an emulated channel and see what the account sends.
// Talks only to the emulator's control API (<base>/_control/...). No build step, no dependencies.

const BASE = document.querySelector('meta[name="emulator-base"]').content.replace(/\/$/, "");
// Inside the app the page is a signed-in staff member's: changes carry the session's CSRF token.
const CSRF = document.querySelector('meta[name="csrf-token"]')?.content || "";
const CAN_REGISTER = document.querySelector('meta[name="emulator-can-register"]')?.content !== "0";
const POLL_MS = 1000;
const USERS_POLL_MS = 4000;

const STRINGS = {
  ja: {
    title: "LINE シミュレーター", skip: "メッセージ入力へ移動", channel: "チャネル", addChannel: "チャネルを登録",
    channelId: "チャネルID", channelSecret: "チャネルシークレット", accessToken: "アクセストークン",
    webhookUrl: "Webhook URL", save: "保存", users: "ユーザー", displayName: "表示名",
    displayNameOptional: "表示名（省略可）", createUser: "ユーザー作成", lastWebhook: "最後の Webhook", none: "なし",
    pickUser: "ユーザーを選んでください", follow: "友だち追加", unblock: "ブロック解除", block: "ブロック",
    chatLabel: "トーク", quickReplies: "クイックリプライ", stickers: "スタンプ", image: "画像", location: "位置情報",
    message: "メッセージ", messagePlaceholder: "メッセージを入力", send: "送信", pickDate: "日時を選択",
    cancel: "キャンセル", ok: "OK", richMenu: "メニュー", noChannels: "チャネルがありません",
    noUsers: "ユーザーがいません", stateNew: "未追加", stateFollowing: "友だち", stateBlocked: "ブロック中",
    actingAs: "{name} として操作中", followed: "友だち追加しました", unblocked: "ブロックを解除しました",
    blockedNote: "ブロックしました", postback: "ポストバック: {data}", webhookOk: "Webhook 送信成功 ({status}, {ms} ms)",
    webhookFailed: "Webhook 失敗: {error}", webhookNone: "Webhook URL が未設定です", copied: "コピーしました",
    openedLink: "リンクを開きました: {uri}", unsupported: "未対応のメッセージ: {type}", quota: "月間上限",
    unlimited: "上限なし", used: "使用済み", followers: "友だち数", botUser: "ボットのユーザーID",
    notifyOff: "通知なし", blockedCannotSend: "ブロック中は送信できません。ブロック解除してください。",
    sampleLocation: "東京駅", sampleAddress: "東京都千代田区丸の内1丁目", saved: "保存しました",
    viewImage: "画像を開く", mapLink: "地図を開く", video: "動画", audio: "音声", sticker: "スタンプ",
  },
  en: {
    title: "LINE simulator", skip: "Skip to the message box", channel: "Channel", addChannel: "Register a channel",
    channelId: "Channel ID", channelSecret: "Channel secret", accessToken: "Access token",
    webhookUrl: "Webhook URL", save: "Save", users: "Users", displayName: "Display name",
    displayNameOptional: "Display name (optional)", createUser: "Create user", lastWebhook: "Last webhook",
    none: "None", pickUser: "Pick a user", follow: "Add friend", unblock: "Unblock", block: "Block",
    chatLabel: "Chat", quickReplies: "Quick replies", stickers: "Stickers", image: "Image", location: "Location",
    message: "Message", messagePlaceholder: "Type a message", send: "Send", pickDate: "Pick a date/time",
    cancel: "Cancel", ok: "OK", richMenu: "Menu", noChannels: "No channels yet", noUsers: "No users yet",
    stateNew: "Not added", stateFollowing: "Friend", stateBlocked: "Blocked", actingAs: "Acting as {name}",
    followed: "Added as a friend", unblocked: "Unblocked", blockedNote: "Blocked the account",
    postback: "Postback: {data}", webhookOk: "Webhook delivered ({status}, {ms} ms)",
    webhookFailed: "Webhook failed: {error}", webhookNone: "No webhook URL is set", copied: "Copied",
    openedLink: "Opened link: {uri}", unsupported: "Unsupported message: {type}", quota: "Monthly limit",
    unlimited: "none", used: "used", followers: "Friends", botUser: "Bot user ID", notifyOff: "silent",
    blockedCannotSend: "A user who blocked the account cannot send. Unblock first.",
    sampleLocation: "Tokyo Station", sampleAddress: "1 Marunouchi, Chiyoda, Tokyo", saved: "Saved",
    viewImage: "Open image", mapLink: "Open map", video: "Video", audio: "Audio", sticker: "Sticker",
  },
};

// A few of LINE's free stickers (package 446 and 789), with an emoji shown when the image cannot load.
const STICKERS = [
  ["446", "1988", "😊"], ["446", "1989", "😆"], ["446", "1990", "😢"], ["446", "1991", "😠"],
  ["446", "1992", "😮"], ["446", "1993", "👍"], ["789", "10855", "🙇"], ["789", "10856", "🎉"],
];

const state = {
  lang: localStorage.getItem("enishi-simulator-lang") || "ja",
  channelId: null,
  userId: null,
  users: [],
  after: 0,
  entries: [],
  pollTimer: null,
  pendingPicker: null,
  lastWebhook: null,
};

const $ = (id) => document.getElementById(id);

// -- helpers -------------------------------------------------------------------------------------------------------

function t(key, vars = {}) {
  const text = (STRINGS[state.lang] && STRINGS[state.lang][key]) || STRINGS.ja[key] || key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : ""));
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
  return node;
}

// An absolute URL the account sent, or null. Not resolved against this page: a missing URL (undefined) would
// otherwise become "<page>/undefined", a broken picture where a template has no thumbnail.
function safeUrl(url, schemes = ["https:", "http:", "data:"]) {
  if (typeof url !== "string" || !url) return null;
  try {
    const parsed = new URL(url);
    return schemes.includes(parsed.protocol) ? parsed.href : null;
  } catch {
    return null;
  }
}

function safeColor(value) {
  return typeof value === "string" && /^#([0-9a-f]{6}|[0-9a-f]{8})$/i.test(value) ? value : null;
}

function toast(message, isError = false) {
  const box = $("toast");
  box.textContent = message;
  box.classList.toggle("error", isError);
  box.classList.add("show");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => box.classList.remove("show"), 4000);
}

async function control(path, options = {}) {
  const init = { method: options.method || "GET", headers: { accept: "application/json" } };
  if (CSRF && init.method !== "GET") init.headers["x-csrf-token"] = CSRF;
  if (options.body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  const response = await fetch(`${BASE}/_control${path}`, init);
  const data = response.headers.get("content-type")?.includes("json") ? await response.json() : null;
  if (!response.ok) {
    const detail = data?.details?.map((d) => `${d.property}: ${d.message}`).join(", ");
    throw new Error([data?.message || response.statusText, detail].filter(Boolean).join(" — "));
  }
  return data;
}

function userPath(suffix = "") {
  return `/channels/${encodeURIComponent(state.channelId)}/users/${encodeURIComponent(state.userId)}${suffix}`;
}

// -- language ------------------------------------------------------------------------------------------------------

function applyLanguage() {
  document.documentElement.lang = state.lang;
  document.title = `${t("title")} — Enishi`;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  }
  for (const node of document.querySelectorAll("[data-i18n-aria]")) node.setAttribute("aria-label", t(node.dataset.i18nAria));
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === state.lang));
  }
  renderUsers();
  renderUserState();
  rerenderChat();
  if (state.lastWebhook) showWebhook(state.lastWebhook);
}

// -- channels and users --------------------------------------------------------------------------------------------

async function loadChannels() {
  const { channels } = await control("/channels");
  const select = $("channel-select");
  const signature = JSON.stringify([channels.map((c) => [c.channelId, c.displayName]), state.lang]);
  if (select.dataset.signature === signature && channels.some((c) => c.channelId === state.channelId)) return;
  select.dataset.signature = signature;
  select.replaceChildren(
    ...(channels.length
      ? channels.map((c) => el("option", { value: c.channelId, text: `${c.displayName} (${c.channelId})` }))
      : [el("option", { value: "", text: t("noChannels") })]),
  );
  $("channel-form-box").open = CAN_REGISTER && channels.length === 0;
  const keep = channels.find((c) => c.channelId === state.channelId);
  const chosen = keep ? keep.channelId : channels[0]?.channelId || null;
  select.value = chosen || "";
  if (chosen !== state.channelId) await selectChannel(chosen);
}

async function selectChannel(channelId) {
  state.channelId = channelId;
  state.userId = null;
  resetChat();
  await loadUsers();
}

async function loadUsers() {
  if (!state.channelId) {
    state.users = [];
    renderUsers();
    renderChannelInfo(null);
    return;
  }
  const channel = await control(`/channels/${encodeURIComponent(state.channelId)}`);
  renderChannelInfo(channel);
  if (JSON.stringify(channel.userList) === JSON.stringify(state.users)) return;
  state.users = channel.userList;
  renderUsers();
  renderUserState();
}

function renderChannelInfo(channel) {
  const box = $("channel-info");
  if (!channel) {
    box.replaceChildren();
    return;
  }
  const quota = channel.quota.type === "limited" ? `${channel.quota.consumption} / ${channel.quota.limit}` : t("unlimited");
  const rows = [
    [t("webhookUrl"), channel.webhookUrl || "—"],
    [t("quota"), quota],
    [t("followers"), String(channel.followers)],
    [t("botUser"), channel.botUserId],
  ];
  box.replaceChildren(...rows.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
}

function stateLabel(userState) {
  return { new: t("stateNew"), following: t("stateFollowing"), blocked: t("stateBlocked") }[userState] || userState;
}

function renderUsers() {
  const list = $("user-list");
  if (!state.users.length) {
    list.replaceChildren(el("li", { class: "muted", text: t("noUsers") }));
    return;
  }
  list.replaceChildren(
    ...state.users.map((user) =>
      el(
        "li",
        {},
        el(
          "button",
          {
            type: "button",
            class: "user-button",
            "aria-current": user.userId === state.userId ? "true" : null,
            onclick: () => selectUser(user.userId),
          },
          el("span", { class: "avatar", "aria-hidden": "true", text: user.displayName.slice(0, 1) }),
          el("span", { class: "user-name", text: user.displayName }),
          el("span", { class: `badge badge-${user.state}`, text: stateLabel(user.state) }),
        ),
      ),
    ),
  );
}

function currentUser() {
  return state.users.find((u) => u.userId === state.userId) || null;
}

function renderUserState() {
  const user = currentUser();
  const follow = $("btn-follow");
  const block = $("btn-block");
  const controls = ["btn-sticker", "btn-image", "btn-location", "composer-text", "btn-send"].map($);
  if (!user) {
    $("account-name").textContent = t("pickUser");
    $("acting-as").textContent = "";
    $("friend-state").hidden = true;
    follow.disabled = block.disabled = true;
    controls.forEach((c) => (c.disabled = true));
    return;
  }
  const channel = $("channel-select").selectedOptions[0];
  $("account-name").textContent = channel ? channel.textContent : "";
  $("acting-as").textContent = t("actingAs", { name: user.displayName });
  const badge = $("friend-state");
  badge.hidden = false;
  badge.className = `badge badge-${user.state}`;
  badge.textContent = stateLabel(user.state);
  follow.disabled = user.state === "following";
  follow.textContent = user.state === "blocked" ? t("unblock") : t("follow");
  block.disabled = user.state === "blocked";
  controls.forEach((c) => (c.disabled = user.state === "blocked"));
}

async function selectUser(userId) {
  state.userId = userId;
  resetChat();
  renderUsers();
  renderUserState();
  try {
    await poll();
  } catch (error) {
    toast(error.message, true);
  }
  $("composer-text").focus();
}

// -- the chat ------------------------------------------------------------------------------------------------------

function resetChat() {
  state.after = 0;
  state.entries = [];
  $("chat").replaceChildren();
  renderNotes([]);
  $("quick-replies").hidden = true;
  $("rich-menu-box").hidden = true;
}

function rerenderChat() {
  const chat = $("chat");
  chat.replaceChildren(...state.entries.map(renderEntry));
  renderQuickReplies();
}

// One polling loop; other callers (after an action) fetch once more. Entries are kept once each by ``seq``.
async function poll() {
  if (!state.channelId || !state.userId) return;
  const userId = state.userId;
  const data = await control(`${userPath("/timeline")}?after=${state.after}`);
  if (userId !== state.userId || data.user.userId !== userId) return;
  const chat = $("chat");
  const nearBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 80;
  const fresh = data.entries.filter((entry) => entry.seq > state.after);
  for (const entry of fresh) {
    state.entries.push(entry);
    chat.append(renderEntry(entry));
    state.after = entry.seq;
  }
  updateUser(data.user);
  renderNotes(data.notes || []);
  renderRichMenu(data.richMenu);
  if (fresh.length) {
    renderQuickReplies();
    if (nearBottom || fresh.some((e) => e.direction === "user")) chat.scrollTop = chat.scrollHeight;
  }
}

// What the app around the emulator says about this user beside the talk (a message it holds back, and why).
function renderNotes(notes) {
  const box = $("notes");
  const texts = notes.map((n) => (state.lang === "en" ? n.en : n.ja) || n.ja || "");
  if (JSON.stringify(texts) === box.dataset.shown) return;
  box.dataset.shown = JSON.stringify(texts);
  box.replaceChildren(
    ...texts.map((text) => {
      const li = document.createElement("li");
      li.setAttribute("role", "note");
      li.textContent = text;
      return li;
    }),
  );
  box.hidden = texts.length === 0;
}

async function pollLoop() {
  try {
    if (!document.hidden) await poll();
  } catch (error) {
    toast(error.message, true);
  } finally {
    setTimeout(pollLoop, POLL_MS);
  }
}

function updateUser(user) {
  const index = state.users.findIndex((u) => u.userId === user.userId);
  if (index >= 0 && JSON.stringify(state.users[index]) !== JSON.stringify(user)) {
    state.users[index] = user;
    renderUsers();
    renderUserState();
  }
}

function timeOf(entry) {
  return new Date(entry.timestamp).toLocaleTimeString(state.lang === "ja" ? "ja-JP" : "en-US", {
    hour: "2-digit",
    minute: "2-digit",
  });
}

function renderEntry(entry) {
  if (entry.direction === "user" && (entry.kind === "follow" || entry.kind === "unfollow")) {
    const text = entry.kind === "unfollow" ? t("blockedNote") : unblocks(entry) ? t("unblocked") : t("followed");
    return el("li", { class: "system" }, el("span", { text }), webhookNote(entry));
  }
  if (entry.direction === "user" && entry.kind === "postback" && !entry.message) {
    return el("li", { class: "system" }, el("span", { text: t("postback", { data: entry.postback?.data }) }), webhookNote(entry));
  }
  const mine = entry.direction === "user";
  const body = mine ? renderUserMessage(entry) : renderMessage(entry.message);
  const meta = el(
    "span",
    { class: "meta" },
    el("time", { datetime: entry.at, text: timeOf(entry) }),
    !mine && entry.notificationDisabled ? el("span", { text: ` · ${t("notifyOff")}` }) : null,
    !mine && entry.endpoint ? el("span", { class: "endpoint", text: ` · ${entry.endpoint}` }) : null,
  );
  return el(
    "li",
    { class: mine ? "row mine" : "row theirs" },
    mine ? null : el("span", { class: "avatar bot", "aria-hidden": "true", text: "B" }),
    el("div", { class: "bubble-wrap" }, body, meta, mine ? webhookNote(entry) : null),
  );
}

// A follow right after the user blocked the account is an unblock (LINE's follow.isUnblocked).
function unblocks(entry) {
  const before = state.entries.slice(0, Math.max(state.entries.indexOf(entry), 0));
  const last = before.findLast((e) => e.direction === "user" && (e.kind === "follow" || e.kind === "unfollow"));
  return last?.kind === "unfollow";
}

function webhookNote(entry) {
  const webhook = entry.webhook;
  if (!webhook || webhook.ok) return null;
  const text = webhook.url ? t("webhookFailed", { error: webhook.error || webhook.statusCode }) : t("webhookNone");
  return el("span", { class: "webhook-error", text });
}

function renderUserMessage(entry) {
  const message = entry.message || {};
  if (message.type === "image") {
    const src = `${BASE}/_control/channels/${encodeURIComponent(state.channelId)}/content/${encodeURIComponent(message.id)}`;
    return el("div", { class: "bubble media" }, el("img", { src, alt: t("image"), loading: "lazy" }));
  }
  if (message.type === "sticker") return renderSticker(message.packageId, message.stickerId);
  if (message.type === "location") return renderLocation(message);
  return el("div", { class: "bubble text", text: message.text || "" });
}

function renderSticker(packageId, stickerId) {
  const known = STICKERS.find(([, id]) => id === String(stickerId));
  const fallback = el("span", { class: "sticker-fallback", text: known ? known[2] : "🙂" });
  const img = el("img", {
    src: `https://stickershop.line-scdn.net/stickershop/v1/sticker/${encodeURIComponent(stickerId)}/android/sticker.png`,
    alt: `${t("sticker")} ${packageId}/${stickerId}`,
    loading: "lazy",
    referrerpolicy: "no-referrer",
  });
  img.addEventListener("error", () => img.replaceWith(fallback));
  return el("div", { class: "sticker" }, img);
}

function renderLocation(message) {
  const map = `https://www.openstreetmap.org/?mlat=${message.latitude}&mlon=${message.longitude}#map=16/${message.latitude}/${message.longitude}`;
  return el(
    "div",
    { class: "bubble location" },
    el("strong", { text: `📍 ${message.title || t("location")}` }),
    message.address ? el("span", { text: message.address }) : null,
    el("a", { href: map, target: "_blank", rel: "noopener noreferrer", text: t("mapLink") }),
  );
}

function renderMessage(message) {
  if (!message) return el("div", { class: "bubble text" });
  switch (message.type) {
    case "text":
      return el("div", { class: "bubble text", text: message.text });
    case "textV2":
      return el("div", { class: "bubble text", text: substitute(message) });
    case "sticker":
      return renderSticker(message.packageId, message.stickerId);
    case "image": {
      const src = safeUrl(message.previewImageUrl) || safeUrl(message.originalContentUrl);
      const full = safeUrl(message.originalContentUrl);
      return el(
        "div",
        { class: "bubble media" },
        el("a", { href: full, target: "_blank", rel: "noopener noreferrer", "aria-label": t("viewImage") }, el("img", { src, alt: t("image"), loading: "lazy" })),
      );
    }
    case "video":
      return el("div", { class: "bubble media" }, el("video", { src: safeUrl(message.originalContentUrl), poster: safeUrl(message.previewImageUrl), controls: true, preload: "none", "aria-label": t("video") }));
    case "audio":
      return el("div", { class: "bubble media" }, el("audio", { src: safeUrl(message.originalContentUrl), controls: true, preload: "none", "aria-label": t("audio") }));
    case "location":
      return renderLocation(message);
    case "imagemap":
      return renderImagemap(message);
    case "template":
      return renderTemplate(message);
    case "flex":
      return el("div", { class: "flex-message", role: "group", "aria-label": message.altText }, renderFlexContainer(message.contents));
    default:
      return el("div", { class: "bubble text muted", text: t("unsupported", { type: message.type }) });
  }
}

function substitute(message) {
  const subs = message.substitution || {};
  return String(message.text || "").replace(/\{([^{}]+)\}/g, (whole, key) => {
    const sub = subs[key];
    if (!sub) return whole;
    if (sub.type === "mention") return sub.mentionee?.type === "all" ? "@All" : "@user";
    if (sub.type === "emoji") return "😀";
    return whole;
  });
}

function renderImagemap(message) {
  const base = safeUrl(message.baseUrl);
  const size = message.baseSize || { width: 1040, height: 1040 };
  const frame = el("div", { class: "imagemap", style: `aspect-ratio: ${size.width} / ${size.height}` });
  if (base) frame.append(el("img", { src: `${base}/1040`, alt: message.altText || "", loading: "lazy" }));
  for (const action of message.actions || []) {
    const area = action.area || {};
    const label = action.label || action.text || action.linkUri || action.clipboardText || "";
    const button = el("button", {
      type: "button",
      class: "area",
      "aria-label": label,
      title: label,
      style: `left:${(area.x / size.width) * 100}%;top:${(area.y / size.height) * 100}%;width:${(area.width / size.width) * 100}%;height:${(area.height / size.height) * 100}%`,
      onclick: () => runAction(imagemapAction(action)),
    });
    frame.append(button);
  }
  return el("div", { class: "bubble media" }, frame);
}

function imagemapAction(action) {
  if (action.type === "uri") return { type: "uri", uri: action.linkUri };
  if (action.type === "clipboard") return { type: "clipboard", clipboardText: action.clipboardText };
  return { type: "message", text: action.text };
}

function actionLabel(action) {
  return action?.label || action?.displayText || action?.text || action?.data || action?.uri || action?.type || "";
}

function actionButton(action, className = "action") {
  return el("button", { type: "button", class: className, text: actionLabel(action), onclick: () => runAction(action) });
}

function renderTemplate(message) {
  const template = message.template || {};
  const box = el("div", { class: "template", role: "group", "aria-label": message.altText });
  if (template.type === "buttons") box.append(templateCard(template));
  else if (template.type === "confirm") {
    box.append(
      el(
        "div",
        { class: "card-bubble confirm" },
        el("p", { class: "card-text", text: template.text }),
        el("div", { class: "confirm-actions" }, (template.actions || []).map((a) => actionButton(a))),
      ),
    );
  } else if (template.type === "carousel") {
    box.classList.add("carousel");
    box.append(...(template.columns || []).map((column) => templateCard(column, template)));
  } else if (template.type === "image_carousel") {
    box.classList.add("carousel");
    for (const column of template.columns || []) {
      box.append(
        el(
          "button",
          { type: "button", class: "image-column", onclick: () => runAction(column.action) },
          el("img", { src: safeUrl(column.imageUrl), alt: "", loading: "lazy" }),
          el("span", { text: actionLabel(column.action) }),
        ),
      );
    }
  } else {
    box.append(el("div", { class: "bubble text muted", text: message.altText }));
  }
  return box;
}

function templateCard(column, template = column) {
  const image = safeUrl(column.thumbnailImageUrl);
  const ratio = template.imageAspectRatio === "square" ? "1 / 1" : "1.51 / 1";
  return el(
    "div",
    { class: "card-bubble" },
    image
      ? el("img", {
          class: "card-image",
          src: image,
          alt: "",
          style: `aspect-ratio:${ratio};object-fit:${template.imageSize === "contain" ? "contain" : "cover"};background:${safeColor(column.imageBackgroundColor) || "#fff"}`,
          loading: "lazy",
        })
      : null,
    column.title ? el("p", { class: "card-title", text: column.title }) : null,
    el("p", { class: "card-text", text: column.text }),
    el("div", { class: "card-actions" }, (column.actions || []).map((a) => actionButton(a))),
  );
}

// -- flex (bubble, carousel; box, text, span, image, icon, button, separator, filler) -------------------------------

const FLEX_SIZES = { xxs: "11px", xs: "12px", sm: "13px", md: "14px", lg: "16px", xl: "18px", xxl: "20px", "3xl": "24px", "4xl": "30px", "5xl": "38px" };
const FLEX_SPACING = { none: "0", xs: "2px", sm: "4px", md: "8px", lg: "12px", xl: "16px", xxl: "20px" };

function renderFlexContainer(container) {
  if (!container) return el("div");
  if (container.type === "carousel") {
    return el("div", { class: "carousel" }, (container.contents || []).map(renderBubble));
  }
  return renderBubble(container);
}

function renderBubble(bubble) {
  const node = el("div", { class: `flex-bubble size-${bubble.size || "mega"}` });
  const styles = bubble.styles || {};
  for (const block of ["header", "hero", "body", "footer"]) {
    if (!bubble[block]) continue;
    const part = el("div", { class: `flex-${block}` }, renderComponent(bubble[block]));
    const bg = safeColor(styles[block]?.backgroundColor);
    if (bg) part.style.background = bg;
    node.append(part);
  }
  if (bubble.action) return clickable(node, bubble.action);
  return node;
}

function clickable(node, action) {
  node.classList.add("flex-clickable");
  node.tabIndex = 0;
  node.setAttribute("role", "button");
  node.setAttribute("aria-label", actionLabel(action));
  node.addEventListener("click", () => runAction(action));
  node.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      runAction(action);
    }
  });
  return node;
}

function boxStyle(component, node) {
  if (component.flex !== undefined) node.style.flex = `${Number(component.flex) || 0} ${Number(component.flex) ? 1 : 0} auto`;
  if (component.margin) node.style.marginTop = FLEX_SPACING[component.margin] || component.margin;
  const color = safeColor(component.color);
  if (color) node.style.color = color;
  const background = safeColor(component.backgroundColor);
  if (background) node.style.background = background;
  for (const side of ["paddingAll", "paddingTop", "paddingBottom", "paddingStart", "paddingEnd"]) {
    const value = component[side];
    if (!value) continue;
    const css = FLEX_SPACING[value] || (/^\d+(px|%)$/.test(value) ? value : null);
    if (!css) continue;
    const prop = { paddingAll: "padding", paddingTop: "paddingTop", paddingBottom: "paddingBottom", paddingStart: "paddingInlineStart", paddingEnd: "paddingInlineEnd" }[side];
    node.style[prop] = css;
  }
}

function renderComponent(component) {
  if (!component) return el("span");
  let node;
  switch (component.type) {
    case "box": {
      node = el("div", { class: `flex-box layout-${component.layout || "vertical"}` });
      if (component.spacing) node.style.gap = FLEX_SPACING[component.spacing] || component.spacing;
      if (safeColor(component.borderColor)) node.style.border = `1px solid ${component.borderColor}`;
      if (component.cornerRadius) node.style.borderRadius = FLEX_SPACING[component.cornerRadius] || component.cornerRadius;
      for (const child of component.contents || []) node.append(renderComponent(child));
      break;
    }
    case "text": {
      node = el("p", { class: "flex-text" });
      if (component.contents?.length) {
        for (const span of component.contents) {
          const s = el("span", { text: span.text || "" });
          if (safeColor(span.color)) s.style.color = span.color;
          if (span.weight === "bold") s.style.fontWeight = "700";
          if (span.size) s.style.fontSize = FLEX_SIZES[span.size] || "";
          node.append(s);
        }
      } else {
        node.textContent = component.text || "";
      }
      node.style.fontSize = FLEX_SIZES[component.size] || FLEX_SIZES.md;
      if (component.weight === "bold") node.style.fontWeight = "700";
      if (component.align) node.style.textAlign = { start: "start", end: "end", center: "center" }[component.align] || "";
      if (component.wrap) node.classList.add("wrap");
      if (component.decoration === "line-through") node.style.textDecoration = "line-through";
      break;
    }
    case "image":
    case "icon": {
      const src = safeUrl(component.url);
      node = el("img", { class: `flex-${component.type}`, src, alt: component.altText || "", loading: "lazy" });
      if (component.aspectRatio && /^\d+(\.\d+)?:\d+(\.\d+)?$/.test(component.aspectRatio)) {
        node.style.aspectRatio = component.aspectRatio.replace(":", " / ");
      }
      if (component.aspectMode === "cover") node.style.objectFit = "cover";
      break;
    }
    case "button": {
      const style = component.style || "link";
      node = actionButton(component.action, `flex-button ${style}`);
      const color = safeColor(component.color);
      if (color && style !== "link") node.style.background = color;
      else if (color) node.style.color = color;
      if (component.height === "sm") node.classList.add("small");
      boxStyle({ ...component, color: undefined, backgroundColor: undefined }, node);
      return node;
    }
    case "separator":
      node = el("hr", { class: "flex-separator" });
      if (safeColor(component.color)) node.style.borderColor = component.color;
      break;
    case "filler":
      node = el("div", { class: "flex-filler", "aria-hidden": "true" });
      break;
    case "video":
      return renderComponent(component.altContent);
    default:
      node = el("span", { class: "muted", text: `[${component.type}]` });
  }
  boxStyle(component, node);
  return component.action ? clickable(node, component.action) : node;
}

// -- quick replies and rich menu -------------------------------------------------------------------------------------

function renderQuickReplies() {
  const box = $("quick-replies");
  const last = state.entries[state.entries.length - 1];
  const items = last && last.direction === "bot" ? last.message?.quickReply?.items || [] : [];
  box.hidden = items.length === 0;
  box.replaceChildren(
    ...items.map((item) => {
      const button = actionButton(item.action, "chip");
      const icon = safeUrl(item.imageUrl, ["https:", "http:"]);
      if (icon) button.prepend(el("img", { src: icon, alt: "", class: "chip-icon" }));
      return button;
    }),
  );
}

function renderRichMenu(menu) {
  const box = $("rich-menu-box");
  if (!menu || !menu.size) {
    box.hidden = true;
    return;
  }
  const key = JSON.stringify([menu.richMenuId, menu.hasImage, state.lang]);
  box.hidden = false;
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  const toggle = $("rich-menu-toggle");
  toggle.textContent = `☰ ${menu.chatBarText || t("richMenu")}`;
  const grid = $("rich-menu");
  grid.setAttribute("aria-label", menu.name || t("richMenu"));
  grid.style.aspectRatio = `${menu.size.width} / ${menu.size.height}`;
  grid.style.backgroundImage = menu.hasImage
    ? `url("${BASE}/_control/channels/${encodeURIComponent(state.channelId)}/richmenus/${encodeURIComponent(menu.richMenuId)}/image")`
    : "";
  grid.replaceChildren(
    ...(menu.areas || []).map((area) => {
      const b = area.bounds;
      const button = actionButton(area.action, "area");
      button.style.cssText = `left:${(b.x / menu.size.width) * 100}%;top:${(b.y / menu.size.height) * 100}%;width:${(b.width / menu.size.width) * 100}%;height:${(b.height / menu.size.height) * 100}%`;
      if (menu.hasImage) button.classList.add("over-image");
      return button;
    }),
  );
  const open = menu.selected !== false;
  toggle.setAttribute("aria-expanded", String(open));
  grid.hidden = !open;
}

// -- what the user does ----------------------------------------------------------------------------------------------

async function act(action, body = {}) {
  if (!state.userId) return null;
  try {
    const result = await control(userPath(`/${action}`), { method: "POST", body });
    reportWebhook(result.webhook);
    await poll();
    await loadUsers();
    return result;
  } catch (error) {
    toast(error.message, true);
    return null;
  }
}

function showWebhook(webhook) {
  state.lastWebhook = webhook;
  const status = $("webhook-status");
  status.removeAttribute("data-i18n"); // from now on it shows a result, not the "none" placeholder
  status.classList.toggle("error", !webhook.ok);
  if (webhook.ok) status.textContent = t("webhookOk", { status: webhook.statusCode, ms: Math.round(webhook.elapsedMs) });
  else if (!webhook.url) status.textContent = t("webhookNone");
  else status.textContent = t("webhookFailed", { error: webhook.error || webhook.statusCode });
  return status.textContent;
}

function reportWebhook(webhook) {
  const text = showWebhook(webhook);
  if (!webhook.ok && webhook.url) toast(text, true);
}

async function sendText(text) {
  if (text.trim()) await act("text", { text });
}

async function sendLocation() {
  await act("location", { title: t("sampleLocation"), address: t("sampleAddress"), latitude: 35.681236, longitude: 139.767125 });
}

function pickImage() {
  $("image-input").click();
}

async function sendImage(file) {
  const data = await new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1]);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
  await act("image", { contentType: file.type || "image/png", dataBase64: data });
}

function pickDateTime(action) {
  const mode = action.mode || "datetime";
  const input = $("picker-input");
  input.type = { date: "date", time: "time", datetime: "datetime-local" }[mode] || "datetime-local";
  input.min = action.min || "";
  input.max = action.max || "";
  input.value = action.initial || "";
  const dialog = $("picker-dialog");
  state.pendingPicker = { action, mode };
  dialog.showModal();
}

async function onPickerClose() {
  const dialog = $("picker-dialog");
  const pending = state.pendingPicker;
  state.pendingPicker = null;
  if (!pending || dialog.returnValue !== "ok") return;
  const value = $("picker-input").value;
  if (!value) return;
  await act("postback", { data: pending.action.data || "", params: { [pending.mode]: value } });
}

async function runAction(action) {
  if (!action) return;
  switch (action.type) {
    case "postback":
      return act("postback", { data: action.data || "", displayText: action.displayText || action.text || undefined });
    case "message":
      return sendText(action.text || "");
    case "uri": {
      const uri = safeUrl(action.uri, ["https:", "http:", "tel:", "mailto:"]);
      if (uri) window.open(uri, "_blank", "noopener,noreferrer");
      toast(t("openedLink", { uri: action.uri }));
      return null;
    }
    case "datetimepicker":
      return pickDateTime(action);
    case "camera":
    case "cameraRoll":
      return pickImage();
    case "location":
      return sendLocation();
    case "richmenuswitch":
      return act("postback", {
        data: action.data || "",
        params: { newRichMenuAliasId: action.richMenuAliasId || "", status: "SUCCESS" },
      });
    case "clipboard":
      try {
        await navigator.clipboard.writeText(action.clipboardText || "");
        toast(t("copied"));
      } catch (error) {
        toast(error.message, true);
      }
      return null;
    default:
      toast(t("unsupported", { type: action.type }), true);
      return null;
  }
}

// -- wiring ------------------------------------------------------------------------------------------------------------

function buildStickerPanel() {
  $("sticker-panel").replaceChildren(
    ...STICKERS.map(([packageId, stickerId, emoji]) =>
      el("button", {
        type: "button",
        class: "sticker-choice",
        "aria-label": `${t("sticker")} ${emoji}`,
        text: emoji,
        onclick: async () => {
          toggleStickers(false);
          await act("sticker", { packageId, stickerId });
        },
      }),
    ),
  );
}

function toggleStickers(open) {
  const panel = $("sticker-panel");
  const show = open ?? panel.hidden;
  panel.hidden = !show;
  $("btn-sticker").setAttribute("aria-expanded", String(show));
}

function wire() {
  // Inside the app channels come from the workspaces; only a platform admin may add others.
  $("channel-form-box").hidden = !CAN_REGISTER;
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => {
      state.lang = button.dataset.lang;
      localStorage.setItem("enishi-simulator-lang", state.lang);
      applyLanguage();
    });
  }
  $("channel-select").addEventListener("change", (event) => selectChannel(event.target.value || null));
  $("channel-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const body = Object.fromEntries([...form.entries()].filter(([, v]) => v !== ""));
    try {
      const channel = await control("/channels", { method: "POST", body });
      state.channelId = channel.channelId;
      event.target.reset();
      toast(t("saved"));
      await loadChannels();
      await loadUsers();
    } catch (error) {
      toast(error.message, true);
    }
  });
  $("new-user-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!state.channelId) return;
    const name = $("new-user-name").value.trim();
    try {
      const user = await control(`/channels/${encodeURIComponent(state.channelId)}/users`, {
        method: "POST",
        body: name ? { displayName: name } : {},
      });
      $("new-user-name").value = "";
      await loadUsers();
      await selectUser(user.userId);
    } catch (error) {
      toast(error.message, true);
    }
  });
  $("btn-follow").addEventListener("click", () => act("follow"));
  $("btn-block").addEventListener("click", () => act("unfollow"));
  $("composer").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("composer-text");
    const text = input.value;
    input.value = "";
    await sendText(text);
    input.focus();
  });
  $("btn-sticker").addEventListener("click", () => toggleStickers());
  $("btn-image").addEventListener("click", pickImage);
  $("btn-location").addEventListener("click", sendLocation);
  $("image-input").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    event.target.value = "";
    if (file) await sendImage(file);
  });
  $("picker-dialog").addEventListener("close", onPickerClose);
  $("rich-menu-toggle").addEventListener("click", () => {
    const grid = $("rich-menu");
    grid.hidden = !grid.hidden;
    $("rich-menu-toggle").setAttribute("aria-expanded", String(!grid.hidden));
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !$("sticker-panel").hidden) toggleStickers(false);
  });
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) poll().catch((error) => toast(error.message, true));
  });
}

async function refreshUsersLoop() {
  try {
    await loadChannels();
    await loadUsers();
  } catch (error) {
    toast(error.message, true);
  } finally {
    setTimeout(refreshUsersLoop, USERS_POLL_MS);
  }
}

wire();
buildStickerPanel();
applyLanguage();
refreshUsersLoop().then(pollLoop);
