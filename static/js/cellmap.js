/* Maps of grid cells with Leaflet, over the configured base map or on polygons alone
 * (basemap.js; no tile server needed).
 *  - [data-cells-url] maps draw the user's cells, named and coded; [data-locate] shows the
 *    GPS position; [data-cases] names a JSON block of case markers;
 *    [data-pick] lets a tap set the point (event "gridgov:point" on the map element).
 *  - .map[data-point="lon,lat"] mini maps show one case's point inside its cell; they are
 *    drawn when they come into view (a hidden one, e.g. a queue item's closed details, waits).
 */
(function () {
  "use strict";
  if (!window.L) return;
  var cellStyle = { color: "#1f5fbf", weight: 1.5, fillOpacity: 0.08, className: "cell-shape" };

  function fetchJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : []; })
      .catch(function () { return []; }); // no signal: the map shows what it has
  }
  function drawCells(map, cells) {
    var layer = L.geoJSON(cells.map(function (c) {
      return { type: "Feature", geometry: c.geometry, properties: { name: c.name, code: c.code } };
    }), { style: cellStyle, onEachFeature: function (f, l) { l.bindTooltip(cellLabel(f.properties), labelOptions); } }).addTo(map);
    return layer;
  }
  // Each cell wears its name and code, so a worker finds their way with no base map too.
  var labelOptions = { permanent: true, direction: "center", className: "cell-label" };
  function cellLabel(props) {
    var label = document.createElement("span"), code = document.createElement("small");
    label.textContent = props.name;
    code.textContent = props.code;
    label.appendChild(document.createElement("br"));
    label.appendChild(code);
    return label;
  }
  function baseMap(el) {
    var map = L.map(el, { attributionControl: false, zoomSnap: 0.25 });
    if (window.gridgovBaseMap) window.gridgovBaseMap(map);
    return map;
  }
  // Case markers: a JSON list [{lon, lat, number, url, late}] in the element named by
  // data-cases; a tap on one opens its case.
  function drawCases(map, el) {
    var node = el.dataset.cases && document.getElementById(el.dataset.cases);
    if (!node) return;
    JSON.parse(node.textContent).forEach(function (c) {
      var marker = L.circleMarker([c.lat, c.lon], {
        radius: 6, color: c.late ? "#b4232a" : "#a15c00", fillOpacity: 0.8, className: "case-marker"
      }).addTo(map);
      marker.bindTooltip(c.number);
      marker.on("click", function () { window.location.href = c.url; });
    });
  }

  function cellsMap(el) {
    var map = baseMap(el), marker = null;
    map.setView([39.9, 116.4], 14);
    fetchJSON(el.dataset.cellsUrl).then(function (cells) {
      if (!cells.length) return;
      var layer = drawCells(map, cells);
      map.fitBounds(layer.getBounds(), { padding: [8, 8] });
    });
    drawCases(map, el);
    function place(lat, lon, source) {
      if (marker) marker.setLatLng([lat, lon]);
      else marker = L.circleMarker([lat, lon], { radius: 8, color: "#b4232a", fillOpacity: 0.9 }).addTo(map);
      el.dispatchEvent(new CustomEvent("gridgov:point", { detail: { lon: lon, lat: lat, source: source } }));
    }
    // A quick coarse fix first, then follow the GPS until a good fix (a phone's first one
    // is often coarse) or until the user taps their position, which wins.
    var tapped = false, best = Infinity;
    function fix(pos) {
      if (tapped || pos.coords.accuracy > best) return;
      best = pos.coords.accuracy;
      place(pos.coords.latitude, pos.coords.longitude, "gps");
    }
    if (el.dataset.locate && navigator.geolocation) {
      var noFix = function () { if (best === Infinity) el.dispatchEvent(new CustomEvent("gridgov:nofix")); };
      navigator.geolocation.getCurrentPosition(fix, noFix, { timeout: 10000, maximumAge: 60000 });
      var watch = navigator.geolocation.watchPosition(function (pos) {
        fix(pos);
        if (pos.coords.accuracy <= 30) navigator.geolocation.clearWatch(watch);
      }, noFix, { enableHighAccuracy: true, timeout: 30000, maximumAge: 0 });
      setTimeout(function () { navigator.geolocation.clearWatch(watch); }, 120000);
    } else if (el.dataset.locate) {
      setTimeout(function () { el.dispatchEvent(new CustomEvent("gridgov:nofix")); });
    }
    if (el.dataset.pick) {
      map.on("click", function (e) { tapped = true; place(e.latlng.lat, e.latlng.lng, "tap"); });
    }
  }

  function pointMap(el) {
    var parts = el.dataset.point.split(",").map(Number), lon = parts[0], lat = parts[1];
    var map = baseMap(el);
    map.setView([lat, lon], 17);
    L.circleMarker([lat, lon], { radius: 7, color: "#b4232a", fillOpacity: 0.9 }).addTo(map);
    fetchJSON("/api/v1/cells/?lon=" + lon + "&lat=" + lat).then(function (cells) {
      if (!cells.length) return;
      var layer = drawCells(map, cells);
      map.fitBounds(layer.getBounds(), { padding: [6, 6], maxZoom: 18 });
    });
  }

  document.querySelectorAll("[data-cells-url].map").forEach(cellsMap);
  var pending = document.querySelectorAll(".map[data-point]");
  // Each mini map is watched and drawn once: a swap that brings new items must not watch
  // again the ones still waiting (Leaflet: "Map container is already initialized").
  function watch(found) {
    var nodes = Array.from(found).filter(function (n) { return !n.dataset.mapWatched; });
    nodes.forEach(function (n) { n.dataset.mapWatched = "1"; });
    if (!("IntersectionObserver" in window)) { nodes.forEach(pointMap); return; }
    var seen = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) {
        if (e.isIntersecting) { seen.unobserve(e.target); pointMap(e.target); }
      });
    });
    nodes.forEach(function (n) { seen.observe(n); });
  }
  watch(pending);
  // A case panel swapped in by htmx brings its own mini map.
  document.body.addEventListener("htmx:afterSwap", function (e) {
    watch(document.querySelectorAll(".map[data-point]"));
  });
})();
