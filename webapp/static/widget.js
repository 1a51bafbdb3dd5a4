/*
 * Balie chat widget: the gemeente's digital front desk on any web page.
 *
 *   <script src="https://balie.gemeente.example/static/widget.js"
 *           data-balie-url="https://balie.gemeente.example" data-gemeente="Lindewaard"
 *           data-kleur="#00577a" data-logo="/static/logo.svg" data-open="false" defer></script>
 *
 * Name, colour, logo and privacy statement come from the web app (GET /chat/gemeente,
 * content/gemeente.yml); the data- attributes override them.
 *
 * Plain JavaScript, no build step. Works under a strict Content-Security-Policy:
 * no inline styles or scripts, the stylesheet is a file, all text goes in as text
 * (never innerHTML). The widget lives in a shadow root, so the page's CSS and the
 * widget's CSS leave each other alone. Protocol: docs/widget.md.
 */
(() => {
  "use strict";

  const script = document.currentScript;
  if (!script || window.__balieWidget) return;
  window.__balieWidget = true;

  const data = script.dataset;
  const base = (data.balieUrl || new URL(script.src, location.href).origin).replace(/\/+$/, "");
  const COLOUR_RE = /^#[0-9a-f]{6}$/i;
  let gemeente = data.gemeente || "";
  const kleur = COLOUR_RE.test(data.kleur || "") ? data.kleur : "#00577a";
  const startOpen = data.open === "true";

  const PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp"];
  let photoMax = 10 * 1024 * 1024; // the server's limit arrives in the welcome frame
  let maxLength = 1000;

  const T = {
    launcher: () => (gemeente ? `Chat met gemeente ${gemeente}` : "Chat met de gemeente"),
    title: () => (gemeente ? `Balie – gemeente ${gemeente}` : "Balie – digitale balie"),
    subtitle: "U chat met een digitale assistent.",
    close: "Chat sluiten",
    clear: "Gesprek wissen",
    clearAsk: "Wilt u dit gesprek wissen? Wat u hebt gemeld, blijft bewaard bij de gemeente.",
    clearYes: "Ja, wissen",
    clearNo: "Annuleren",
    log: "Gesprek",
    you: "U",
    bot: "Balie",
    inputLabel: "Uw bericht",
    placeholder: "Typ uw vraag of bericht",
    send: "Versturen",
    photo: "Foto toevoegen",
    photoShort: "Foto",
    location: "Mijn locatie",
    locationShort: "Locatie",
    choices: "Keuzes",
    typing: "Balie is aan het typen…",
    sending: "wordt verstuurd",
    newWindow: "(opent in een nieuw venster)",
    image: "Afbeelding bekijken",
    unread: "nieuw bericht",
    welcome: "Goedendag! Stel hier uw vraag, of meld iets in de openbare ruimte. " +
      "Typ uw bericht hieronder.",
    connecting: "Verbinden…",
    offline: "De verbinding is verbroken. We proberen opnieuw te verbinden. " +
      "Berichten die u nu typt, worden daarna verstuurd.",
    online: "De verbinding is hersteld.",
    tooLong: (n) => `Uw bericht is te lang: ${n} tekens. Gebruikt u maximaal ${maxLength} tekens?`,
    left: (n) => `Nog ${n} tekens`,
    photoLabel: (name) => `Foto: ${name}`,
    photoBusy: "De foto wordt verstuurd…",
    photoType: "Dit bestand kan niet worden gebruikt. Kiest u een foto (JPEG, PNG of WebP).",
    photoSize: () =>
      `De foto is te groot. Een foto mag maximaal ${Math.floor(photoMax / 1048576)} MB zijn.`,
    photoFailed: "De foto kon niet worden verstuurd. Probeert u het opnieuw.",
    locationLabel: "Mijn locatie (gedeeld via de browser)",
    locationBusy: "Uw locatie wordt opgevraagd…",
    locationNone: "Uw locatie is niet gedeeld. U kunt ook een adres typen.",
    notConnected: "Er is nog geen verbinding. Probeert u het zo opnieuw.",
    wiped: "Het gesprek is gewist.",
    privacy: "Privacyverklaring",
    forget: "Vergeet mij",
    forgetCommand: "/vergeet",
    copy: "Kopiëren",
    copyWhat: (label) => `${label} kopiëren`,
    copied: (label) => `${label} is gekopieerd.`,
    copyFailed: "Kopiëren lukt niet. Selecteert u de tekst en kopieert u die zelf.",
    more: "Meer",
    feedbackAsk: "Was dit antwoord goed?",
    good: "Goed antwoord",
    bad: "Geen goed antwoord",
    comment: "Wat was er niet goed? U mag dit leeg laten.",
    commentSend: "Reactie versturen",
    liveWaiting: (place, minutes) => `U wacht op een medewerker. Er ${place === 1 ? "is niemand" : place === 2 ? "is 1 persoon" : `zijn ${place - 1} personen`} voor u. ` +
      (minutes ? `Verwachte wachttijd: ongeveer ${minutes} ${minutes === 1 ? "minuut" : "minuten"}.` : "Hoe lang het duurt, weten we nog niet."),
    liveWith: (name) => `U chat nu met ${name} van de gemeente.`,
    liveStopWaiting: "Stoppen met wachten",
    liveEnd: "Chat beëindigen",
    liveTyping: (name) => `${name} typt…`,
  };

  // --- small helpers ----------------------------------------------------------------------

  const store = {
    key: `balie:sessie:${base}`,
    get() {
      try { return localStorage.getItem(this.key); } catch { return null; }
    },
    set(value) {
      try {
        if (value) localStorage.setItem(this.key, value);
        else localStorage.removeItem(this.key);
      } catch { /* private mode: the conversation lasts as long as the page */ }
    },
  };
  const openKey = `balie:open:${base}`;
  const rememberOpen = (open) => {
    try { sessionStorage.setItem(openKey, open ? "1" : "0"); } catch { /* ignore */ }
  };
  const wasOpen = () => {
    try { return sessionStorage.getItem(openKey); } catch { return null; }
  };

  /** An element with attributes and children; strings become text nodes, never HTML. */
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value === false || value == null) continue;
      if (name === "class") node.className = value;
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child == null) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  const srOnly = (text) => el("span", { class: "sr-only" }, text);

  const ICONS = {
    chat: "M4 3h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z",
    foto: "M9 4 7.5 6H4a2 2 0 0 0-2 2v10a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V8a2 2 0 0 0-2-2h-3.5" +
      "L15 4H9zm3 4.5a4.5 4.5 0 1 1 0 9 4.5 4.5 0 0 1 0-9zm0 2a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5z",
    verstuur: "M2.5 20.5 22 12 2.5 3.5 2.5 10l13 2-13 2z",
    locatie: "M12 2a7 7 0 0 0-7 7c0 5 7 13 7 13s7-8 7-13a7 7 0 0 0-7-7zm0 4.5a2.5 2.5 0 1 1 0 5" +
      " 2.5 2.5 0 0 1 0-5z",
  };
  /** A decorative icon (an SVG built as DOM: no markup strings, no inline styles). */
  function icon(name) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "balie-icoon");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", ICONS[name]);
    path.setAttribute("fill-rule", "evenodd");
    path.setAttribute("fill", "currentColor");
    svg.append(path);
    return svg;
  }
  const newId = () =>
    (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`)
      .replace(/[^A-Za-z0-9_-]/g, "").slice(0, 64);

  /** Readable text on the configured colour: white or near-black, whichever contrasts more. */
  function textOn(hex) {
    const channel = (i) => {
      const c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    const l = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    return 1.05 / (l + 0.05) >= (l + 0.05) / 0.05 ? "#ffffff" : "#111111";
  }

  // [tekst](https://…) as in the responses, or a bare http(s) address.
  const LINK_RE = /\[([^\]\n]{1,200})\]\((https?:\/\/[^\s()<>"']+)\)|\bhttps?:\/\/[^\s<>"']+/g;

  /** Readable words for a bare address: its last path part, or else its host. */
  function linkWords(href) {
    try {
      const url = new URL(href);
      const part = url.pathname.split("/").filter(Boolean).pop();
      const words = part ? decodeURIComponent(part).replace(/\.[a-z0-9]{1,5}$/i, "")
        .replace(/[-_+.]+/g, " ").trim() : "";
      if (words) return `${words[0].toUpperCase()}${words.slice(1)} (${url.hostname.replace(/^www\./, "")})`;
      return url.hostname.replace(/^www\./, "");
    } catch {
      return href;
    }
  }

  /** A link opening in a new window; only http(s) addresses, built as DOM, text as text. */
  function link(href, text) {
    let url;
    try { url = new URL(href); } catch { return null; }
    if (url.protocol !== "https:" && url.protocol !== "http:") return null;
    return el("a", { href: url.href, target: "_blank", rel: "noopener noreferrer" },
      text, srOnly(` ${T.newWindow}`));
  }

  /** Text with links made clickable, each with readable text; everything else stays text. */
  function linkify(text) {
    const parts = [];
    let last = 0;
    for (const match of text.matchAll(LINK_RE)) {
      let [whole, label, href] = match;
      if (!href) {
        href = whole;
        const trail = href.match(/[.,;:!?)]+$/);
        if (trail) href = href.slice(0, -trail[0].length);
        whole = href;
      }
      const anchor = link(href, label ? label.trim() : linkWords(href));
      parts.push(text.slice(last, match.index));
      parts.push(anchor || whole);
      last = match.index + whole.length;
    }
    parts.push(text.slice(last));
    return parts.filter((p) => p !== "");
  }

  /** Bot text: paragraphs per line, "- " lines as a list, links clickable. */
  function renderText(text) {
    const out = [];
    let list = null;
    for (const line of text.split("\n")) {
      const item = line.match(/^\s*[-•*]\s+(.*)$/);
      if (item) {
        if (!list) out.push(list = el("ul"));
        list.append(el("li", {}, linkify(item[1])));
        continue;
      }
      list = null;
      if (line.trim()) out.push(el("p", {}, linkify(line)));
    }
    return out;
  }

  // --- the DOM ------------------------------------------------------------------------------

  const host = el("div", { id: "balie-widget", lang: "nl" });
  const root = host.attachShadow({ mode: "open" });
  const stylesheet = el("link", { rel: "stylesheet", href: `${base}/static/widget.css` });
  const frame = el("div", { class: "balie", lang: "nl", hidden: true });
  frame.style.setProperty("--balie-kleur", kleur); // CSSOM, allowed under style-src 'self'
  frame.style.setProperty("--balie-op-kleur", textOn(kleur));
  const reveal = () => frame.removeAttribute("hidden");
  stylesheet.addEventListener("load", reveal);
  stylesheet.addEventListener("error", reveal);

  const badge = el("span", { class: "balie-badge", hidden: true });
  const launcher = el("button", {
    type: "button", class: "balie-launcher", "aria-expanded": "false", "aria-controls": "balie-paneel",
  }, icon("chat"), el("span", { class: "balie-launcher-tekst" }, T.launcher()), badge);

  const closeButton = el("button", { type: "button", class: "balie-sluiten", "aria-label": T.close },
    el("span", { "aria-hidden": "true" }, "×"));
  const clearButton = el("button", { type: "button", class: "balie-wissen" }, T.clear);
  const confirmYes = el("button", { type: "button", class: "balie-knop-gevaar" }, T.clearYes);
  const confirmNo = el("button", { type: "button", class: "balie-knop-stil" }, T.clearNo);
  const confirmBar = el("div", { class: "balie-bevestig", role: "group", "aria-labelledby": "balie-bevestig-tekst", hidden: true },
    el("p", { id: "balie-bevestig-tekst" }, T.clearAsk), el("div", { class: "balie-rij" }, confirmYes, confirmNo));

  const status = el("p", { class: "balie-status", role: "status" });
  // The one place errors show: a live region that exists before any error, announced once.
  const alertBox = el("p", { class: "balie-fout", "aria-live": "assertive", "aria-atomic": "true" });
  const logList = el("ol", { class: "balie-log", "aria-label": T.log, tabindex: "0" });
  const typing = el("p", { class: "balie-typen", hidden: true },
    el("span", { class: "balie-puntjes", "aria-hidden": "true" }, el("span"), el("span"), el("span")),
    T.typing);
  // The medewerker types (live chat): shown for a few seconds after each `live_typen`.
  const liveTypingText = el("span");
  const liveTyping = el("p", { class: "balie-typen balie-live-typen", hidden: true },
    el("span", { class: "balie-puntjes", "aria-hidden": "true" }, el("span"), el("span"), el("span")),
    liveTypingText);
  const live = el("div", { class: "sr-only", "aria-live": "polite", "aria-relevant": "additions" });
  // Waiting for, or chatting with, a medewerker (webapp/live/): the place, the expected
  // wait and a button to stop; updated by `live` frames.
  const liveText = el("p", { class: "balie-live-tekst", role: "status" });
  const liveButton = el("button", { type: "button", class: "balie-knop-stil" }, T.liveStopWaiting);
  const liveBar = el("div", { class: "balie-live", hidden: true }, liveText, liveButton);

  const textarea = el("textarea", {
    id: "balie-tekst", rows: "2", placeholder: T.placeholder, "aria-describedby": "balie-teller",
    autocomplete: "off",
  });
  const counter = el("p", { id: "balie-teller", class: "balie-teller" });
  const fileInput = el("input", {
    type: "file", accept: PHOTO_TYPES.join(","), hidden: true, tabindex: "-1", "aria-hidden": "true",
  });
  // On a phone the labels hide (CSS) and the three buttons sit in one row with the text
  // box; the accessible name stays the label.
  // Short visible words; the name says it in full and contains them (WCAG 2.5.3).
  const photoButton = el("button", { type: "button", class: "balie-foto", title: T.photo, "aria-label": T.photo },
    icon("foto"), el("span", { class: "balie-knoptekst" }, T.photoShort));
  const locationButton = el("button", { type: "button", class: "balie-locatie", title: T.location, "aria-label": T.location },
    icon("locatie"), el("span", { class: "balie-knoptekst" }, T.locationShort));
  const sendButton = el("button", { type: "submit", class: "balie-verstuur", title: T.send },
    icon("verstuur"), el("span", { class: "balie-knoptekst" }, T.send));
  const form = el("form", { class: "balie-invoer", novalidate: true },
    el("label", { for: "balie-tekst", class: "sr-only" }, T.inputLabel),
    textarea, counter,
    el("div", { class: "balie-rij balie-knoppen" }, photoButton, locationButton, sendButton), fileInput);

  const logo = el("img", { class: "balie-logo", alt: "", hidden: true });
  const title = el("h2", { id: "balie-titel" }, T.title());
  const privacyLink = el("a", { class: "balie-privacy", target: "_blank", rel: "noopener noreferrer", hidden: true },
    T.privacy, srOnly(` ${T.newWindow}`));
  const forgetButton = el("button", { type: "button", class: "balie-vergeet" }, T.forget);
  // Privacy and the resident's data: always in view, below the message box.
  const footer = el("div", { class: "balie-voet" }, privacyLink, clearButton, forgetButton);

  const panel = el("section", {
    id: "balie-paneel", class: "balie-paneel", role: "dialog", "aria-modal": "false",
    "aria-labelledby": "balie-titel", hidden: true,
  },
  el("div", { class: "balie-kop" }, logo, // not <header>: the page has its own banner
    el("div", { class: "balie-kop-tekst" }, title, el("p", {}, T.subtitle)),
    closeButton),
  status, logList, typing, liveTyping, liveBar, alertBox, form, confirmBar, footer);

  // The live region stays outside the panel: news is announced even while it is closed.
  frame.append(launcher, panel, live);
  root.append(stylesheet, frame);

  // --- state ----------------------------------------------------------------------------------

  let ws = null;
  let token = store.get();
  let lastSeq = 0; // highest sequence number rendered on this page
  let synced = false; // past the history replay: new bot messages are announced
  let attempt = 0;
  let everConnected = false;
  let reconnectTimer = null;
  let wipedToken = null; // a conversation cleared in another tab: never resume it
  const pending = new Map(); // id -> {frame, item}: sent, not yet confirmed by the server
  let firstNew = null; // the first bot message since the resident's last message

  // --- rendering ----------------------------------------------------------------------------

  /** Show the reply from its first message on (with its buttons), as much as fits;
   *  with no new reply, the newest message; one taller than the list from its start. */
  function scrollDown() {
    const bottom = logList.scrollHeight - logList.clientHeight;
    const from = firstNew && firstNew.isConnected ? firstNew : logList.lastElementChild;
    if (!from) return;
    if (from === firstNew || from.offsetHeight > logList.clientHeight) {
      logList.scrollTop = Math.min(from.offsetTop - 8, bottom);
    } else {
      logList.scrollTop = bottom;
    }
  }

  function disableChoices() {
    for (const b of logList.querySelectorAll(".balie-keuzes button")) b.disabled = true;
  }

  function enableLastChoices() {
    const last = logList.lastElementChild;
    for (const b of last?.querySelectorAll(".balie-keuzes button") || []) b.disabled = false;
  }

  function userItem(text) {
    return el("li", { class: "balie-bericht balie-inwoner" },
      srOnly(`${T.you}: `), el("p", {}, text));
  }

  /** Labelled values (case number, controlecode) as a card, each with a copy button. */
  function renderCard(rows) {
    const list = el("dl", { class: "balie-kaart" });
    for (const row of rows) {
      if (typeof row?.label !== "string" || typeof row?.value !== "string") continue;
      const value = el("code", {}, row.value);
      const copy = el("button", { type: "button", class: "balie-kopieer", "aria-label": T.copyWhat(row.label) },
        T.copy);
      copy.addEventListener("click", async () => {
        try {
          await navigator.clipboard.writeText(row.value);
          setStatus(T.copied(row.label), 4000);
        } catch {
          getSelection()?.selectAllChildren(value); // the resident copies it themselves
          setStatus(T.copyFailed, 6000);
        }
      });
      list.append(el("div", { class: "balie-kaart-rij" },
        el("dt", {}, row.label), el("dd", {}, value, copy)));
    }
    return list;
  }

  // Topics this transcript already asked about: a topic gets one request (issue #16).
  const askedTopics = new Set();

  function sendFeedback(group, seq, goed, opmerking) {
    if (!send({ type: "feedback", seq, goed, opmerking })) {
      showError(T.notConnected);
      return;
    }
    for (const b of group.querySelectorAll("button, input")) b.disabled = true;
  }

  /** Thumbs up/down under an answer; a thumbs-down asks for an optional short comment. */
  function renderFeedback(seq) {
    const group = el("div", { class: "balie-feedback", role: "group", "aria-label": T.feedbackAsk,
      "data-seq": String(seq) }, el("span", { "aria-hidden": "true" }, T.feedbackAsk));
    const up = el("button", { type: "button", "aria-label": T.good }, "👍");
    const down = el("button", { type: "button", "aria-label": T.bad }, "👎");
    up.addEventListener("click", () => sendFeedback(group, seq, true, ""));
    down.addEventListener("click", () => {
      const id = `balie-opmerking-${seq}`;
      const input = el("input", { type: "text", id, maxlength: "500", autocomplete: "off" });
      const submit = el("button", { type: "submit" }, T.commentSend);
      const form = el("form", { class: "balie-opmerking" }, el("label", { for: id }, T.comment),
        input, submit);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        sendFeedback(group, seq, false, input.value.trim());
      });
      group.replaceChildren(form);
      input.focus();
    });
    group.append(up, down);
    return group;
  }

  function renderBot(message) {
    if (message.from === "medewerker") { // a person of the gemeente: named, never a button
      return el("li", { class: "balie-bericht balie-bot balie-medewerker" },
        el("p", { class: "balie-naam" }, `${message.naam || ""}:`), ...renderText(message.text || ""));
    }
    const item = el("li", { class: "balie-bericht balie-bot" }, srOnly(`${T.bot}: `));
    if (message.text) item.append(...renderText(message.text));
    if (Array.isArray(message.card) && message.card.length) item.append(renderCard(message.card));
    if (message.image) {
      item.append(el("p", {}, el("a", { href: message.image, target: "_blank", rel: "noopener noreferrer" },
        T.image, srOnly(` ${T.newWindow}`))));
    }
    if (message.buttons && message.buttons.length) {
      const group = el("div", { class: "balie-keuzes", role: "group", "aria-label": T.choices });
      for (const b of message.buttons) {
        const button = el("button", { type: "button" }, b.title);
        button.addEventListener("click", () => {
          sendMessage({ text: b.payload, label: b.title, button: true });
          textarea.focus();
        });
        group.append(button);
      }
      item.append(group);
    }
    if (typeof message.feedback === "string" && !askedTopics.has(message.feedback)) {
      askedTopics.add(message.feedback);
      item.append(renderFeedback(message.seq));
    }
    return item;
  }

  function announce(message) {
    const words = [message.text || ""];
    if (message.buttons && message.buttons.length) {
      words.push(`${T.choices}: ${message.buttons.map((b) => b.title).join(", ")}.`);
    }
    live.append(el("p", {}, `${T.bot}: ${words.join(" ")}`));
    while (live.childElementCount > 3) live.firstElementChild.remove();
    if (panel.hidden) {
      const count = Number(badge.dataset.count || 0) + 1;
      badge.dataset.count = String(count);
      badge.replaceChildren(String(count), srOnly(` ${T.unread}`));
      badge.hidden = false;
    }
  }

  /** Confirmed messages in server order; unconfirmed ones stay below them. */
  function place(item) {
    logList.insertBefore(item, logList.querySelector(":scope > .balie-wacht"));
  }

  function onMessage(message) {
    if (message.seq <= lastSeq) return; // already on screen: never twice
    lastSeq = message.seq;
    if (message.from === "user") {
      disableChoices();
      firstNew = null;
      const mine = message.id && pending.get(message.id);
      if (mine) {
        pending.delete(message.id);
        mine.item.classList.remove("balie-wacht");
        mine.item.querySelector(".balie-wacht-tekst")?.remove();
        place(mine.item);
      } else {
        place(userItem(message.text || ""));
      }
    } else {
      const item = renderBot(message);
      place(item);
      if (synced) {
        if (!firstNew) firstNew = item;
        announce(message);
      }
    }
    scrollDown();
  }

  function showWelcome() {
    if (!logList.childElementCount) {
      logList.append(el("li", { class: "balie-bericht balie-bot balie-intro" },
        srOnly(`${T.bot}: `), el("p", {}, T.welcome)));
    }
  }

  function clearTranscript() {
    logList.replaceChildren();
    lastSeq = 0;
    askedTopics.clear();
    for (const { item } of pending.values()) logList.append(item);
    showWelcome();
  }

  let notice = null;
  function setStatus(text, keepMs) {
    status.textContent = text;
    clearTimeout(notice);
    status.classList.toggle("balie-status-zichtbaar", Boolean(text));
    if (keepMs) notice = setTimeout(() => setStatus(""), keepMs);
  }

  let errorTimer = null;
  function showError(text) {
    clearTimeout(errorTimer);
    alertBox.textContent = "";
    // A fresh text node, so the same notice after a new attempt is announced again.
    errorTimer = setTimeout(() => { alertBox.textContent = text; }, 50);
  }

  // --- the connection -----------------------------------------------------------------------

  const wsUrl = `${base.replace(/^http/, "ws")}/chat/ws`;

  function connect() {
    if (ws) return;
    clearTimeout(reconnectTimer);
    if (!token) {
      // After "gesprek wissen" in another tab, follow that tab to its new conversation.
      const stored = store.get();
      if (stored && stored !== wipedToken) token = stored;
    }
    synced = false;
    ws = new WebSocket(wsUrl);
    ws.addEventListener("open", () => {
      ws.send(JSON.stringify({ type: "hello", session: token, after: lastSeq }));
    });
    ws.addEventListener("message", (event) => {
      let frameData;
      try { frameData = JSON.parse(event.data); } catch { return; }
      handle(frameData);
    });
    ws.addEventListener("close", () => {
      ws = null;
      typing.hidden = true;
      if (everConnected || attempt > 0) setStatus(T.offline);
      const delay = Math.min(15000, 500 * 2 ** attempt) * (0.75 + Math.random() / 2);
      attempt += 1;
      reconnectTimer = setTimeout(connect, delay);
    });
  }

  function send(frameData) {
    if (ws && ws.readyState === WebSocket.OPEN && synced) {
      ws.send(JSON.stringify(frameData));
      return true;
    }
    return false;
  }

  function handle(msg) {
    switch (msg.type) {
      case "welcome":
        if (msg.new && token && token !== msg.session) clearTranscript(); // old one expired
        token = msg.session;
        store.set(token);
        maxLength = msg.max_length || maxLength;
        photoMax = msg.max_photo_bytes || photoMax;
        typing.hidden = !msg.typing;
        attempt = 0;
        if (everConnected) setStatus(T.online, 4000);
        else setStatus("");
        everConnected = true;
        break;
      case "synced":
        synced = true;
        for (const { frame: f } of pending.values()) ws.send(JSON.stringify(f));
        break;
      case "message":
        if (msg.from === "medewerker") liveTyping.hidden = true; // the words came
        onMessage(msg);
        break;
      case "live_typen":
        if (liveName) {
          liveTypingText.textContent = T.liveTyping(liveName);
          liveTyping.hidden = false;
          clearTimeout(liveTypingTimer);
          liveTypingTimer = setTimeout(() => { liveTyping.hidden = true; }, LIVE_TYPING_MS);
          scrollDown();
        }
        break;
      case "feedback": { // stored (or given before): thank the resident in place
        const group = logList.querySelector(`.balie-feedback[data-seq="${Number(msg.seq)}"]`);
        group?.replaceChildren(el("p", { role: "status" }, msg.text || ""));
        break;
      }
      case "live":
        showLive(msg);
        break;
      case "typing":
        typing.hidden = !msg.on;
        if (msg.on) scrollDown();
        break;
      case "error":
        if (msg.id && pending.has(msg.id)) {
          const { frame: f, item } = pending.get(msg.id);
          pending.delete(msg.id);
          item.remove();
          if (!f.label && !f.metadata && !textarea.value) textarea.value = f.text;
          if (f.button) enableLastChoices();
        }
        showError(msg.text);
        break;
      case "wiped": // cleared in another tab
        wipedToken = token;
        token = null;
        clearTranscript();
        setStatus(T.wiped, 4000);
        ws?.close();
        break;
      default:
        break;
    }
  }

  // Live chat: the medewerker's first name while one has the conversation (else null);
  // the resident's typing goes to them at most every LIVE_TYPING_EVERY ms.
  let liveName = null;
  let liveTypingTimer = null;
  let liveTypedAt = 0;
  const LIVE_TYPING_MS = 5000;
  const LIVE_TYPING_EVERY = 2000;
  textarea.addEventListener("input", () => {
    if (!liveName || !textarea.value.trim() || Date.now() - liveTypedAt < LIVE_TYPING_EVERY) return;
    if (send({ type: "live", actie: "typen" })) liveTypedAt = Date.now();
  });

  function showLive(msg) {
    liveName = msg.status === "live" ? msg.medewerker || null : null;
    if (!liveName) liveTyping.hidden = true;
    liveBar.hidden = msg.status !== "wachtend" && msg.status !== "live";
    if (msg.status === "wachtend") {
      liveText.textContent = T.liveWaiting(msg.positie, msg.wacht_minuten);
      liveButton.textContent = T.liveStopWaiting;
    } else if (msg.status === "live") {
      liveText.textContent = T.liveWith(msg.medewerker);
      liveButton.textContent = T.liveEnd;
    }
  }
  liveButton.addEventListener("click", () => {
    if (!send({ type: "live", actie: "stoppen" })) showError(T.notConnected);
    textarea.focus();
  });

  function sendMessage({ text, label, metadata, button }) {
    liveTypedAt = 0; // the next words typed say "typing" at once
    const id = newId();
    const frameData = { type: "message", id, text };
    if (label) frameData.label = label;
    if (button) frameData.button = true;
    if (metadata) frameData.metadata = metadata;
    const item = userItem(label || text);
    item.classList.add("balie-wacht");
    item.append(el("span", { class: "balie-wacht-tekst" }, T.sending));
    disableChoices();
    logList.append(item);
    scrollDown();
    pending.set(id, { frame: frameData, item });
    firstNew = null;
    clearTimeout(errorTimer);
    alertBox.textContent = "";
    if (!send(frameData)) connect();
  }

  // --- controls -----------------------------------------------------------------------------

  function updateCounter() {
    const n = textarea.value.length;
    const over = n > maxLength;
    // Too long is said once, in the error line; the counter only counts down.
    counter.textContent = !over && n > maxLength - 100 ? T.left(maxLength - n) : "";
    const wasOver = textarea.getAttribute("aria-invalid") === "true";
    textarea.setAttribute("aria-invalid", over ? "true" : "false");
    if (over && !wasOver) showError(T.tooLong(n));
    else if (!over && wasOver) { clearTimeout(errorTimer); alertBox.textContent = ""; }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = textarea.value.trim();
    if (!text) return;
    if (text.length > maxLength) {
      showError(T.tooLong(text.length));
      return;
    }
    textarea.value = "";
    updateCounter();
    sendMessage({ text });
  });
  textarea.addEventListener("input", updateCounter);
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  photoButton.addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", async () => {
    const file = fileInput.files && fileInput.files[0];
    fileInput.value = "";
    if (!file) return;
    if (!PHOTO_TYPES.includes(file.type)) return showError(T.photoType);
    if (file.size > photoMax) return showError(T.photoSize());
    if (!token || !synced) return showError(T.notConnected);
    setStatus(T.photoBusy);
    try {
      const response = await fetch(
        `${base}/chat/upload?bestandsnaam=${encodeURIComponent(file.name)}`,
        { method: "POST", body: file, headers: { "Content-Type": file.type, "X-Balie-Sessie": token } },
      );
      const body = await response.json().catch(() => ({}));
      setStatus("");
      if (!response.ok) return showError(body.melding || T.photoFailed);
      sendMessage({
        text: "[foto]", label: T.photoLabel(body.bestandsnaam || file.name),
        metadata: { foto: { upload_id: body.upload_id } },
      });
    } catch {
      setStatus("");
      showError(T.photoFailed);
    }
    photoButton.focus();
  });

  // Geolocation only after the resident asks for it with this button (the browser asks consent).
  locationButton.addEventListener("click", () => {
    if (!navigator.geolocation) return showError(T.locationNone);
    setStatus(T.locationBusy);
    navigator.geolocation.getCurrentPosition(
      (position) => {
        setStatus("");
        const { latitude, longitude } = position.coords;
        sendMessage({
          text: "[locatie]", label: T.locationLabel,
          metadata: { locatie: { lat: latitude, lon: longitude } },
        });
      },
      () => { setStatus(""); showError(T.locationNone); },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    );
  });

  // As typing /vergeet: Balie explains what is forgotten and asks to confirm with buttons.
  forgetButton.addEventListener("click", () => {
    sendMessage({ text: T.forgetCommand, label: T.forget });
    textarea.focus();
  });

  clearButton.addEventListener("click", () => {
    confirmBar.hidden = false;
    confirmNo.focus();
  });
  confirmNo.addEventListener("click", () => {
    confirmBar.hidden = true;
    clearButton.focus();
  });
  confirmYes.addEventListener("click", () => {
    confirmBar.hidden = true;
    for (const { item } of pending.values()) item.remove();
    pending.clear();
    if (!send({ type: "reset" })) {
      // Offline: forget it here; the next connection starts a new conversation.
      token = null;
      store.set(null);
    }
    lastSeq = 0;
    logList.replaceChildren();
    showWelcome();
    setStatus(T.wiped, 4000);
    textarea.focus();
  });

  function open() {
    panel.hidden = false;
    fetchLook();
    launcher.setAttribute("aria-expanded", "true");
    frame.classList.add("balie-open");
    badge.hidden = true;
    badge.dataset.count = "0";
    rememberOpen(true);
    showWelcome();
    if (!ws) {
      if (!everConnected) setStatus(T.connecting);
      connect();
    }
    scrollDown();
    textarea.focus();
  }

  function close() {
    panel.hidden = true;
    confirmBar.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    frame.classList.remove("balie-open");
    rememberOpen(false);
    launcher.focus();
  }

  launcher.addEventListener("click", () => (panel.hidden ? open() : close()));
  closeButton.addEventListener("click", close);
  panel.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    event.preventDefault();
    if (!confirmBar.hidden) confirmNo.click();
    else close();
  });

  /** The gemeente's name, colour, logo and privacy statement; data- attributes win. */
  function applyLook(look) {
    if (!data.gemeente && typeof look.naam === "string" && look.naam) gemeente = look.naam.slice(0, 80);
    launcher.querySelector(".balie-launcher-tekst").textContent = T.launcher();
    title.textContent = T.title();
    const colour = COLOUR_RE.test(data.kleur || "") ? data.kleur
      : COLOUR_RE.test(look.kleur || "") ? look.kleur : kleur;
    frame.style.setProperty("--balie-kleur", colour);
    frame.style.setProperty("--balie-op-kleur", textOn(colour));
    const logoUrl = safeUrl(data.logo) || safeUrl(look.logo);
    if (logoUrl) { logo.src = logoUrl; logo.hidden = false; }
    const privacy = safeUrl(data.privacy) || safeUrl(look.privacy_url);
    if (privacy) { privacyLink.href = privacy; privacyLink.hidden = false; }
  }

  /** An http(s) address, or a path on the web app; anything else (javascript:, data:) is dropped. */
  function safeUrl(value) {
    if (typeof value !== "string" || !value) return null;
    try {
      const url = new URL(value, `${base}/`);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch { return null; }
  }

  let lookFetched = false;
  function fetchLook() {
    if (lookFetched) return;
    lookFetched = true;
    fetch(`${base}/chat/gemeente`, { credentials: "omit" })
      .then((r) => (r.ok ? r.json() : {}))
      .then((look) => applyLook(look && typeof look === "object" ? look : {}))
      .catch(() => applyLook({}));
  }

  function start() {
    document.body.append(host);
    fetchLook();
    const remembered = wasOpen();
    if (remembered === "1" || (remembered === null && startOpen)) {
      panel.hidden = false; // open without stealing focus from the page
      launcher.setAttribute("aria-expanded", "true");
      frame.classList.add("balie-open");
      showWelcome();
      connect();
    } else if (token) {
      connect(); // a conversation is going on: receive its news (badge, announcement)
    }
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
