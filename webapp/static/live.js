// The Live page of the staff console (/staff/live): the queue and live chats with residents.
// One WebSocket to the web app; every text is inserted as text. Protocol: docs/staff.md.
(function () {
  "use strict";
  var section = document.querySelector("[data-live-ws]");
  if (!section) { return; }
  var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host +
    section.getAttribute("data-live-ws");
  var queue = section.querySelector(".live-wachtrij");
  var empty = section.querySelector(".live-leeg");
  var chats = section.querySelector(".live-chats");
  var noChats = section.querySelector(".live-geen-chats");
  var state = section.querySelector(".live-verbinding");
  var error = section.querySelector(".live-fout");
  var available = document.getElementById("live-aan");
  var firstName = document.getElementById("live-voornaam");
  var baseTitle = document.title;
  var zone = section.getAttribute("data-tijdzone") || undefined; // the gemeente's, not the browser's
  var known = null; // ids in the queue last time: a new one makes a sound
  var ws = null, delay = 500, pinger = null;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }
  function send(frame) { if (ws && ws.readyState === 1) { ws.send(JSON.stringify(frame)); } }
  function minutes(seconds) {
    var m = Math.floor(seconds / 60);
    return m < 1 ? "minder dan een minuut" : m === 1 ? "1 minuut" : m + " minuten";
  }
  function clock(iso) {
    var d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleTimeString("nl-NL", { hour: "2-digit", minute: "2-digit", timeZone: zone });
  }
  function beep() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      var ctx = new Ctx(), osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.frequency.value = 880; gain.gain.value = 0.1;
      osc.connect(gain); gain.connect(ctx.destination);
      osc.start(); osc.stop(ctx.currentTime + 0.25);
    } catch (e) { /* no sound available: the title still says it */ }
  }

  function showQueue(items) {
    queue.textContent = "";
    empty.hidden = items.length > 0;
    items.forEach(function (item) {
      var li = el("li");
      li.appendChild(el("p", null, "Wacht al " + minutes(item.wacht_seconden) + "."));
      item.voorbeeld.forEach(function (text) { li.appendChild(el("blockquote", null, text)); });
      var take = el("button", null, "Neem deze inwoner");
      take.type = "button";
      take.addEventListener("click", function () { send({ type: "nemen", id: item.id }); });
      li.appendChild(take);
      queue.appendChild(li);
    });
    var ids = items.map(function (i) { return i.id; });
    var fresh = known !== null && ids.some(function (id) { return known.indexOf(id) < 0; });
    known = ids;
    document.title = (items.length ? "(" + items.length + ") " : "") + baseTitle;
    if (fresh) { beep(); }
  }

  function addMessage(log, m) {
    var li = el("li", "van-" + m.from);
    var who = m.from === "user" ? "Inwoner" : m.from === "medewerker" ? (m.naam || "Medewerker") : "Balie";
    li.appendChild(el("span", "wie", who + " (" + clock(m.time) + "): "));
    li.appendChild(el("span", null, m.text));
    li.setAttribute("data-seq", m.seq);
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
  }

  function openChat(frame) {
    var box = chats.querySelector('[data-chat="' + frame.id + '"]');
    if (box) { box.remove(); }
    box = el("section", "live-chat");
    box.setAttribute("data-chat", frame.id);
    box.setAttribute("aria-label", "Chat met inwoner " + frame.id);
    box.appendChild(el("h3", null, "Chat met inwoner"));
    var log = el("ol", "live-log");
    log.setAttribute("aria-live", "polite");
    box.appendChild(log);
    frame.berichten.forEach(function (m) { addMessage(log, m); });
    var form = el("form");
    var label = el("label", null, "Uw bericht");
    var input = el("textarea");
    input.id = "live-bericht-" + frame.id; label.htmlFor = input.id; input.rows = 2; input.maxLength = 2000;
    form.appendChild(label); form.appendChild(input);
    var buttons = el("p", "live-knoppen");
    var sendBtn = el("button", null, "Versturen"); sendBtn.type = "submit";
    var back = el("button", null, "Teruggeven aan Balie"); back.type = "button";
    var close = el("button", null, "Afsluiten met notitie"); close.type = "button";
    buttons.appendChild(sendBtn); buttons.appendChild(back); buttons.appendChild(close);
    form.appendChild(buttons);
    var noteP = el("p"); noteP.hidden = true;
    var noteLabel = el("label", null, "Korte notitie (zonder persoonsgegevens)");
    var note = el("input"); note.id = "live-notitie-" + frame.id; noteLabel.htmlFor = note.id; note.maxLength = 1000;
    var noteOk = el("button", null, "Chat afsluiten"); noteOk.type = "button";
    noteP.appendChild(noteLabel); noteP.appendChild(note); noteP.appendChild(noteOk);
    form.appendChild(noteP);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (input.value.trim()) { send({ type: "bericht", id: frame.id, tekst: input.value }); input.value = ""; }
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
    });
    back.addEventListener("click", function () { send({ type: "teruggeven", id: frame.id }); });
    close.addEventListener("click", function () { noteP.hidden = false; note.focus(); });
    noteOk.addEventListener("click", function () { send({ type: "sluiten", id: frame.id, notitie: note.value }); });
    box.appendChild(form);
    chats.appendChild(box);
    noChats.hidden = true;
    input.focus();
  }

  function onFrame(frame) {
    if (frame.type === "wachtrij") { showQueue(frame.wachtenden); }
    else if (frame.type === "gesprek") { openChat(frame); }
    else if (frame.type === "bericht") {
      var log = chats.querySelector('[data-chat="' + frame.id + '"] .live-log');
      if (log && !log.querySelector('[data-seq="' + frame.seq + '"]')) { addMessage(log, frame); }
    } else if (frame.type === "einde") {
      var box = chats.querySelector('[data-chat="' + frame.id + '"]');
      if (box) { box.remove(); }
      noChats.hidden = chats.children.length > 0;
      state.textContent = frame.tekst;
    } else if (frame.type === "beschikbaar") {
      available.checked = frame.aan;
      firstName.value = frame.voornaam;
      state.textContent = frame.aan ? "U bent beschikbaar als " + frame.voornaam + "." : "U bent afwezig.";
    } else if (frame.type === "fout") {
      error.textContent = frame.tekst; error.hidden = false;
      setTimeout(function () { error.hidden = true; }, 8000);
    }
  }

  function connect() {
    ws = new WebSocket(url);
    ws.onopen = function () {
      delay = 500;
      state.textContent = "Verbonden.";
      send({ type: "beschikbaar", aan: available.checked, voornaam: firstName.value });
      pinger = setInterval(function () { send({ type: "ping" }); }, 30000);
    };
    ws.onmessage = function (e) { try { onFrame(JSON.parse(e.data)); } catch (err) { /* ignore */ } };
    ws.onclose = function (e) {
      clearInterval(pinger);
      if (e.code === 1008) { location.reload(); return; } // logged out: the login form
      state.textContent = "De verbinding is verbroken. Opnieuw verbinden…";
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 15000);
    };
  }
  available.addEventListener("change", function () {
    send({ type: "beschikbaar", aan: available.checked, voornaam: firstName.value });
  });
  firstName.addEventListener("change", function () {
    send({ type: "beschikbaar", aan: available.checked, voornaam: firstName.value });
  });
  section.querySelector("form.live-beschikbaar").addEventListener("submit", function (e) { e.preventDefault(); });
  connect();
})();
