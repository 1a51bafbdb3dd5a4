// Live progress of a training job in the staff console (/staff/training/<id>).
// Without JavaScript the page still works: reloading it shows the same progress.
(function () {
  "use strict";
  var section = document.querySelector("[data-status-url]");
  if (!section || section.getAttribute("data-status") !== "bezig") { return; }
  var bar = section.querySelector("progress");
  var stand = section.querySelector("[data-veld=stand]");
  var log = document.querySelector("[data-veld=log]");
  var url = section.getAttribute("data-status-url");
  var phases = section.querySelectorAll("[data-veld=fasen] li");
  var lastLabel = null;

  function update(state) {
    bar.value = state.percent;
    bar.textContent = state.percent + "%";
    var text = state.stand;
    state.fasen.forEach(function (phase, i) {
      var item = phases[i];
      if (!item) { return; }
      item.className = phase.stand === "gedaan" ? "gedaan" : "";
      if (phase.stand === "bezig") { item.setAttribute("aria-current", "step"); }
      else { item.removeAttribute("aria-current"); }
      item.lastChild.textContent = ": " + phase.stand;
    });
    // Only a new stage is announced, not every second that passes.
    if (state.label !== lastLabel) { stand.textContent = text; lastLabel = state.label; }
    else { stand.firstChild && (stand.firstChild.nodeValue = text); }
    if (log) { log.textContent = state.log; log.scrollTop = log.scrollHeight; }
    if (state.status !== "bezig") { window.location.reload(); }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (state) { update(state); if (state.status === "bezig") { setTimeout(poll, 2000); } })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
