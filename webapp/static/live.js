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
  var liveUrl = section.getAttribute("data-live-url");
  var csrf = section.getAttribute("data-csrf");
  var faq = readJson("live-faq");
  var categories = readJson("live-categorieen");
  var colleagues = []; // available colleagues to transfer to: {id, naam}
  var TYPING_EVERY = 2000, TYPING_SHOWN = 5000;
  var ws = null, delay = 500, pinger = null;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }
  function readJson(id) {
    var node = document.getElementById(id);
    try { return node ? JSON.parse(node.textContent) : []; } catch (e) { return []; }
  }
  function option(value, text) {
    var node = el("option", null, text); node.value = value; return node;
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
    addMedia(li, m);
    li.setAttribute("data-seq", m.seq);
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
  }

  // A Telegram resident's photo (whole, from the console) or shared point.
  function addMedia(li, m) {
    if (m.foto) {
      var link = el("a", "live-foto");
      link.href = m.foto; link.target = "_blank"; link.rel = "noopener";
      var img = el("img");
      img.src = m.foto; img.alt = "Foto van de inwoner"; img.loading = "lazy";
      link.appendChild(img);
      li.appendChild(link);
    }
    if (m.locatie && typeof m.locatie.lat === "number" && typeof m.locatie.lon === "number") {
      var at = m.locatie.lat.toFixed(5) + "/" + m.locatie.lon.toFixed(5);
      var map = el("a", "live-kaart", "bekijk op OpenStreetMap");
      map.href = "https://www.openstreetmap.org/?mlat=" + m.locatie.lat.toFixed(5) +
        "&mlon=" + m.locatie.lon.toFixed(5) + "#map=18/" + at;
      map.target = "_blank"; map.rel = "noopener noreferrer";
      li.appendChild(document.createTextNode(" "));
      li.appendChild(map);
    }
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
    var typedAt = 0; // the last "typing" sent; a sent message starts anew
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (input.value.trim()) { send({ type: "bericht", id: frame.id, tekst: input.value }); input.value = ""; typedAt = 0; }
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
    });
    input.addEventListener("input", function () {
      if (!input.value.trim() || Date.now() - typedAt < TYPING_EVERY) { return; }
      typedAt = Date.now();
      send({ type: "typen", id: frame.id });
    });
    back.addEventListener("click", function () { send({ type: "teruggeven", id: frame.id }); });
    close.addEventListener("click", function () { noteP.hidden = false; note.focus(); });
    noteOk.addEventListener("click", function () { send({ type: "sluiten", id: frame.id, notitie: note.value }); });
    var typing = el("p", "live-typt", "De inwoner typt…"); typing.hidden = true;
    box.appendChild(typing);
    box.appendChild(form);
    box.appendChild(faqTool(frame.id, input));
    box.appendChild(transferTool(frame.id));
    box.appendChild(caseTool(frame.id));
    chats.appendChild(box);
    noChats.hidden = true;
    input.focus();
  }

  function labelled(parent, text, control, id) {
    var label = el("label", null, text); control.id = id; label.htmlFor = id;
    parent.appendChild(label); parent.appendChild(control);
    return control;
  }

  // An FAQ answer into the message box, to edit before sending.
  function faqTool(id, input) {
    var p = el("p", "live-faq");
    var select = labelled(p, "Antwoord uit de veelgestelde vragen", el("select"), "live-faq-" + id);
    select.appendChild(option("", "Kies een onderwerp"));
    faq.forEach(function (a, i) { select.appendChild(option(String(i), a.naam)); });
    var insert = el("button", null, "Antwoord invoegen"); insert.type = "button";
    insert.addEventListener("click", function () {
      var answer = faq[Number(select.value)];
      if (select.value === "" || !answer) { return; }
      input.value = input.value.trim() ? input.value.trim() + "\n\n" + answer.tekst : answer.tekst;
      input.focus();
    });
    p.appendChild(insert);
    return p;
  }

  // Hand the chat to an available colleague.
  function transferTool(id) {
    var p = el("p", "live-doorzetten");
    var select = labelled(p, "Doorzetten naar een collega", el("select"), "live-collega-" + id);
    var go = el("button", null, "Doorzetten"); go.type = "button";
    go.addEventListener("click", function () {
      if (select.value) { send({ type: "doorzetten", id: id, naar: Number(select.value) }); }
    });
    p.appendChild(go);
    fillColleagues(p);
    return p;
  }
  function fillColleagues(p) {
    var select = p.querySelector("select");
    var chosen = select.value;
    select.textContent = "";
    colleagues.forEach(function (c) { select.appendChild(option(String(c.id), c.naam)); });
    select.value = chosen;
    p.hidden = colleagues.length === 0;
  }

  // A melding, verzoek or call-back for the resident: POST with the console's CSRF token.
  function caseTool(id) {
    var details = el("details", "live-zaak");
    details.appendChild(el("summary", null, "Melding, verzoek of terugbelverzoek vastleggen"));
    var form = el("form");
    var pre = "live-zaak-" + id + "-";
    function field(name, text, control, group) {
      var p = el("p"); control.name = name;
      labelled(p, text, control, pre + name);
      (group || form).appendChild(p);
      return control;
    }
    var kind = field("soort", "Wat legt u vast?", el("select"));
    kind.appendChild(option("melding", "Melding openbare ruimte"));
    kind.appendChild(option("verzoek", "Verzoek aan de gemeente"));
    kind.appendChild(option("terugbellen", "Terugbelverzoek"));
    var melding = el("div"), verzoek = el("div"), bellen = el("div");
    var cat = field("categorie", "Categorie", el("select"), melding);
    cat.appendChild(option("", "Kies een categorie"));
    categories.forEach(function (c) { cat.appendChild(option(c.slug, c.naam)); });
    field("straat", "Straat", el("input"), melding).maxLength = 120;
    field("huisnummer", "Huisnummer", el("input"), melding).maxLength = 12;
    field("postcode", "Postcode", el("input"), melding).maxLength = 7;
    field("plaats", "Plaats", el("input"), melding).maxLength = 80;
    field("onderwerp", "Onderwerp", el("input"), verzoek).maxLength = 200;
    field("naam", "Naam van wie wij terugbellen", el("input"), bellen).maxLength = 120;
    field("telefoon", "Telefoonnummer", el("input"), bellen).maxLength = 30;
    field("voorkeur", "Wanneer het beste uitkomt", el("input"), bellen).maxLength = 200;
    form.appendChild(melding); form.appendChild(verzoek); form.appendChild(bellen);
    var text = field("omschrijving", "Omschrijving", el("textarea"));
    text.rows = 3; text.maxLength = 5000;
    var hidden = el("input"); hidden.type = "hidden"; hidden.name = "csrf"; hidden.value = csrf;
    form.appendChild(hidden);
    var submit = el("button", null, "Vastleggen"); submit.type = "submit";
    var result = el("p", "live-zaak-uitslag"); result.setAttribute("role", "status");
    form.appendChild(submit); form.appendChild(result);
    function show() {
      melding.hidden = kind.value !== "melding";
      verzoek.hidden = kind.value !== "verzoek";
      bellen.hidden = kind.value !== "terugbellen";
    }
    kind.addEventListener("change", show); show();
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      submit.disabled = true;
      result.textContent = "Bezig met vastleggen…";
      fetch(liveUrl + "/" + id + "/zaak", { method: "POST", body: new FormData(form), credentials: "same-origin" })
        .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
        .then(function (a) {
          result.textContent = a.ok ? a.body.tekst : (a.body.fout || a.body.error || "Dat lukte niet.");
          result.className = "live-zaak-uitslag" + (a.ok ? "" : " fout");
          if (a.ok) { form.reset(); show(); }
        })
        .catch(function () { result.textContent = "Dat lukte niet. Controleer de verbinding."; })
        .then(function () { submit.disabled = false; });
    });
    details.appendChild(form);
    return details;
  }

  function onFrame(frame) {
    if (frame.type === "wachtrij") { showQueue(frame.wachtenden); }
    else if (frame.type === "gesprek") { openChat(frame); }
    else if (frame.type === "bericht") {
      var log = chats.querySelector('[data-chat="' + frame.id + '"] .live-log');
      if (log && !log.querySelector('[data-seq="' + frame.seq + '"]')) { addMessage(log, frame); }
      var said = chats.querySelector('[data-chat="' + frame.id + '"] .live-typt');
      if (said && frame.from === "user") { said.hidden = true; }
    } else if (frame.type === "typt") {
      var typing = chats.querySelector('[data-chat="' + frame.id + '"] .live-typt');
      if (typing) {
        typing.hidden = false;
        clearTimeout(typing.timer);
        typing.timer = setTimeout(function () { typing.hidden = true; }, TYPING_SHOWN);
      }
    } else if (frame.type === "collegas") {
      colleagues = frame.lijst;
      chats.querySelectorAll(".live-doorzetten").forEach(fillColleagues);
    } else if (frame.type === "einde") {
      var box = chats.querySelector('[data-chat="' + frame.id + '"]');
      if (box) { box.remove(); }
      noChats.hidden = chats.children.length > 0;
      state.textContent = frame.tekst;
    } else if (frame.type === "beschikbaar") {
      // An answer to an older choice must not undo a newer click: only the answer to
      // the last one sent sets the controls.
      availabilityAsked = Math.max(0, availabilityAsked - 1);
      if (availabilityAsked > 0) { return; }
      available.checked = frame.aan;
      firstName.value = frame.voornaam;
      state.textContent = frame.aan ? "U bent beschikbaar als " + frame.voornaam + "." : "U bent afwezig.";
    } else if (frame.type === "fout") {
      error.textContent = frame.tekst; error.hidden = false;
      setTimeout(function () { error.hidden = true; }, 8000);
    }
  }

  var availabilityAsked = 0; // "beschikbaar" frames sent and not answered yet
  function sendAvailability() {
    if (!ws || ws.readyState !== 1) { return; }
    availabilityAsked += 1;
    send({ type: "beschikbaar", aan: available.checked, voornaam: firstName.value });
  }

  function connect() {
    ws = new WebSocket(url);
    ws.onopen = function () {
      delay = 500;
      state.textContent = "Verbonden.";
      availabilityAsked = 0;
      sendAvailability();
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
    sendAvailability();
  });
  firstName.addEventListener("change", function () {
    sendAvailability();
  });
  section.querySelector("form.live-beschikbaar").addEventListener("submit", function (e) { e.preventDefault(); });
  connect();
})();
