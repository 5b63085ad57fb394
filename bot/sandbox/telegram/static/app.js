/* Sandbox Telegram web chat. Plain JS, no dependencies.
 *
 * Safety rule: the only HTML inserted from the server is `message.html`, which the server
 * builds from the message's entities with every character of text escaped. Everything else
 * (names, button labels, invoice titles, toasts) goes through textContent.
 */
"use strict";

const $ = (id) => document.getElementById(id);
const SVG_NS = "http://www.w3.org/2000/svg";

const state = {
  bot: null,
  personas: [],
  groups: [],
  current: null, // {kind: "user" | "group", id}
  chats: new Map(), // chat_id -> {messages: Map(id -> msg), keyboard, commands, blocked, clicker}
  unread: new Map(),
  pendingClicks: new Map(), // query_id -> button element
  kbHidden: new Set(),
  typingTimer: null,
  stateTimer: null,
  stick: true,
  ws: null,
  wsDelay: 500,
  live: false,
  replyTo: null, // {chatId, id, snippet}: the group message the composer replies to
};

/* ------------------------------------------------------------------ helpers */

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function icon(name, cls) {
  const paths = {
    star: "M12 2.6l2.8 6 6.5.7-4.9 4.4 1.4 6.4L12 16.9 6.2 20.1l1.4-6.4L2.7 9.3l6.5-.7z",
    check: "M4.5 12.5l4.2 4.2L19.5 6",
    checks: "M2.5 12.5l4.2 4.2L17 6.5M10.5 15.8l.9.9L21.5 6.5",
    file: "M6 2.8h8l5 5v13.4H6zM14 2.8v5h5",
    image: "M4 5h16v14H4zM4 16l5-5 4 4 2.5-2.5L20 16M15.5 9.2a1.3 1.3 0 1 0 0-.1",
    arrow: "M7 17L17 7M9 7h8v8",
    group: "M9 11a3.2 3.2 0 1 0 0-6.4A3.2 3.2 0 0 0 9 11zm-6 8.5c.4-3.3 3-5.4 6-5.4s5.6 2.1 6 5.4M16.5 11a2.7 2.7 0 1 0 0-5.4M17.5 14.3c2 .5 3.4 2.2 3.7 4.7",
    bot: "M7 8h10a3 3 0 0 1 3 3v5a3 3 0 0 1-3 3H7a3 3 0 0 1-3-3v-5a3 3 0 0 1 3-3zM12 4v4M9 13h.01M15 13h.01",
  };
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  if (cls) svg.setAttribute("class", cls);
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute("d", paths[name]);
  if (name === "star") {
    path.setAttribute("fill", "currentColor");
  } else {
    path.setAttribute("fill", "none");
    path.setAttribute("stroke", "currentColor");
    path.setAttribute("stroke-width", name === "group" || name === "bot" ? "1.8" : "2");
    path.setAttribute("stroke-linecap", "round");
    path.setAttribute("stroke-linejoin", "round");
  }
  svg.appendChild(path);
  return svg;
}

function starPrice(amount, currency) {
  const span = el("span", "price");
  if (currency === "XTR") {
    span.appendChild(icon("star", "star"));
    span.appendChild(document.createTextNode(String(amount)));
  } else {
    span.textContent = `${(amount / 100).toFixed(2)} ${currency}`;
  }
  return span;
}

function colorClass(id) {
  return "c" + (Math.abs(Number(id)) % 7);
}

function initials(name) {
  const parts = String(name || "?").trim().split(/\s+/);
  return ((parts[0] || "?")[0] + (parts[1] ? parts[1][0] : "")).toUpperCase();
}

function avatar(node, id, name, kind) {
  node.className = "avatar " + colorClass(id);
  node.textContent = "";
  if (kind === "group") node.appendChild(icon("group"));
  else if (kind === "bot") node.appendChild(icon("bot"));
  else node.textContent = initials(name);
  return node;
}

function hhmm(unix) {
  const d = new Date(unix * 1000);
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });
}

function dayLabel(unix) {
  const d = new Date(unix * 1000);
  const today = new Date();
  const yesterday = new Date(Date.now() - 86400000);
  if (d.toDateString() === today.toDateString()) return "Today";
  if (d.toDateString() === yesterday.toDateString()) return "Yesterday";
  return d.toLocaleDateString([], { day: "numeric", month: "long", year: "numeric" });
}

