// The cases map in the staff console (/staff/kaart): one marker per row of the list.
// The list stays the source: without JavaScript or tiles the page is that list.
(function () {
  "use strict";
  var element = document.getElementById("kaart");
  if (!element || !window.L) { return; }
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-lat]"));
  // No fading: a popup is readable (and its contrast measurable) as soon as it opens.
  var map = L.map(element, {fadeAnimation: false});
  var attribution = element.getAttribute("data-bron");
  L.tileLayer(element.getAttribute("data-tegels"), {
    maxZoom: 19,
    // Shown as typed: the attribution comes from a setting, never read as markup.
    attribution: attribution ? attribution.replace(/[<>&"]/g, function (c) {
      return {"<": "&lt;", ">": "&gt;", "&": "&amp;", "\"": "&quot;"}[c];
    }) : ""
  }).addTo(map);
  var points = [];
  rows.forEach(function (row) {
    var lat = parseFloat(row.getAttribute("data-lat"));
    var lon = parseFloat(row.getAttribute("data-lon"));
    if (!isFinite(lat) || !isFinite(lon)) { return; }
    var cells = row.querySelectorAll("td");
    var link = cells[0].querySelector("a");
    // The popup is built from nodes, so no text from a case is read as HTML.
    var popup = document.createElement("div");
    var anchor = document.createElement("a");
    anchor.href = link.getAttribute("href");
    anchor.textContent = link.textContent;
    popup.appendChild(anchor);
    [1, 2, 3].forEach(function (i) {
      var line = document.createElement("div");
      line.textContent = cells[i].textContent.trim();
      popup.appendChild(line);
    });
    L.marker([lat, lon], {title: link.textContent, alt: link.textContent + " op de kaart"})
      .bindPopup(popup).addTo(map);
    points.push([lat, lon]);
  });
  if (points.length) {
    map.fitBounds(points, {padding: [30, 30], maxZoom: 17});
  } else {
    var middle = (element.getAttribute("data-midden") || "52.1,5.1").split(",").map(parseFloat);
    map.setView(middle, 13);
  }
  element.setAttribute("data-markers", String(points.length));
})();