function fileSize(bytes) {
  if (!bytes) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1048576) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1048576).toFixed(1)} MB`;
}

async function api(path, body) {
  const init = body === undefined
    ? {}
    : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(path, init);
  let data = null;
  try {
    data = await response.json();
  } catch (_) {
    data = { ok: false, error: response.statusText };
  }
  if (!response.ok) throw new Error((data && data.error) || response.statusText);
  return data;
}

function toast(text, kind) {
  const node = el("div", "toast" + (kind ? " " + kind : ""), text);
  $("toasts").appendChild(node);
  setTimeout(() => node.classList.add("bye"), 3200);
  setTimeout(() => node.remove(), 3500);
}

function modal(title, body, actions) {
  const box = $("modal");
  $("modal-title").textContent = title;
  const text = $("modal-text");
  text.textContent = "";
  if (typeof body === "string") text.textContent = body;
  else if (body) text.appendChild(body);
  const row = $("modal-actions");
  row.textContent = "";
  return new Promise((resolve) => {
    const close = (value) => {
      box.hidden = true;
      document.removeEventListener("keydown", onKey);
      resolve(value);
    };
    const onKey = (event) => {
      if (event.key === "Escape") close(null);
      if (event.key === "Enter") close(actions[actions.length - 1].value);
    };
    for (const action of actions) {
      const button = el("button", action.primary ? "primary" : "", action.label);
      button.type = "button";
      button.addEventListener("click", () => close(action.value));
      row.appendChild(button);
    }
    box.onclick = (event) => { if (event.target === box) close(null); };
    document.addEventListener("keydown", onKey);
    box.hidden = false;
    const last = row.lastElementChild;
    if (last) last.focus();
  });
}

/* ------------------------------------------------------------------ who am I */

function currentChatId() {
  return state.current ? state.current.id : null;
}

function actingUser() {
  if (!state.current) return null;
  if (state.current.kind === "user") return state.current.id;
  const chat = state.chats.get(state.current.id);
  return chat ? chat.clicker : null;
}

function personaById(id) {
  return state.personas.find((p) => p.id === id);
}

/* ------------------------------------------------------------------ sidebar */

function renderSidebar() {
  const bot = state.bot;
  if (bot) $("bot-line").textContent = `@${bot.username} · Bot API emulator`;
  const list = $("personas");
  list.textContent = "";
  for (const p of state.personas) {
    const item = el("button", "chat-item");
    item.type = "button";
    item.dataset.chat = String(p.id);
    item.dataset.persona = p.name;
    if (state.current && state.current.id === p.id) item.classList.add("active");
    item.appendChild(avatar(el("div"), p.id, p.name));
    const top = el("div", "item-top");
    top.appendChild(el("span", "item-name", p.name));
    if (p.language) top.appendChild(el("span", "tag lang", p.language));
    if (p.admin) top.appendChild(el("span", "tag", "admin"));
    if (p.blocked) top.appendChild(el("span", "tag blocked", "blocked"));
    item.appendChild(top);
    item.appendChild(el("span", "item-time", p.last ? hhmm(p.last.date) : ""));
    const sub = el("div", "item-sub");
    sub.appendChild(el("span", "item-preview", p.last ? p.last.text : (p.username ? "@" + p.username : `id ${p.id}`)));
    item.appendChild(sub);
    const side = el("div", "item-side");
    const unread = state.unread.get(p.id) || 0;
    if (unread) side.appendChild(el("span", "badge", unread));
    item.appendChild(side);
    item.addEventListener("click", () => select("user", p.id));
    list.appendChild(item);
  }
  const groups = $("groups");
  groups.textContent = "";
  for (const g of state.groups) {
    const item = el("button", "chat-item");
    item.type = "button";
    item.dataset.chat = String(g.id);
    if (state.current && state.current.id === g.id) item.classList.add("active");
    item.appendChild(avatar(el("div"), g.id, g.title, "group"));
    const top = el("div", "item-top");
    top.appendChild(el("span", "item-name", g.title));
    top.appendChild(el("span", "tag lang", "read-only"));
    item.appendChild(top);
    item.appendChild(el("span", "item-time", g.last ? hhmm(g.last.date) : ""));
    const sub = el("div", "item-sub");
    const members = g.members.map((m) => m.name).join(", ");
    sub.appendChild(el("span", "item-preview", g.last ? g.last.text : `bot + ${members || "no members"}`));
    item.appendChild(sub);
    const side = el("div", "item-side");
    const unread = state.unread.get(g.id) || 0;
    if (unread) side.appendChild(el("span", "badge", unread));
    item.appendChild(side);
    item.addEventListener("click", () => select("group", g.id));
    groups.appendChild(item);
  }
}

async function loadState() {
  const data = await api("/webchat/api/state");
  state.bot = data.bot;
  state.personas = data.personas;
  state.groups = data.groups;
  $("info-url").textContent = data.api_url;
  $("info-url").title = data.api_url;
  $("info-token").textContent = data.token;
  $("info-mode").textContent = data.webhook ? "webhook" : "getUpdates";
  $("info-mode").title = data.webhook || "";
  $("info-limits").textContent = data.limits ? "on" : "off";
  $("info-card").hidden = false;
  renderSidebar();
}

/* ------------------------------------------------------------------ chat */

async function select(kind, id) {
  state.current = { kind, id };
  state.unread.delete(id);
  history.replaceState(null, "", "#" + (kind === "user" ? "u" : "g") + id);
  $("app").classList.add("show-chat");
  renderSidebar();
  renderHeader();
  await loadChat(id);
  if (kind === "user") $("input").focus();
}

async function loadChat(chatId) {
  const viewer = state.current && state.current.kind === "user" ? state.current.id : "";
  const data = await api(`/webchat/api/chats/${chatId}?viewer=${viewer}`);
  const chat = {
    messages: new Map(data.messages.map((m) => [m.id, m])),
    keyboard: data.keyboard,
    commands: data.commands,
    blocked: data.blocked,
    clicker: data.clicker,
  };
  state.chats.set(chatId, chat);
  if (currentChatId() === chatId) {
    renderHeader();
    renderBottom();
    renderMessages();
  }
}

function renderHeader() {
  const cur = state.current;
  const title = $("head-title");
  const sub = $("head-sub");
  const chip = $("as-chip");
  const blockBtn = $("block-btn");
  if (!cur) return;
  sub.classList.remove("typing");
  if (cur.kind === "user") {
    const p = personaById(cur.id);
    avatar($("head-avatar"), state.bot ? state.bot.id : 0, "", "bot");
    title.textContent = state.bot ? state.bot.name : "Bot";
    sub.textContent = state.bot ? `bot · @${state.bot.username}` : "bot";
    chip.hidden = false;
    chip.textContent = p ? `You are ${p.name}` : "";
    const chat = state.chats.get(cur.id);
    blockBtn.hidden = false;
    const blocked = chat ? chat.blocked : p && p.blocked;
    blockBtn.textContent = blocked ? "Unblock bot" : "Block bot";
    blockBtn.classList.toggle("danger", !blocked);
  } else {
    const g = state.groups.find((x) => x.id === cur.id);
    avatar($("head-avatar"), cur.id, g ? g.title : "", "group");
    title.textContent = g ? g.title : "Group";
    const members = g ? g.members.length + 1 : 1;
    sub.textContent = `${members} members · read-only view`;
    chip.hidden = true;
    blockBtn.hidden = true;
  }
}

function isOutgoing(m) {
  return state.current && state.current.kind === "user" && !m.from_bot && m.sender_id === state.current.id;
}

function renderMessages() {
  const box = $("messages");
  const chat = state.chats.get(currentChatId());
  box.textContent = "";
  if (!chat) return;
  const messages = [...chat.messages.values()].filter((m) => !m.deleted).sort((a, b) => a.id - b.id);
  if (!messages.length) {
    const wrap = el("div", "placeholder");
    const card = el("div", "placeholder-card");
    card.appendChild(el("h2", "", state.current.kind === "user" ? "No messages yet" : "Nothing here yet"));
    card.appendChild(el("p", "", state.current.kind === "user"
      ? "Send /start to begin the conversation with the bot."
      : "Messages the bot sends to this group appear here."));
    wrap.appendChild(card);
    box.appendChild(wrap);
    return;
  }
  for (const m of messages) box.appendChild(renderMessage(m));
  restyleRuns();
  state.stick = true;
  box.scrollTop = box.scrollHeight;
}

function keepAtBottom() {
  // Called when the message box or its content changes size (images, keyboards).
  const box = $("messages");
  if (state.stick) box.scrollTop = box.scrollHeight;
}

function restyleRuns() {
  // Date separators and bubble grouping (first/last of a run by the same sender).
  const box = $("messages");
  box.querySelectorAll(".date-sep").forEach((n) => n.remove());
  const nodes = [...box.querySelectorAll(".msg, .service")];
  let prevDay = null;
  let prevSender = null;
  nodes.forEach((node, i) => {
    const day = dayLabel(Number(node.dataset.date));
    if (day !== prevDay) {
      const sep = el("div", "date-sep");
      sep.appendChild(el("span", "", day));
      box.insertBefore(sep, node);
      prevDay = day;
      prevSender = null;
    }
    if (node.classList.contains("msg")) {
      const sender = node.dataset.sender;
      node.classList.toggle("first", sender !== prevSender);
      const next = nodes[i + 1];
      const nextSame = next && next.classList.contains("msg") && next.dataset.sender === sender &&
        dayLabel(Number(next.dataset.date)) === day;
      node.classList.toggle("last", !nextSame);
      prevSender = sender;
    } else {
      prevSender = null;
    }
  });
}

function renderMessage(m) {
  if (m.kind === "service") {
    const node = el("div", "service");
    node.dataset.id = String(m.id);
    node.dataset.date = String(m.date);
    const pill = el("span");
    pill.appendChild(icon("star"));
    pill.appendChild(document.createTextNode(m.service));
    node.appendChild(pill);
    return node;
  }
  const out = isOutgoing(m);
  const node = el("div", "msg " + (out ? "out" : "in"));
  node.dataset.id = String(m.id);
  node.dataset.date = String(m.date);
  node.dataset.sender = String(m.sender_id);
  const bubble = el("div", "bubble");
  if (!out && state.current && state.current.kind === "group") {
    bubble.appendChild(el("div", "sender", m.sender));
  }
  if (m.forwarded_from) bubble.appendChild(el("div", "fwd", `Forwarded from ${m.forwarded_from}`));
  if (m.reply_to) {
    const quote = el("div", "reply-quote");
    quote.appendChild(el("b", "", m.reply_to.sender));
    quote.appendChild(el("span", "", m.reply_to.snippet || "message"));
    quote.addEventListener("click", () => flashMessage(m.reply_to.id));
    bubble.appendChild(quote);
  }
  if (m.kind === "photo" && m.photo) bubble.appendChild(renderPhoto(m.photo));
  if (m.kind === "document" && m.document) bubble.appendChild(renderDocument(m.document));
  if (m.kind === "invoice" && m.invoice) bubble.appendChild(renderInvoice(m));

  const text = el("div", "text");
  if (m.html) {
    // Server-built from entities: escaped text inside a fixed set of tags.
    text.innerHTML = m.html;
  }
  const meta = el("span", "meta");
  if (m.edit_date) meta.appendChild(document.createTextNode("edited "));
  meta.appendChild(document.createTextNode(hhmm(m.date)));
  if (out) meta.appendChild(icon("checks"));
  text.appendChild(meta);
  bubble.appendChild(text);
  const stack = el("div", "stack");
  stack.appendChild(bubble);
  const rows = m.keyboard && m.keyboard.length ? m.keyboard : null;
  if (rows || (m.kind === "invoice" && m.invoice)) stack.appendChild(renderInlineKeyboard(m, rows));
  node.appendChild(stack);
  if (state.current && state.current.kind === "group") {
    // Reply to this message (operators answer a support ticket by replying to it).
    const reply = el("button", "reply-action", "↩");
    reply.type = "button";
    reply.title = "Reply";
    reply.setAttribute("aria-label", "Reply");
    reply.addEventListener("click", () => startReply(m));
    node.appendChild(reply);
  }
  return node;
}

function renderPhoto(photo) {
  const wrap = el("div", "media");
  if (photo.src) {
    const img = document.createElement("img");
    img.src = photo.src;
    img.alt = "photo";
    img.addEventListener("load", keepAtBottom);
    wrap.appendChild(img);
  } else {
    const ph = el("div", "media-placeholder");
    ph.appendChild(icon("image"));
    ph.appendChild(el("span", "", photo.label || "photo"));
    ph.title = photo.label || "";
    wrap.appendChild(ph);
  }
  return wrap;
}

function renderDocument(doc) {
  const row = el("div", "doc");
  const badge = el("div", "doc-icon");
  badge.appendChild(icon("file"));
  row.appendChild(badge);
  const info = el("div");
  const name = el("div", "doc-name");
  if (doc.href) {
    const link = el("a", "", doc.name);
    link.href = doc.href;
    link.setAttribute("download", "");
    name.appendChild(link);
  } else {
    name.textContent = doc.name;
  }
  info.appendChild(name);
  info.appendChild(el("div", "doc-size", doc.size ? fileSize(doc.size) : (doc.url ? "by URL" : doc.mime)));
  row.appendChild(info);
  return row;
}

function renderInvoice(m) {
  const inv = m.invoice;
  const card = el("div", "invoice");
  const art = el("div", "invoice-art");
  art.appendChild(icon("star"));
  card.appendChild(art);
  card.appendChild(el("div", "invoice-title", inv.title));
  card.appendChild(el("div", "invoice-desc", inv.description));
  const priceRow = el("div");
  priceRow.appendChild(starPrice(inv.amount, inv.currency));
  if (inv.paid) {
    const paid = el("span", "paid-badge", "Paid");
    priceRow.appendChild(paid);
  }
  card.appendChild(priceRow);
  return card;
}

function renderInlineKeyboard(m, rows) {
  const wrap = el("div", "ikb");
  let buttons = rows;
  if (m.kind === "invoice" && (!rows || !rows.length)) {
    buttons = [[{ kind: "pay", text: "Pay" }]];
  }
  for (const row of buttons || []) {
    const line = el("div", "ikb-row");
    for (const b of row) line.appendChild(renderInlineButton(m, b));
    wrap.appendChild(line);
  }
  return wrap;
}

function renderInlineButton(m, b) {
  const button = el("button");
  button.type = "button";
  if (b.kind === "pay") {
    button.classList.add("pay");
    const paid = m.invoice && m.invoice.paid;
    if (paid) {
      button.textContent = "Receipt: paid";
      button.disabled = true;
    } else if (b.text && b.text !== "Pay") {
      button.textContent = b.text;
    } else {
      button.appendChild(document.createTextNode("Pay "));
      if (m.invoice) button.appendChild(starPrice(m.invoice.amount, m.invoice.currency));
    }
    button.addEventListener("click", () => payInvoice(m, button));
    return button;
  }
  // The label in a span of its own: a long one is cut at its end with "…" as Telegram
  // does, never on both sides (the text of a centred flex box overflows both ways).
  button.appendChild(el("span", "label", b.text));
  if (b.kind === "url" || b.kind === "invoice_link") {
    button.appendChild(icon("arrow", "corner"));
    button.title = b.url;
  }
  button.addEventListener("click", () => pressInline(m, b, button));
  return button;
}

async function pressInline(m, b, button) {
  if (b.kind === "callback") {
    const user = actingUser();
    if (!user) return toast("No one in this group can press buttons", "error");
    button.classList.add("loading");
    try {
      const result = await api("/webchat/api/click", {
        user_id: user, chat_id: m.chat_id, message_id: m.id, data: b.data,
      });
      state.pendingClicks.set(result.query_id, button);
      setTimeout(() => {
        if (state.pendingClicks.get(result.query_id) === button) {
          state.pendingClicks.delete(result.query_id);
          button.classList.remove("loading");
        }
      }, 15000);
    } catch (err) {
      button.classList.remove("loading");
      toast(err.message, "error");
    }
  } else if (b.kind === "url") {
    const ok = await modal("Open this link?", b.url, [
      { label: "Cancel", value: false }, { label: "Open", value: true, primary: true },
    ]);
    if (ok) window.open(b.url, "_blank", "noopener,noreferrer");
  } else if (b.kind === "invoice_link") {
    payLink(b.url);
  } else if (b.kind === "copy") {
    try {
      await navigator.clipboard.writeText(b.copy);
      toast("Copied to clipboard");
    } catch (_) {
      toast(b.copy);
    }
  } else {
    toast("This kind of button is not available in the sandbox");
  }
}

async function confirmPayment(title, description, amount, currency) {
  const body = el("div");
  body.appendChild(el("div", "", `${title}\n${description}`));
  const price = el("div");
  price.appendChild(starPrice(amount, currency));
  body.appendChild(price);
  return modal(`Confirm your purchase`, body, [
    { label: "Cancel", value: false },
    { label: currency === "XTR" ? `Pay ${amount} Stars` : "Pay", value: true, primary: true },
  ]);
}

async function payInvoice(m, button) {
  const user = state.current && state.current.kind === "user" ? state.current.id : null;
  if (!user) return toast("Invoices are paid from a private chat", "error");
  if (m.invoice.paid) return toast("This invoice has already been paid");
  const ok = await confirmPayment(m.invoice.title, m.invoice.description, m.invoice.amount, m.invoice.currency);
  if (!ok) return;
  button.classList.add("loading");
  try {
    const result = await api("/webchat/api/pay", { user_id: user, chat_id: m.chat_id, message_id: m.id });
    if (!result.ok) toast(result.error || "Payment declined", "error");
  } catch (err) {
    toast(err.message, "error");
  } finally {
    button.classList.remove("loading");
  }
}

async function payLink(link) {
  const user = actingUser();
  if (!user) return;
  const ok = await modal("Invoice link", "Pay this invoice with Telegram Stars?", [
    { label: "Cancel", value: false }, { label: "Pay", value: true, primary: true },
  ]);
  if (!ok) return;
  try {
    const result = await api("/webchat/api/pay", { user_id: user, link });
    if (result.ok) toast("Payment successful");
    else toast(result.error || "Payment declined", "error");
  } catch (err) {
    toast(err.message, "error");
  }
}

function flashMessage(id) {
  const node = $("messages").querySelector(`[data-id="${Number(id)}"] .bubble`);
  if (!node) return;
  node.scrollIntoView({ block: "center" });
  node.classList.remove("flash");
  void node.offsetWidth;
  node.classList.add("flash");
}

function upsertMessage(m) {
  const chat = state.chats.get(m.chat_id);
  if (chat) chat.messages.set(m.id, m);
  if (currentChatId() !== m.chat_id) return false;
  const box = $("messages");
  const placeholder = box.querySelector(".placeholder");
  if (placeholder) placeholder.remove();
  const existing = box.querySelector(`[data-id="${Number(m.id)}"]`);
  const node = renderMessage(m);
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 160;
  if (existing) {
    existing.replaceWith(node);
  } else {
    node.classList.add("fresh");
    const after = [...box.querySelectorAll(".msg, .service")].find((n) => Number(n.dataset.id) > m.id);
    if (after) box.insertBefore(node, after);
    else box.appendChild(node);
  }
  restyleRuns();
  if (nearBottom || (!existing && isOutgoing(m))) {
    state.stick = true;
    box.scrollTop = box.scrollHeight;
  }
  return true;
}

function removeMessage(chatId, id) {
  const chat = state.chats.get(chatId);
  if (chat) chat.messages.delete(id);
  if (currentChatId() !== chatId) return;
  const node = $("messages").querySelector(`[data-id="${Number(id)}"]`);
  if (!node) return;
  node.classList.add("gone");
  setTimeout(() => { node.remove(); restyleRuns(); }, 260);
}

/* ------------------------------------------------------------------ composer, keyboards, commands */

function renderBottom() {
  const cur = state.current;
  const bottom = $("bottom");
  bottom.hidden = !cur;
  if (!cur) return;
  const chat = state.chats.get(cur.id);
  const notice = $("notice");
  const composer = $("composer");
  if (cur.kind === "group") {
    $("reply-kb").hidden = true;
    $("commands").hidden = true;
    $("kb-toggle").hidden = true;
    notice.hidden = false;
    const clicker = chat && chat.clicker ? personaById(chat.clicker) : null;
    if (!clicker) {
      composer.hidden = true;
      notice.className = "notice";
      notice.textContent = "Read-only: this is what the bot posts to the group.";
      renderReplyBar();
      return;
    }
    composer.hidden = false;
    notice.className = "notice as-member";
    notice.textContent = `Writing and pressing buttons as ${clicker.name}. ` +
      "↩ beside a message replies to it (a support ticket's message: the answer goes to the customer).";
    $("input").placeholder = "Message the group";
    renderReplyBar();
    return;
  }
  notice.className = "notice";
  state.replyTo = null;
  renderReplyBar();
  if (chat && chat.blocked) {
    composer.hidden = true;
    $("reply-kb").hidden = true;
    notice.hidden = false;
    notice.textContent = "You blocked the bot: it gets 403 Forbidden when it writes to you.";
    const again = el("button", "text-btn", "Restart bot");
    again.type = "button";
    again.addEventListener("click", () => setBlocked(false));
    notice.appendChild(again);
    return;
  }
  notice.hidden = true;
  composer.hidden = false;
  renderReplyKeyboard();
}

function renderReplyKeyboard() {
  const chatId = currentChatId();
  const chat = state.chats.get(chatId);
  const box = $("reply-kb");
  const toggle = $("kb-toggle");
  const input = $("input");
  box.textContent = "";
  const kb = chat && chat.keyboard;
  input.placeholder = (kb && kb.placeholder) || "Message";
  if (!kb || !state.current || state.current.kind !== "user") {
    box.hidden = true;
    toggle.hidden = true;
    return;
  }
  toggle.hidden = false;
  const hidden = state.kbHidden.has(chatId);
  box.hidden = hidden;
  toggle.title = hidden ? "Show keyboard" : "Hide keyboard";
  for (const row of kb.rows) {
    const line = el("div", "reply-kb-row");
    for (const label of row) {
      const button = el("button", "", label);
      button.type = "button";
      button.addEventListener("click", () => {
        if (kb.one_time) {
          state.kbHidden.add(chatId);
          renderReplyKeyboard();
        }
        sendText(label);
      });
      line.appendChild(button);
    }
    box.appendChild(line);
  }
}

function renderCommands(filter) {
  const box = $("commands");
  const chat = state.chats.get(currentChatId());
  const commands = (chat && chat.commands) || [];
  box.textContent = "";
  const query = (filter || "").replace(/^\//, "").toLowerCase();
  const shown = commands.filter((c) => c.command.startsWith(query));
  if (!shown.length) {
    if (filter !== undefined) { box.hidden = true; return; }
    box.appendChild(el("div", "none", "The bot has not set any commands (setMyCommands)."));
  }
  for (const c of shown) {
    const item = el("button", "command");
    item.type = "button";
    item.appendChild(el("b", "", "/" + c.command));
    item.appendChild(el("span", "", c.description));
    item.addEventListener("click", () => {
      box.hidden = true;
      sendText("/" + c.command);
    });
    box.appendChild(item);
  }
  box.hidden = false;
}

async function sendText(text) {
  const cur = state.current;
  if (!cur || !text.trim()) return;
  $("commands").hidden = true;
  let body = { user_id: cur.id, text };
  if (cur.kind === "group") {
    const chat = state.chats.get(cur.id);
    if (!chat || !chat.clicker) return;
    body = { user_id: chat.clicker, chat_id: cur.id, text };
    if (state.replyTo && state.replyTo.chatId === cur.id) body.reply_to = state.replyTo.id;
  } else if (cur.kind !== "user") {
    return;
  }
  try {
    await api("/webchat/api/send", body);
    state.replyTo = null;
    renderReplyBar();
    if (!state.live) await loadChat(cur.id);
  } catch (err) {
    toast(err.message, "error");
  }
}

function startReply(m) {
  const cur = state.current;
  if (!cur || cur.kind !== "group") return;
  const text = (m.snippet || m.service || "message").replace(/\s+/g, " ");
  state.replyTo = { chatId: cur.id, id: m.id, snippet: text.slice(0, 80) };
  renderReplyBar();
  $("input").focus();
}

function renderReplyBar() {
  const bar = $("reply-bar");
  const cur = state.current;
  const reply = state.replyTo;
  if (!reply || !cur || reply.chatId !== cur.id) {
    bar.hidden = true;
    return;
  }
  $("reply-bar-snippet").textContent = reply.snippet;
  bar.hidden = false;
}

async function setBlocked(blocked) {
  const cur = state.current;
  if (!cur || cur.kind !== "user") return;
  try {
    await api("/webchat/api/block", { user_id: cur.id, blocked });
  } catch (err) {
    toast(err.message, "error");
  }
}

function autosize() {
  const input = $("input");
  input.style.height = "auto";
  input.style.height = Math.min(input.scrollHeight, 160) + "px";
}

function setupComposer() {
  const input = $("input");
  const box = $("messages");
  box.addEventListener("scroll", () => {
    state.stick = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  });
  new ResizeObserver(keepAtBottom).observe(box);
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    autosize();
    sendText(text);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("composer").requestSubmit();
    } else if (event.key === "Escape") {
      $("commands").hidden = true;
    }
  });
  input.addEventListener("input", () => {
    autosize();
    const value = input.value;
    if (/^\/\w*$/.test(value)) renderCommands(value);
    else $("commands").hidden = true;
  });
  $("menu-btn").addEventListener("click", () => {
    const box = $("commands");
    if (!box.hidden) { box.hidden = true; return; }
    renderCommands();
  });
  $("reply-cancel").addEventListener("click", () => {
    state.replyTo = null;
    renderReplyBar();
  });
  $("kb-toggle").addEventListener("click", () => {
    const chatId = currentChatId();
    if (state.kbHidden.has(chatId)) state.kbHidden.delete(chatId);
    else state.kbHidden.add(chatId);
    renderReplyKeyboard();
  });
  $("block-btn").addEventListener("click", () => {
    const chat = state.chats.get(currentChatId());
    setBlocked(!(chat && chat.blocked));
  });
  $("back").addEventListener("click", () => $("app").classList.remove("show-chat"));
  $("messages").addEventListener("click", (event) => {
    const target = event.target;
    if (!(target instanceof Element)) return;
    const spoiler = target.closest(".tg-spoiler");
    if (spoiler) spoiler.classList.add("open");
    const quote = target.closest(".tg-expandable");
    if (quote) quote.classList.toggle("open");
    const command = target.closest(".tg-command");
    if (command && state.current && state.current.kind === "user") sendText(command.textContent);
  });
}

/* ------------------------------------------------------------------ live events */

function bumpSidebar(m) {
  const summary = {
    text: m.kind === "invoice" ? `Invoice: ${m.invoice.title}` : (m.service || stripHtml(m.html) || m.kind),
    date: m.date,
  };
  const p = state.personas.find((x) => x.id === m.chat_id);
  const g = state.groups.find((x) => x.id === m.chat_id);
  if (p) p.last = summary;
  if (g) g.last = summary;
  renderSidebar();
}

function stripHtml(html) {
  const tmp = document.createElement("template");
  tmp.innerHTML = html || "";
  return tmp.content.textContent.slice(0, 120);
}

function onEvent(event) {
  switch (event.type) {
    case "message": {
      const m = event.message;
      const shown = upsertMessage(m);
      if (!shown && m.from_bot && !m.edit_date) {
        state.unread.set(m.chat_id, (state.unread.get(m.chat_id) || 0) + 1);
      }
      bumpSidebar(m);
      if (m.from_bot && currentChatId() === m.chat_id) clearTyping();
      break;
    }
    case "delete":
      removeMessage(event.chat_id, event.message_id);
      break;
    case "keyboard": {
      const chat = state.chats.get(event.chat_id);
      if (chat) chat.keyboard = event.keyboard;
      state.kbHidden.delete(event.chat_id);
      if (currentChatId() === event.chat_id) renderReplyKeyboard();
      break;
    }
    case "callback_answer": {
      const button = state.pendingClicks.get(event.query_id);
      if (button) {
        button.classList.remove("loading");
        state.pendingClicks.delete(event.query_id);
      }
      if (currentChatId() !== event.chat_id || !event.text) break;
      if (event.show_alert) modal(state.bot ? state.bot.name : "Bot", event.text, [{ label: "OK", value: true }]);
      else toast(event.text);
      break;
    }
    case "action":
      if (currentChatId() === event.chat_id) showTyping(event.action);
      break;
    case "blocked": {
      const p = personaById(event.user_id);
      if (p) p.blocked = event.blocked;
      const chat = state.chats.get(event.user_id);
      if (chat) chat.blocked = event.blocked;
      renderSidebar();
      if (currentChatId() === event.user_id) { renderHeader(); renderBottom(); }
      break;
    }
    case "state":
      clearTimeout(state.stateTimer);  // coalesce bursts (e.g. a benchmark adding users)
      state.stateTimer = setTimeout(() => loadState().catch(() => {}), 150);
      break;
    case "commands":
      if (state.current) loadChat(state.current.id).catch(() => {});
      break;
    default:
      break;
  }
}

function showTyping(action) {
  const sub = $("head-sub");
  const words = {
    typing: "typing…", upload_photo: "sending a photo…", upload_document: "sending a file…",
    record_voice: "recording voice…", upload_video: "sending a video…", choose_sticker: "choosing a sticker…",
  };
  sub.textContent = words[action] || "busy…";
  sub.classList.add("typing");
  clearTimeout(state.typingTimer);
  state.typingTimer = setTimeout(clearTyping, 5000);
}

function clearTyping() {
  clearTimeout(state.typingTimer);
  if ($("head-sub").classList.contains("typing")) renderHeader();
}

function setLive(live, text) {
  state.live = live;
  $("conn-dot").classList.toggle("live", live);
  $("conn").textContent = text;
}

function connect() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${proto}//${location.host}/webchat/ws`);
  state.ws = ws;
  ws.addEventListener("open", async () => {
    state.wsDelay = 500;
    setLive(true, "live · connected to the emulator");
    try {
      await loadState();
      if (state.current) await loadChat(state.current.id);
    } catch (_) { /* the next event or reconnect refreshes */ }
  });
  ws.addEventListener("message", (msg) => {
    let event;
    try { event = JSON.parse(msg.data); } catch (_) { return; }
    onEvent(event);
  });
  ws.addEventListener("close", () => {
    setLive(false, "reconnecting…");
    setTimeout(connect, state.wsDelay);
    state.wsDelay = Math.min(state.wsDelay * 2, 8000);
  });
}

/* ------------------------------------------------------------------ start */

async function main() {
  setupComposer();
  try {
    await loadState();
  } catch (err) {
    setLive(false, "emulator unreachable");
    toast(err.message, "error");
  }
  connect();
  followHash();
  window.addEventListener("hashchange", followHash);
}

function followHash() {
  const hash = location.hash.match(/^#([ug])(-?\d+)$/);
  if (!hash) return;
  const kind = hash[1] === "u" ? "user" : "group";
  const id = Number(hash[2]);
  if (!state.current || state.current.id !== id) select(kind, id);
}

document.addEventListener("DOMContentLoaded", main);
